/**
 * Templates from TemplateFlow's public S3 bucket, cached and verified:
 * fsaverage surfaces (10k/41k/164k) and the MNI305 T1w.
 *
 * @example
 * ```ts
 * import { fsaverageMesh, mni305Template } from "@laion/fmri/templates";
 * const sphere = await fsaverageMesh("L", "fsaverage5");
 * const mni = await mni305Template();
 * ```
 * @module
 */
export {
  fetchTemplate,
  FSAVERAGE_DENSITIES,
  FSAVERAGE_SURFACES,
  FSAVERAGE_VERTICES,
  type FsaverageDensity,
  fsaverageDensity,
  type FsaverageMesh,
  fsaverageMesh,
  type FsaverageSurface,
  MNI305_T1W_KEY,
  mni305Template,
  TEMPLATEFLOW_BUCKET,
  TEMPLATEFLOW_BUCKET_ENV,
  TEMPLATEFLOW_ENDPOINT,
  TEMPLATEFLOW_ENDPOINT_ENV,
  templateKey,
  type TemplateOptions,
  type TemplateQuery,
  type TemplateSettings,
  templateSettings,
  templateSource,
} from "./templateflow.ts";
export { TemplateUnavailableError } from "../core/errors.ts";
