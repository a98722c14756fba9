/**
 * The bucket source for advanced use: list, head and ranged get on the
 * dataset's S3 bucket (or any S3 endpoint), anonymously, with retries and
 * typed errors, and a listing cache in front. `BucketSource` is small enough
 * to implement over another transport and hand to every call as `source`.
 *
 * @example
 * ```ts
 * import { getSource } from "@laion/fmri/bucket";
 * const { commonPrefixes } = await getSource().list("derivatives/", { delimiter: "/" });
 * ```
 * @module
 */
export type { BucketObject, BucketSource, GetOptions, Listing, ObjectBody } from "./source.ts";
export { type RequestStats, S3Source, type S3SourceOptions } from "./s3_source.ts";
export { type BucketOptions, CachedSource, getSource } from "./cached_source.ts";
export { BUCKET_LAYOUTS, type BucketLayout } from "../core/constants.ts";
export { getBucketLayout } from "./layout.ts";
export { ObjectByteSource, type ObjectByteSourceOptions } from "./object_byte_source.ts";
export type { ByteRange, ByteReadOptions, ByteSource } from "../core/byte_source.ts";
export {
  configureBucket,
  type ConfigureBucketOptions,
  getRequestStats,
  refreshListings,
} from "./cached_source.ts";
export {
  describe,
  getRoiInventory,
  getRois,
  type GetRoisOptions,
  getSubjects,
  inspectBucket,
  type PrintOptions,
} from "./discovery.ts";
export { getSubjectSessions, type SubjectSessions } from "./sessions.ts";
export { BUCKET, REGION } from "../core/constants.ts";
export { isPublicKey, resolveSessionId, resolveSubjectId, type SessionId } from "../core/ids.ts";
