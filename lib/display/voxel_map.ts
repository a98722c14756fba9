/**
 * Any per-voxel array of a subject on its T1w, as nilearn's `plot_stat_map`
 * would show it: slices through the ROI in millimetres, the values through a colour map
 * with a colour bar, the ROI outlined. The values follow the subject's
 * voxel axis (all brain voxels, or the voxels of `roi` in the same order as
 * `getBetas({ roi })`'s columns).
 * @module
 */
import type { RoiQuery } from "../subject/roi_grammar.ts";
import type { Subject } from "../subject/subject.ts";
import { type BrainMapOptions, statMapOptions } from "./brain_map.ts";
import type { Figure } from "./figure.ts";
import { plotStatMap } from "./stat_map.ts";

/** Options of {@linkcode plotVoxelValues}. */
export interface PlotVoxelValuesOptions extends BrainMapOptions {
  /**
   * The ROI the values belong to (one value per ROI voxel), outlined;
   * without it, one value per brain voxel and no outline.
   */
  roi?: RoiQuery;
}

/**
 * Draws `values` (NaN = not drawn) on the subject's `res-1pt8` T1w with
 * {@linkcode plotStatMap}: cuts in millimetres (the T1w's affine), zoomed
 * to the ROI when one is given.
 *
 * @throws {RangeError} when `values` does not have one value per voxel of
 *   `roi` (or of the brain)
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { plotVoxelValues } from "@laion/fmri/plot";
 * const sub = await loadSubject("sub-01");
 * const nc = await sub.getNoiseCeiling({ session: "ses-01", roi: "FFA1" });
 * const picture = await plotVoxelValues(sub, nc, { roi: "FFA1", label: "NC (%)" });
 * await picture.save("ffa1_nc.png");
 * ```
 */
export async function plotVoxelValues(
  sub: Subject,
  values: ArrayLike<number>,
  options: PlotVoxelValuesOptions = {},
): Promise<Figure> {
  const { roi, signal, ...rest } = options;
  const t1 = await (await sub.getT1w({ res: "1pt8", signal })).load({ signal });
  const brain = await sub.getBrainMask({ signal });
  const selected = roi === undefined ? undefined : await sub.getRoiMask(roi, { signal });
  const n = selected ? selected.reduce((a, b) => a + b, 0) : brain.reduce((a, b) => a + b, 0);
  if (values.length !== n) {
    const what = roi === undefined ? "brain voxel" : `voxel of ${JSON.stringify(roi)}`;
    throw new RangeError(`values has ${values.length} entries; expected one per ${what} (${n})`);
  }
  if (brain.length !== t1.data.length) {
    throw new RangeError(
      `the T1w grid (${t1.shape.join("x")}) is not the brain mask's (${brain.length} voxels)`,
    );
  }
  const overlay = new Float64Array(brain.length).fill(NaN);
  const outline = selected ? new Uint8Array(brain.length) : undefined;
  for (let g = 0, c = 0, v = 0; g < brain.length; g++) {
    if (!brain[g]) continue;
    if (!selected) overlay[g] = values[v++];
    else if (selected[c]) (overlay[g] = values[v++], outline![g] = 1);
    c++;
  }
  signal?.throwIfAborted();
  const input = {
    anatomy: t1.data,
    dims: t1.shape,
    affine: t1.header.affine,
    overlay,
    roi: outline,
  };
  return plotStatMap(input, statMapOptions(rest, input));
}
