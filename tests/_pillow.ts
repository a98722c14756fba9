/** A PNG as Debian's Pillow reads it (an independent decoder). */
import assert from "node:assert/strict";

/** Runs `code` in /usr/bin/python3 with the PNG on stdin and `args` as argv; parses its JSON output. */
async function withPillow<T>(code: string, png: Uint8Array, args: string[] = []): Promise<T> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
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

/** The PNG's size and colour count. */
export function pillow(png: Uint8Array): Promise<{ size: number[]; colours: number }> {
  return withPillow(
    `
import sys, io, json
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read())).convert("RGB")
print(json.dumps({"size": list(im.size), "colours": len(set(im.getdata()))}))
`,
    png,
  );
}

/** The PNG's size and its RGB pixels at the `(x, y)` points. */
export function pillowPixels(
  png: Uint8Array,
  points: [number, number][],
): Promise<{ size: [number, number]; pixels: number[][] }> {
  return withPillow(
    `
import sys, io, json
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read())).convert("RGB")
pts = json.loads(sys.argv[1])
print(json.dumps({"size": list(im.size), "pixels": [list(im.getpixel((x, y))) for x, y in pts]}))
`,
    png,
    [JSON.stringify(points)],
  );
}
