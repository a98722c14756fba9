/**
 * Decoding stimulus bytes (JPEG or PNG) with sharp (libvips), and
 * flattening transparent images onto the presentation grey exactly as
 * Pillow's `Image.alpha_composite` does (8-bit "over" with its rounding;
 * sharp's own `flatten` rounds differently: red at alpha 128 gives
 * (191, 63, 63) where Pillow gives (192, 64, 64)).
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";
import { loadSharp, sharpError } from "../formats/sharp.ts";
import { PRESENTATION_BACKGROUND_RGB8 } from "./paths.ts";
import type { Pixels } from "./image.ts";

export { SHARP_FLAGS } from "../formats/sharp.ts";

/** Options of {@linkcode decodeImage}. */
export interface DecodeOptions {
  /**
   * `true`: RGB as shown in the scanner, transparent pixels composited onto
   * grey (128, 128, 128). `false`: RGBA when the image has an alpha band
   * (PNG), RGB otherwise.
   * @default true
   */
  asDisplayed?: boolean;
  /** Where the bytes came from, for error messages. */
  source?: string;
}

/**
 * Decodes encoded image bytes to 8-bit pixels.
 *
 * @throws {MalformedFileError} when the bytes are not a readable image
 * @throws {PermissionMissingError} when sharp cannot load ({@linkcode SHARP_FLAGS})
 * @example
 * ```ts
 * import { decodeImage } from "@laion/fmri/stimuli";
 * const px = await decodeImage(await Deno.readFile("a.png")); // RGB on grey
 * ```
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Pixels> {
  const sharp = await loadSharp("decode images");
  const asDisplayed = options.asDisplayed ?? true;
  let raw: { data: Uint8Array; info: { width: number; height: number; channels: number } };
  let palette = false;
  try {
    const img = sharp(bytes);
    raw = await img.clone().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (raw.info.channels === 4 && asDisplayed) palette = (await img.metadata()).isPalette === true;
  } catch (e) {
    const refused = sharpError(e, "decode images");
    if (refused !== e) throw refused;
    throw new MalformedFileError(
      options.source ?? "image bytes",
      `not a decodable image (${(e as Error).message})`,
      undefined,
      { cause: e },
    );
  }
  const { width, height, channels } = raw.info;
  const src = new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const hasAlpha = channels === 2 || channels === 4;
  const grey = channels <= 2;
  const n = width * height;
  const outChannels = hasAlpha && !asDisplayed ? 4 : 3;
  const out = new Uint8Array(n * outChannels);
  // Pillow decides by band: RGBA and LA are composited; P (even with a
  // transparent entry) is converted to RGB directly, ignoring transparency.
  const composite = hasAlpha && asDisplayed && !palette;
  const [bgR, bgG, bgB] = PRESENTATION_BACKGROUND_RGB8;
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    const r = src[s], g = grey ? r : src[s + 1], b = grey ? r : src[s + 2];
    const o = i * outChannels;
    if (composite) {
      const a = src[s + channels - 1];
      out[o] = over(r, bgR, a);
      out[o + 1] = over(g, bgG, a);
      out[o + 2] = over(b, bgB, a);
    } else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (outChannels === 4) out[o + 3] = hasAlpha ? src[s + channels - 1] : 255;
    }
  }
  return { width, height, channels: outChannels, data: out };
}

/**
 * Pillow's `alpha_composite` of one channel over an opaque background
 * (libImaging/AlphaComposite.c, PRECISION_BITS = 7).
 */
export function over(src: number, dst: number, alpha: number): number {
  if (alpha === 0) return dst;
  const tmp = 128 * (src * alpha + dst * (255 - alpha)) + (0x80 << 7);
  return (((tmp >> 8) + tmp) >> 8) >> 7;
}
