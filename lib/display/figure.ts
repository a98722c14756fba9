/**
 * A figure the library drew, as SVG: every `plot*` function returns one.
 * Deno's Jupyter kernel shows it inline as `image/svg+xml`, which needs no
 * permission at all; when sharp can load (`--allow-ffi`, as the kernel's
 * default grants), the display bundle also carries a PNG for viewers that
 * show no SVG outputs. Scripts save it as `.svg` (no permission beyond the
 * folder's) or `.png` (rendered by sharp/librsvg).
 * @module
 */
import { CUSTOM_INSPECT, type DisplayBundle, JUPYTER_DISPLAY } from "../core/display.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { SHARP_ENV } from "../formats/sharp.ts";
import type { Picture } from "./picture.ts";
import { svgToPicture } from "./svg.ts";

/** Options of {@linkcode Figure.save}. */
export interface FigureSaveOptions {
  /** Stops before writing. */
  signal?: AbortSignal;
}

/**
 * An SVG figure (1 SVG unit = 1 pixel) with a one-line caption.
 *
 * @example
 * ```ts
 * import { plotHistogram } from "@laion/fmri/plot";
 * const fig = plotHistogram([0.1, 0.2, 0.2, 0.4], { xLabel: "voxel r" });
 * console.log(fig.width, fig.height, fig.svg.startsWith("<svg")); // 480 320 true
 * await fig.save("r.svg"); // no --allow-ffi needed
 * await fig.save("r.png"); // rendered through sharp (--allow-ffi)
 * ```
 */
export class Figure {
  /** The SVG document. */
  readonly svg: string;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** A one-line caption (what is shown, the value range). */
  readonly caption: string;

  /** Creates an instance from an SVG document. */
  constructor(svg: string, width: number, height: number, caption = "") {
    this.svg = svg;
    this.width = width;
    this.height = height;
    this.caption = caption;
  }

  /**
   * The figure rendered to PNG through sharp (librsvg, text in DejaVu Sans).
   * @throws {PermissionMissingError} naming sharp's flags (`--allow-ffi` …) when one is missing
   */
  async toPicture(options: { signal?: AbortSignal } = {}): Promise<Picture> {
    return await svgToPicture(this.svg, { caption: this.caption, signal: options.signal });
  }

  /**
   * Writes the figure to `path`: `.svg` as SVG text, `.png` rendered through
   * sharp. The file is written atomically (a temp file beside it, then a
   * rename), so it needs `--allow-read=<folder> --allow-write=<folder>`.
   * @throws {RangeError} when `path` ends in neither `.svg` nor `.png`
   * @throws {PermissionMissingError} naming the missing flags
   */
  async save(path: string, options: FigureSaveOptions = {}): Promise<void> {
    const ext = path.toLowerCase().match(/\.(svg|png)$/)?.[1];
    if (ext === "svg") {
      await writeFileAtomic(path, new TextEncoder().encode(this.svg), options);
    } else if (ext === "png") {
      await (await this.toPicture(options)).save(path, options);
    } else {
      throw new RangeError(
        `cannot tell the format of ${JSON.stringify(path)}; valid endings: .svg, .png`,
      );
    }
  }

  /** One line: size and caption. */
  toString(): string {
    return `Figure ${this.width}x${this.height}${this.caption ? `: ${this.caption}` : ""}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /**
   * Shown inline by Deno's Jupyter kernel: the SVG (no permission needed),
   * plus a PNG when sharp's permissions are already granted (never prompts).
   */
  async [JUPYTER_DISPLAY](): Promise<DisplayBundle> {
    const bundle: DisplayBundle = {
      "image/svg+xml": this.svg,
      "text/plain": this.toString(),
    };
    if (sharpGranted()) {
      try {
        bundle["image/png"] = (await this.toPicture()).toBase64();
      } catch {
        // sharp could not load or render: the SVG alone is shown.
      }
    }
    return bundle;
  }
}

/** Whether every permission sharp needs is granted already (a query, never a prompt). */
function sharpGranted(): boolean {
  const q = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  if (!q({ name: "ffi" }) || !q({ name: "read" })) return false;
  return SHARP_ENV.every((variable) => q({ name: "env", variable }));
}
