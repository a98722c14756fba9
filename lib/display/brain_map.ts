/**
 * The former name of {@linkcode plotStatMap}, kept for old callers.
 * @module
 */
import { InvalidChoiceError } from "../core/errors.ts";
import type { Picture } from "./picture.ts";
import { plotStatMap, type StatMapInput, type StatMapOptions, toWorld } from "./stat_map.ts";

/**
 * The data of {@linkcode brainMap}.
 * @deprecated Use {@linkcode StatMapInput} (the same fields, plus `affine` for millimetres).
 */
export type BrainMapInput = StatMapInput;

/**
 * Options of {@linkcode brainMap}: {@linkcode StatMapOptions} plus the old
 * layout fields, which map onto it.
 */
export interface BrainMapOptions extends StatMapOptions {
  /**
   * Three orthogonal slices, or a row of axial slices.
   * @deprecated Use `displayMode: "ortho"` or `displayMode: "z"`.
   */
  layout?: "orthogonal" | "axial";
  /**
   * Number of axial slices for `layout: "axial"`.
   * @deprecated Use `cuts`.
   */
  slices?: number;
  /**
   * The voxel the orthogonal slices pass through.
   * @deprecated Use `cutCoords` (millimetres; equal to voxel indices when the input has no affine).
   */
  center?: readonly [number, number, number];
  /** Stops before rendering the PNG. */
  signal?: AbortSignal;
}

/**
 * The {@linkcode StatMapOptions} an old {@linkcode BrainMapOptions} means.
 *
 * @throws {InvalidChoiceError} for a `layout` other than `"orthogonal"` or `"axial"`
 * @example
 * ```ts
 * import { statMapOptions } from "./brain_map.ts";
 * statMapOptions({ layout: "axial", slices: 3 }); // { displayMode: "z", cuts: 3 }
 * ```
 */
export function statMapOptions(options: BrainMapOptions, input?: StatMapInput): StatMapOptions {
  const { layout, slices, center, signal: _signal, ...rest } = options;
  const out: StatMapOptions = { ...rest };
  if (layout === "axial") out.displayMode = "z";
  else if (layout === "orthogonal") out.displayMode = "ortho";
  else if (layout !== undefined) {
    throw new InvalidChoiceError("layout", layout, ["orthogonal", "axial"]);
  }
  if (slices !== undefined) out.cuts ??= slices;
  if (center !== undefined && out.cutCoords === undefined) {
    const a = input?.affine;
    out.cutCoords = a ? toWorld(a, center) : [...center];
  }
  return out;
}

/**
 * {@linkcode plotStatMap} rendered to PNG.
 *
 * Note: `threshold` now hides `|value| < threshold` (nilearn's meaning); for
 * maps without negative values this is what it did before.
 * @deprecated Use {@linkcode plotStatMap}, which returns a {@linkcode Figure}
 *   (`await fig.toPicture()` gives this Picture; `fig.save("x.png")` saves it).
 * @example
 * ```ts
 * import { brainMap } from "@laion/fmri/plot";
 * const anatomy = new Float32Array(8 * 8 * 8).fill(1);
 * const pic = await brainMap({ anatomy, dims: [8, 8, 8] }, { layout: "axial", slices: 2 });
 * ```
 */
export async function brainMap(
  input: BrainMapInput,
  options: BrainMapOptions = {},
): Promise<Picture> {
  options.signal?.throwIfAborted();
  const fig = plotStatMap(input, statMapOptions(options, input));
  return await fig.toPicture({ signal: options.signal });
}
