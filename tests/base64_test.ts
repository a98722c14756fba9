// The one base64 encoder (lib/core/base64.ts) against Debian's Python, on lengths around the
// padding cases and on a slice of a larger buffer (byteOffset honoured).

import assert from "node:assert/strict";
import { base64 } from "../lib/core/base64.ts";

async function pythonBase64(bytes: Uint8Array): Promise<string> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import base64,sys; sys.stdout.write(base64.b64encode(sys.stdin.buffer.read()).decode())",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  const out = await child.output();
  assert.ok(out.success);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("base64: equals Python's base64.b64encode, padding and views included", async () => {
  const big = new Uint8Array(200_003);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919 + (i >> 8)) & 255;
  for (const n of [0, 1, 2, 3, 4, 5, 65_537]) {
    const bytes = big.subarray(0, n);
    assert.equal(base64(bytes), await pythonBase64(bytes), `length ${n}`);
  }
  const view = big.subarray(13, 100_013); // not at the start of its buffer
  assert.equal(base64(view), await pythonBase64(view.slice()));
});
