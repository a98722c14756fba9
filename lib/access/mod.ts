/**
 * The gated stimulus images: the access service's client, the request-id
 * cache, verified resumable downloads of presigned URLs, the access form and
 * `downloadStimuli` (also in the main module, with `requestStimulusAccess`).
 * Only what users call is exported here.
 *
 * @example
 * ```ts
 * import { fetchManifest, loadRequestId } from "@laion/fmri/access";
 * const manifest = await fetchManifest(); // the files, their sizes and sha256
 * console.log(manifest.files.length, await loadRequestId()); // your saved request, if any
 * ```
 * @module
 */
export {
  type AccessClientOptions,
  type AccessForm,
  type AccessGrant,
  accessServiceUrl,
  currentTermsVersion,
  DEFAULT_ACCESS_URL,
  fetchManifest,
  type GrantedFile,
  type ManifestFile,
  refreshUrls,
  type StimulusManifest,
  submitAccessRequest,
} from "./client.ts";
export {
  downloadFile,
  type DownloadFileOptions,
  type DownloadFileResult,
  type FileProgress,
} from "./download_file.ts";
export { ACCESS_FORM_CELL } from "./form.ts";
export type { LinePrompt } from "./prompt.ts";
export {
  type AccessRequestFields,
  type RequestAccessOptions,
  requestStimulusAccess,
} from "./request_access.ts";
export {
  authFilePath,
  clearRequestId,
  loadRequestId,
  REQUEST_ID_ENV,
  type RequestIdOptions,
  saveRequestId,
} from "./request_id.ts";
export {
  downloadStimuli,
  type DownloadStimuliOptions,
  STIMULUS_FILES,
  type StimulusFileName,
} from "./stimuli.ts";
