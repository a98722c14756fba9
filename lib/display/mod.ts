/**
 * Pictures: brain slices and maps, charts (scatter, histogram, heatmap),
 * image grids and trial cards, colour maps, and `Picture`, which a Jupyter
 * kernel shows inline and a script saves as PNG.
 *
 * @example
 * ```ts
 * import { sliceImage } from "@laion/fmri/plot";
 * const data = Float32Array.from({ length: 8 * 8 * 8 }, (_, i) => i % 8);
 * const picture = sliceImage({ data, shape: [8, 8, 8] }, { view: "axial", title: "ramp" });
 * await picture.save("ramp.png");
 * ```
 * @module
 */
export { Picture } from "./picture.ts";
export { sliceImage, type SliceOptions, type Volume3d } from "./slices.ts";
export {
  ImageGrid,
  TrialCard,
  trialCard,
  type TrialCardData,
  trialGrid,
  type TrialGridOptions,
  type TrialGridViewOptions,
} from "./stimulus_views.ts";
export { svgToPicture, type SvgToPictureOptions } from "./svg.ts";
export { type ScatterOptions, scatterPlot } from "./scatter.ts";
export { type HistogramOptions, histogramPlot } from "./histogram.ts";
export { type HeatmapOptions, type HeatmapPanel, heatmapPlot } from "./heatmap.ts";
export { brainMap, type BrainMapInput, type BrainMapOptions } from "./brain_map.ts";
export { type GridImage, imageGrid, type ImageGridOptions } from "./image_grid.ts";
export { plotVoxelValues, type PlotVoxelValuesOptions } from "./voxel_map.ts";
export { colormap, type ColormapName, COLORMAPS } from "./colormap.ts";
export type { DisplayBundle } from "../core/display.ts";
export { flushOutput, type FlushOutputOptions } from "../core/notebook.ts";
