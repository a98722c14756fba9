/**
 * A picture the library drew: PNG bytes that Deno's Jupyter kernel shows
 * inline (with a caption), that a script saves to a file, and that a
 * terminal summarises in one line.
 * @module
 */
import { base64 } from "../core/base64.ts";
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  escapeHtml,
  JUPYTER_DISPLAY,
} from "../core/display.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { encodePng, type PngImage } from "../formats/png_write.ts";

/**
 * An encoded picture.
 *
 * @example
 * ```ts
 * import { Picture } from "@laion/fmri/plot";
 * const p = Picture.fromPixels({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) }, "ramp");
 * await p.save("ramp.png");
 * ```
 */
export class Picture {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** The PNG file bytes. */
  readonly png: Uint8Array;
  /** A one-line caption (what is shown, the value range). */
  readonly caption: string;

  /** Creates an instance from PNG bytes. */
  constructor(png: Uint8Array, width: number, height: number, caption = "") {
    this.png = png;
    this.width = width;
    this.height = height;
    this.caption = caption;
  }

  /** Encodes pixels as PNG. */
  static fromPixels(image: PngImage, caption = ""): Picture {
    return new Picture(encodePng(image), image.width, image.height, caption);
  }

  /**
   * Writes the PNG to `path` (atomically: a temp file in the same folder,
   * then a rename), so it needs read and write grants for the folder, e.g.
   * `--allow-read=x --allow-write=x` for `x/grid.png`.
   * @throws {PermissionMissingError} naming `--allow-read=<folder> --allow-write=<folder>` when a grant is missing
   */
  async save(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await writeFileAtomic(path, this.png, options);
  }

  /** The PNG as base64 (for data URLs and notebooks). */
  toBase64(): string {
    return base64(this.png);
  }

  /** One line: size and caption. */
  toString(): string {
    return `Picture ${this.width}x${this.height}${this.caption ? `: ${this.caption}` : ""}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown inline by Deno's Jupyter kernel, with its caption. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    const b64 = this.toBase64();
    return {
      "image/png": b64,
      "text/html": `<figure style="margin:0"><img src="data:image/png;base64,${b64}" ` +
        `width="${this.width}" height="${this.height}"/>` +
        (this.caption ? `<figcaption>${escapeHtml(this.caption)}</figcaption>` : "") +
        `</figure>`,
      "text/plain": this.toString(),
    };
  }
}
