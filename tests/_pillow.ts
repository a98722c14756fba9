/** A PNG's size and colour count as Debian's Pillow reads it (an independent decoder). */
import assert from "node:assert/strict";

export async function pillow(png: Uint8Array): Promise<{ size: number[]; colours: number }> {
  const code = `
import sys, io, json
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read())).convert("RGB")
print(json.dumps({"size": list(im.size), "colours": len(set(im.getdata()))}))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(png);
  await w.close();
  const out = await child.output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
