/**
 * Download: selective (upstream's filters), parallel, resumable and
 * verified, with license consent and progress. Only what users call is
 * exported here; the plumbing (transfers, manifest, progress bar) is not.
 *
 * @example
 * ```ts
 * import { planDownload } from "@laion/fmri/download";
 * const plan = await planDownload({ subject: "01", session: "01", dataDir: "/data" });
 * console.log(plan.files.length);
 * ```
 * @module
 */
export { download, type DownloadOptions, type DownloadResult, formatSummary } from "./download.ts";
export type { DownloadBaseOptions } from "./execute.ts";
export type { DownloadFilters, FilterValue, RawDownloadFilters } from "./filters.ts";
export { type DownloadPlan, planDownload, type PlannedFile, type PlanOptions } from "./plan.ts";
export type { PrefixPlan } from "./plan_builder.ts";
export {
  downloadRaw,
  type DownloadRawOptions,
  planRawDownload,
  type RawPlanOptions,
} from "./raw.ts";
export { type ConsentOptions, ensureConsent, type PromptFunction } from "./consent.ts";
export {
  CAPTIONS_KEY,
  downloadCaptions,
  downloadEmbeddings,
  downloadSegmentations,
  EMBEDDING_MODELS,
  embeddingKey,
  type EmbeddingModel,
  resolveEmbeddingModels,
  SEGMENTATIONS_KEY,
  SEGMENTATIONS_METADATA_KEY,
  type StimulusSideOptions,
} from "./stimulus_side.ts";
export type { DownloadProgress } from "./progress.ts";
export type {
  DownloadSummary,
  PrefixResult,
  TransferProgress,
  TransferTuning,
} from "./transfer/options.ts";
