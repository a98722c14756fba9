/**
 * Per-process listing cache in front of a {@linkcode BucketSource}, plus the
 * default source used when a call is given none.
 * @module
 */
import type { BucketObject, BucketSource, GetOptions, Listing, ObjectBody } from "./source.ts";
import { SharedCache } from "../core/abort.ts";
import { type RequestStats, resolveEndpoint, S3Source, type S3SourceOptions } from "./s3_source.ts";

/**
 * Caches listings by prefix and delimiter; concurrent identical listings
 * share one request. HEAD and GET pass through.
 *
 * @example
 * ```ts
 * import { CachedSource, S3Source } from "@laion/fmri";
 * const source = new CachedSource(new S3Source({ endpoint: "http://127.0.0.1:7480" }));
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
  /** Cancels the requests. */
  signal?: AbortSignal;
}

const defaults = new Map<string, CachedSource>();
let configured: S3SourceOptions = {};

/**
 * Sets the options of the default source (endpoint, retries, timeouts) for
 * the rest of the process.
 *
 * @example
 * ```ts
 * import { configureBucket } from "@laion/fmri";
 * configureBucket({ endpoint: "http://127.0.0.1:7480" });
 * ```
 */
export function configureBucket(options: S3SourceOptions): void {
  configured = { ...options };
  defaults.clear();
}

/**
 * The source a call should use: `options.source`, else the cached default
 * source for the endpoint in effect.
 *
 * @example
 * ```ts
 * import { getSource } from "@laion/fmri";
 * console.log(getSource().endpoint);
 * ```
 */
export function getSource(options: BucketOptions = {}): BucketSource {
  if (options.source) return options.source;
  const endpoint = resolveEndpoint(options.endpoint ?? configured.endpoint);
  let source = defaults.get(endpoint);
  if (!source) {
    source = new CachedSource(new S3Source({ ...configured, endpoint }));
    defaults.set(endpoint, source);
  }
  return source;
}

/**
 * Forgets every cached listing of the default sources, so the next
 * discovery call sees the bucket as it is now.
 *
 * @example
 * ```ts
 * import { refreshListings } from "@laion/fmri";
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
 * import { getRequestStats } from "@laion/fmri";
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
