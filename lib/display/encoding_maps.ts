/**
 * The pictures of a merged encoding job (`encode merge`): the whole-brain
 * held-out r map over the subject's T1w (nilearn's `plot_stat_map`
 * conventions), a histogram of r, and the r map on fsaverage (lateral and
 * medial, both hemispheres). Plain data in (see `encodingMapsData` of
 * `@laion/fmri/jobs`, which loads it), Figures out.
 * @module
 */
import type { SurfaceMesh } from "../formats/freesurfer_surface.ts";
import type { Figure } from "./figure.ts";
import { plotHistogram } from "./histogram.ts";
import { type Affine, plotStatMap } from "./stat_map.ts";
import { plotSurfViews } from "./surface_plot.ts";

/** What {@linkcode plotEncodingMaps} draws. */
export interface EncodingMapsInput {
  /** The subject, e.g. `"sub-01"` (for the titles). */
  subject: string;
  /** The feature model, e.g. `"CLIP"` (for the titles). */
  model: string;
  /** The background: the T1w on the maps' grid. */
  t1w: { data: ArrayLike<number>; dims: readonly [number, number, number]; affine: Affine };
  /** Held-out r on the same grid (NaN or 0: no value). */
  rVolume: ArrayLike<number>;
  /** Held-out r per fitted voxel (NaN: not fitted, left out of the histogram). */
  r: ArrayLike<number>;
  /** The r map on fsaverage with its (inflated) meshes, when there is one. */
  surface?: {
    density: string;
    left: { mesh: SurfaceMesh; values: ArrayLike<number> };
    right: { mesh: SurfaceMesh; values: ArrayLike<number> };
  };
}

/** Options of {@linkcode plotEncodingMaps}. */
export interface EncodingMapsOptions {
  /** Voxels and vertices with `|r|` below this show the background. @default 0.1 */
  threshold?: number;
}

/** The Figures of {@linkcode plotEncodingMaps}. */
export interface EncodingMapsFigures {
  /** r over the T1w: axial cuts in mm, colour bar. */
  statMap: Figure;
  /** Histogram of r over the fitted voxels. */
  histogram: Figure;
  /** r on fsaverage, lateral and medial, both hemispheres (when the input has a surface). */
  surface?: Figure;
}

/**
 * Draws a merged encoding job's r maps.
 *
 * @throws {RangeError} when the r volume and the T1w differ in size
 * @example
 * ```ts
 * import { encodingMapsData, mergeEncodingJob } from "@laion/fmri/jobs";
 * import { plotEncodingMaps } from "@laion/fmri/plot";
 * const merged = await mergeEncodingJob("encode-clip");
 * const figs = plotEncodingMaps(await encodingMapsData("encode-clip", merged.subjects[0]));
 * await figs.statMap.save("r.png");
 * ```
 */
export function plotEncodingMaps(
  input: EncodingMapsInput,
  options: EncodingMapsOptions = {},
): EncodingMapsFigures {
  const threshold = options.threshold ?? 0.1;
  const [ni, nj, nk] = input.t1w.dims;
  if (input.rVolume.length !== ni * nj * nk || input.t1w.data.length !== ni * nj * nk) {
    throw new RangeError(
      `the r volume (${input.rVolume.length} voxels) and the T1w (${input.t1w.data.length}) ` +
        `are not both on the ${ni}x${nj}x${nk} grid`,
    );
  }
  const what = `${input.subject}, ${input.model}: held-out r`;
  const statMap = plotStatMap(
    {
      anatomy: input.t1w.data,
      dims: input.t1w.dims,
      affine: input.t1w.affine,
      overlay: input.rVolume,
    },
    { displayMode: "z", cuts: 5, threshold, title: `${what} (|r| >= ${threshold})`, label: "r" },
  );
  const fitted = Array.from(input.r).filter((v) => Number.isFinite(v));
  const histogram = plotHistogram(fitted, {
    bins: 50,
    title: what, // plotHistogram adds the median and n
    width: 640,
    xLabel: "held-out Pearson r",
    yLabel: "voxels",
  });
  const s = input.surface;
  const surface = s
    ? plotSurfViews(
      { left: s.left, right: s.right },
      {
        views: ["lateral", "medial"],
        threshold,
        label: "r",
        title: `${what} on ${s.density} (inflated)`,
      },
    )
    : undefined;
  return { statMap, histogram, surface };
}
