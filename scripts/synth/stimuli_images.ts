/**
 * The gated image file `stimuli/task-images_stimuli.h5`: dataset `images`,
 * variable-length uint8, element *i* = the encoded image of metadata row
 * *i*. `.jpg` names are real baseline JPEGs (RGB, sharp/libjpeg-turbo),
 * `.png` names RGBA PNGs (lib/formats/png_write.ts). The first PNG carries
 * upstream's fixture pixels: (0,0) alpha 0, (1,0) opaque red, (2,0) red
 * with alpha 128, which composite onto (128,128,128) as (128,128,128),
 * (255,0,0) and (192,64,64).
 * @module
 */
import { encodePng } from "../../lib/formats/png_write.ts";
import { hashKey, unit } from "./prng.ts";
import type { StimulusSet } from "./stimuli_set.ts";

/** JPEG quality of the synthetic images. */
export const JPEG_QUALITY = 90;

/**
 * The pixels of one image (`size * size * channels`, row-major): a
 * diagonal gradient between two colours drawn from the name's hash, a
 * square patch at a hashed position and, for RGBA, an alpha ramp.
 *
 * @example
 * ```ts
 * import { imagePixels } from "./stimuli_images.ts";
 * imagePixels(1, "a.jpg", 16, 3).length; // 768
 * ```
 */
export function imagePixels(
  seed: number,
  name: string,
  size: number,
  channels: 3 | 4,
): Uint8Array {
  const key = hashKey(seed, "image", name);
  const c0 = [0, 1, 2].map((c) => Math.floor(unit(key, c) * 256));
  const c1 = [0, 1, 2].map((c) => Math.floor(unit(key, 3 + c) * 256));
  const patch = [0, 1, 2].map((c) => Math.floor(unit(key, 6 + c) * 256));
  const px = Math.floor(unit(key, 9) * size / 2), py = Math.floor(unit(key, 10) * size / 2);
  const ps = Math.max(2, Math.floor(size / 4));
  const out = new Uint8Array(size * size * channels);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1));
      const inPatch = x >= px && x < px + ps && y >= py && y < py + ps;
      const o = (y * size + x) * channels;
      for (let c = 0; c < 3; c++) {
        out[o + c] = inPatch ? patch[c] : Math.round(c0[c] * (1 - t) + c1[c] * t);
      }
      if (channels === 4) out[o + 3] = inPatch ? 255 : Math.round(255 * (y / (size - 1)));
    }
  }
  return out;
}

/**
 * Sets upstream's fixture pixels in the top row of an RGBA image.
 *
 * @example
 * ```ts
 * import { imagePixels, setKnownPixels } from "./stimuli_images.ts";
 * const px = setKnownPixels(imagePixels(1, "a.png", 8, 4));
 * ```
 */
export function setKnownPixels(rgba: Uint8Array): Uint8Array {
  rgba.set([0, 0, 0, 0], 0);
  rgba.set([255, 0, 0, 255], 4);
  rgba.set([255, 0, 0, 128], 8);
  return rgba;
}

/** The name of the first PNG of a set (the known-pixel image), or `null`. */
export function knownPixelImage(set: StimulusSet): string | null {
  return set.rows.find((r) => r.image_name.endsWith(".png"))?.image_name ?? null;
}

/**
 * Encodes every image of the set in metadata order. sharp is imported on
 * first use (it needs `--allow-ffi`), so the seed layout runs without it.
 *
 * @example
 * ```ts
 * // const images = await encodeImages(set, 1, signal);
 * ```
 */
export async function encodeImages(
  set: StimulusSet,
  seed: number,
  signal?: AbortSignal,
): Promise<Uint8Array[]> {
  const { default: sharp } = await import("sharp");
  const size = set.imageSize;
  const known = knownPixelImage(set);
  const out: Uint8Array[] = new Array(set.rows.length);
  const batch = 64;
  for (let b = 0; b < set.rows.length; b += batch) {
    signal?.throwIfAborted();
    await Promise.all(
      set.rows.slice(b, b + batch).map(async ({ image_name: name }, k) => {
        if (name.endsWith(".png")) {
          const px = imagePixels(seed, name, size, 4);
          out[b + k] = encodePng({
            width: size,
            height: size,
            channels: 4,
            data: name === known ? setKnownPixels(px) : px,
          });
        } else {
          const buf = await sharp(imagePixels(seed, name, size, 3), {
            raw: { width: size, height: size, channels: 3 },
          }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
          out[b + k] = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        }
      }),
    );
  }
  return out;
}
