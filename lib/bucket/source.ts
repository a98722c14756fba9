/**
 * The one source abstraction over the bucket, small enough for other
 * transports: list, head and ranged get. {@linkcode S3Source} implements it
 * over anonymous HTTP; {@linkcode CachedSource} caches its listings.
 * @module
 */

/** One object of a listing. */
export interface BucketObject {
  /** Full key, verbatim as on the bucket. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** ETag without quotes (an MD5 hex string for single-part uploads). */
  etag?: string;
}

/** Result of one (fully paginated) listing. */
export interface Listing {
  /** Objects directly matched (all objects below the prefix without a delimiter). */
  objects: BucketObject[];
  /** Immediate sub-prefixes (with a delimiter), full and ending in the delimiter. */
  commonPrefixes: string[];
}

/** Options of a ranged GET. */
export interface GetOptions {
  /** First byte to fetch (inclusive). @default 0 */
  start?: number;
  /** Last byte to fetch (inclusive). @default the end of the object */
  end?: number;
  /** Require this ETag (sends `If-Match`); a changed object answers 412. */
  ifMatch?: string;
  /** Cancels the request and the body. */
  signal?: AbortSignal;
}

/** An object body being received. */
export interface ObjectBody {
  /** HTTP status: 200 for a whole object, 206 for a range. */
  status: number;
  /** The body as a web stream. */
  body: ReadableStream<Uint8Array>;
  /** Bytes in this response body. */
  contentLength: number;
  /** `Content-Range` of a 206 response, e.g. `bytes 100-199/200`. */
  contentRange?: string;
  /** ETag without quotes. */
  etag?: string;
}

/**
 * What the rest of the module needs from a bucket. Implemented by
 * {@linkcode S3Source}; small enough for other transports.
 */
export interface BucketSource {
  /** Bucket name. */
  readonly bucket: string;
  /** Endpoint URL (for messages). */
  readonly endpoint: string;
  /** Lists every object (or common prefix, with a delimiter) under a prefix. */
  list(prefix: string, options?: { delimiter?: string; signal?: AbortSignal }): Promise<Listing>;
  /** Size and ETag of one object. */
  head(key: string, options?: { signal?: AbortSignal }): Promise<BucketObject>;
  /** Starts a GET of one object, optionally from an offset. */
  get(key: string, options?: GetOptions): Promise<ObjectBody>;
}
