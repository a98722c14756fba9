/**
 * Per-process listing cache in front of a {@linkcode BucketSource}, plus the
 * default source used when a call is given none.
 * @module
 */
import type { BucketObject, BucketSource, GetOptions, Listing, ObjectBody } from "./source.ts";
import { SharedCache } from "../core/abort.ts";
import { BUCKET_LAYOUTS, type BucketLayout } from "../core/constants.ts";
import {
  checkBucketName,
  type RequestStats,
  resolveBucketSettings,
  S3Source,
  type S3SourceOptions,
} from "./s3_source.ts";

/**
 * Caches listings by prefix and delimiter; concurrent identical listings
 * share one request. HEAD and GET pass through.
 *
 * @example
 * ```ts
 * import { CachedSource, S3Source } from "@laion/fmri/bucket";
 * const source = new CachedSource(new S3Source());
 * await source.list("derivatives/rois/sub-01/");
 * await source.list("derivatives/rois/sub-01/"); // no request
 * source.refresh();
 * ```
 */
export class CachedSource implements BucketSource {
  /** The source behind the cache. */
  readonly inner: BucketSource;
  // Shared by every caller: the listing runs without any one caller's signal,
  // so one caller's abort never fails the others.
  #listings = new SharedCache<string, Listing>();

  /** Creates an instance. @param inner the source to cache listings of */
  constructor(inner: BucketSource) {
    this.inner = inner;
  }

  get bucket(): string {
    return this.inner.bucket;
  }

  get endpoint(): string {
    return this.inner.endpoint;
  }

  list(
    prefix: string,
    options: { delimiter?: string; signal?: AbortSignal } = {},
  ): Promise<Listing> {
    const id = `${options.delimiter ?? ""}\u0000${prefix}`;
    const { delimiter, signal } = options;
    return this.#listings.get(id, () => this.inner.list(prefix, { delimiter }), signal);
  }

  head(key: string, options?: { signal?: AbortSignal }): Promise<BucketObject> {
    return this.inner.head(key, options);
  }

  get(key: string, options?: GetOptions): Promise<ObjectBody> {
    return this.inner.get(key, options);
  }

  /** Forgets cached listings (all, or those under `prefix`). */
  refresh(prefix?: string): void {
    if (prefix === undefined) return this.#listings.clear();
    this.#listings.clearWhere((id) => id.slice(id.indexOf("\u0000") + 1).startsWith(prefix));
  }
}

/** Options accepted by every call that reads the bucket. */
export interface BucketOptions {
  /** Use this source instead of the default one. */
  source?: BucketSource;
  /**
   * Endpoint for the default source.
   * @default env LAION_FMRI_S3_ENDPOINT, else the real bucket in us-west-2
   */
  endpoint?: string;
  /**
   * Bucket for the default source.
   * @default the configured bucket, else env LAION_FMRI_BUCKET, else "laion-fmri"
   */
  bucket?: string;
  /**
   * Layout of the bucket, which decides the subject probes and what
   * `inspectBucket` prints.
   * @default the configured layout, else detected from the bucket's root listing
   */
  layout?: BucketLayout;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** Options of {@linkcode configureBucket}. */
export interface ConfigureBucketOptions extends S3SourceOptions {
  /**
   * Layout of the bucket (see `getBucketLayout`).
   * @default detected from the bucket's root listing
   */
  layout?: BucketLayout;
}

const defaults = new Map<string, CachedSource>();
let configured: ConfigureBucketOptions = {};

/**
 * Sets the options of the default source (endpoint, bucket, layout,
 * retries, timeouts) for the rest of the process.
 *
 * @throws {RangeError} for an invalid bucket name or an unknown layout
 * @example
 * ```ts
 * import { configureBucket } from "@laion/fmri";
 * configureBucket({ endpoint: "https://s3.us-west-2.amazonaws.com", bucket: "laion-fmri" });
 * ```
 */
export function configureBucket(options: ConfigureBucketOptions): void {
  if (options.bucket !== undefined) checkBucketName(options.bucket);
  if (options.layout !== undefined) checkLayout(options.layout);
  configured = { ...options };
  defaults.clear();
}

/**
 * `layout` when it names a layout, else a RangeError.
 *
 * @example
 * ```ts
 * import { checkLayout } from "./cached_source.ts";
 * checkLayout("current"); // "current"
 * ```
 */
export function checkLayout(layout: string): BucketLayout {
  if (!(BUCKET_LAYOUTS as readonly string[]).includes(layout)) {
    throw new RangeError(
      `Unknown bucket layout ${JSON.stringify(layout)}: use ${BUCKET_LAYOUTS.join(" or ")}`,
    );
  }
  return layout as BucketLayout;
}

/**
 * The layout a call asked for: `options.layout`, else the one given to
 * {@linkcode configureBucket}, else `undefined` (detect it).
 *
 * @example
 * ```ts
 * import { requestedLayout } from "./cached_source.ts";
 * requestedLayout({ layout: "seed" }); // "seed"
 * ```
 */
export function requestedLayout(options: BucketOptions = {}): BucketLayout | undefined {
  const layout = options.layout ?? configured.layout;
  return layout === undefined ? undefined : checkLayout(layout);
}

/**
 * The source a call should use: `options.source`, else the cached default
 * source for the endpoint and bucket in effect.
 *
 * @example
 * ```ts
 * import { getSource } from "@laion/fmri/bucket";
 * console.log(getSource().endpoint);
 * ```
 */
export function getSource(options: BucketOptions = {}): BucketSource {
  if (options.source) return options.source;
  const { endpoint, bucket } = resolveBucketSettings({
    endpoint: options.endpoint ?? configured.endpoint,
    bucket: options.bucket ?? configured.bucket,
  });
  const id = `${endpoint}\u0000${bucket}`;
  let source = defaults.get(id);
  if (!source) {
    source = new CachedSource(new S3Source({ ...configured, endpoint, bucket }));
    defaults.set(id, source);
  }
  return source;
}

/**
 * Forgets every cached listing of the default sources, so the next
 * discovery call sees the bucket as it is now.
 *
 * @example
 * ```ts
 * import { refreshListings } from "@laion/fmri/bucket";
 * refreshListings();
 * ```
 */
export function refreshListings(): void {
  for (const s of defaults.values()) s.refresh();
}

/**
 * Requests the default sources have sent so far (listing pages, HEADs, GETs
 * and retries), summed over endpoints.
 *
 * @example
 * ```ts
 * import { getRequestStats } from "@laion/fmri/bucket";
 * console.log(getRequestStats().list);
 * ```
 */
export function getRequestStats(): RequestStats {
  const total: RequestStats = { list: 0, head: 0, get: 0, retries: 0 };
  for (const s of defaults.values()) {
    const inner = s.inner as S3Source;
    for (const k of Object.keys(total) as (keyof RequestStats)[]) total[k] += inner.stats?.[k] ?? 0;
  }
  return total;
}
