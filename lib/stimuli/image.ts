/**
 * A decoded stimulus image: 8-bit RGB (or RGBA) pixels, row-major, that
 * shows itself as a picture in Deno's Jupyter kernel.
 * @module
 */
import { base64 } from "../core/base64.ts";
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  escapeHtml,
  JUPYTER_DISPLAY,
} from "../core/display.ts";
import { encodePng } from "../formats/png_write.ts";

/** Pixels of one image. */
export interface Pixels {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** `height * width * channels` bytes, top row first. */
  data: Uint8Array;
}

/**
 * One decoded stimulus image.
 *
 * @example
 * ```ts
 * import { loadStimuli } from "@laion/fmri";
 * const stim = await loadStimuli();
 * const img = await stim.images.get(0); // RGB, transparent pixels on grey (128, 128, 128)
 * console.log(img.width, img.height, img.channels, img.data[0]);
 * ```
 */
export class StimulusImage implements Pixels {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA, only with `asDisplayed: false`). */
  readonly channels: 3 | 4;
  /** `height * width * channels` bytes, top row first. */
  readonly data: Uint8Array;
  /** The image name (`image_name` of the metadata), or `""`. */
  readonly name: string;

  /** Creates an instance. */
  constructor(pixels: Pixels, name = "") {
    this.width = pixels.width;
    this.height = pixels.height;
    this.channels = pixels.channels;
    this.data = pixels.data;
    this.name = name;
  }

  /** The pixel at column `x`, row `y` (3 or 4 values). */
  pixel(x: number, y: number): number[] {
    if (
      !(Number.isInteger(x) && x >= 0 && x < this.width && Number.isInteger(y) && y >= 0 &&
        y < this.height)
    ) {
      throw new RangeError(`pixel (${x}, ${y}) outside the ${this.width}x${this.height} image`);
    }
    const at = (y * this.width + x) * this.channels;
    return Array.from(this.data.subarray(at, at + this.channels));
  }

  /** The image as PNG bytes. */
  toPng(): Uint8Array {
    return encodePng(this);
  }

  /** One line: name, size, channels. */
  toString(): string {
    return `StimulusImage ${this.name ? `${this.name} ` : ""}${this.width}x${this.height} ` +
      (this.channels === 3 ? "RGB" : "RGBA");
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown as the picture (reduced to at most 512 px) with its name. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    const small = downscale(this, 512);
    const b64 = base64(encodePng(small));
    const w = Math.min(small.width, 256);
    return {
      "image/png": b64,
      "text/html": `<figure style="margin:0"><img src="data:image/png;base64,${b64}" ` +
        `width="${w}"/><figcaption>${escapeHtml(this.toString())}</figcaption></figure>`,
      "text/plain": this.toString(),
    };
  }
}

/**
 * A smaller copy (box-filter average over whole-pixel blocks) whose longer
 * side is at most `maxSide`; the input when it is already small enough.
 *
 * @example
 * ```ts
 * import { downscale } from "./image.ts";
 * const small = downscale({ width: 1000, height: 1000, channels: 3, data: new Uint8Array(3e6) }, 250);
 * console.log(small.width); // 250
 * ```
 */
export function downscale(px: Pixels, maxSide: number): Pixels {
  const f = Math.ceil(Math.max(px.width, px.height) / Math.max(1, maxSide));
  if (f <= 1) return px;
  const w = Math.floor(px.width / f), h = Math.floor(px.height / f), c = px.channels;
  const out = new Uint8Array(w * h * c);
  const n = f * f;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) {
          let at = ((y * f + dy) * px.width + x * f) * c + k;
          for (let dx = 0; dx < f; dx++, at += c) s += px.data[at];
        }
        out[(y * w + x) * c + k] = Math.round(s / n);
      }
    }
  }
  return { width: w, height: h, channels: px.channels, data: out };
}
