/**
 * Download: selective (upstream's filters), parallel, resumable and
 * verified, with license consent and progress.
 *
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * await download({ subject: "01", ses: "01", acceptLicense: true });
 * ```
 * @module
 */
export {
  type DownloadFilters,
  entityValues,
  fileParts,
  type FilterValue,
  matchesFilters,
} from "./filters.ts";
export {
  brainMaskKey,
  type DownloadPlan,
  localPathFor,
  planDownload,
  type PlannedFile,
  type PlanOptions,
} from "./plan.ts";
export {
  type DownloadSummary,
  isMd5Etag,
  transferFiles,
  type TransferOptions,
  type TransferProgress,
} from "./transfer.ts";
export { type Manifest, openManifest } from "./manifest.ts";
export {
  CONSENT_ANSWER,
  type ConsentOptions,
  DATASET_LICENSE_TEXT,
  ensureConsent,
  LICENSE_MARKER,
  licenseAccepted,
  type PromptFunction,
  STIMULI_TERMS_MARKER,
  STIMULI_TERMS_TEXT,
  stimuliTermsAccepted,
} from "./consent.ts";
export { type DownloadProgress, formatBytes, ProgressReporter } from "./progress.ts";
export { download, type DownloadOptions, formatSummary } from "./download.ts";
