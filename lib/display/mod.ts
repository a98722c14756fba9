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
  plotTrials,
  TrialCard,
  trialCard,
  type TrialCardData,
  trialGrid,
  type TrialGridOptions,
  type TrialGridViewOptions,
} from "./stimulus_views.ts";
export {
  type EncodingMapsFigures,
  type EncodingMapsInput,
  type EncodingMapsOptions,
  plotEncodingMaps,
} from "./encoding_maps.ts";
export { Figure, type FigureSaveOptions } from "./figure.ts";
export { svgToPicture, type SvgToPictureOptions } from "./svg.ts";
export { plotScatter, type ScatterOptions, scatterPlot } from "./scatter.ts";
export { type HistogramOptions, histogramPlot, plotHistogram } from "./histogram.ts";
export { type HeatmapOptions, type HeatmapPanel, heatmapPlot, plotHeatmap } from "./heatmap.ts";
export { type Affine, plotStatMap, type StatMapInput, type StatMapOptions } from "./stat_map.ts";
export { brainMap, type BrainMapInput, type BrainMapOptions } from "./brain_map.ts";
export { type GridImage, imageGrid, type ImageGridOptions, plotImages } from "./image_grid.ts";
export { plotVoxelValues, type PlotVoxelValuesOptions } from "./voxel_map.ts";
export {
  colormap,
  colormapCss,
  type ColormapName,
  COLORMAPS,
  colormapTable,
  type Rgb,
} from "./colormaps.ts";
export {
  type Camera,
  type Hemisphere,
  HEMISPHERES,
  type ProjectedExtent,
  projectedExtent,
  type RasterImage,
  type RasterizeOptions,
  rasterizeSurface,
  roiContour,
  SURFACE_VIEWS,
  type SurfaceOutline,
  type SurfaceView,
  type ValueMap,
  type Vec3,
  viewCamera,
} from "./surface_render.ts";
export {
  plotSurfRoi,
  plotSurfStatMap,
  plotSurfViews,
  surfaceColorbarTicks,
  type SurfaceColormap,
  surfaceColormapTable,
  type SurfaceLayer,
  type SurfacePlotOptions,
  type SurfaceRoi,
  type SurfaceRoiLayer,
  type SurfaceRoiOptions,
  type SurfaceStatMapOptions,
  type SurfaceViewsOptions,
} from "./surface_plot.ts";
export type { DisplayBundle } from "../core/display.ts";
export { flushOutput, type FlushOutputOptions } from "../core/notebook.ts";
