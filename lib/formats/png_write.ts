/**
 * A small PNG writer for pictures the library draws (brain slices, maps):
 * 8-bit grey, RGB or RGBA, one IDAT compressed with `node:zlib`. Readers
 * such as Pillow and every browser decode it.
 * @module
 */
import { deflateSync } from "node:zlib";

/** Pixels to encode, row-major, top row first. */
export interface PngImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** `width * height * channels` bytes. */
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * The PNG file bytes of an image.
 *
 * @throws {RangeError} when the sizes and the data length disagree
 * @example
 * ```ts
 * import { encodePng } from "@laion/fmri/formats";
 * const png = encodePng({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
 * ```
 */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`PNG size must be positive integers: got ${width} x ${height}`);
  }
  if (![1, 3, 4].includes(channels)) {
    throw new RangeError(`channels must be 1, 3 or 4: ${channels}`);
  }
  const stride = width * channels;
  if (data.length !== stride * height) {
    throw new RangeError(`expected ${stride * height} bytes of pixels, got ${data.length}`);
  }
  // Each row starts with filter type 0 (none).
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // colour type
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
