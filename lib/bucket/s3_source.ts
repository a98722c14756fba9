/**
 * {@linkcode S3Source}: anonymous ListObjectsV2, HEAD and ranged GET over
 * HTTP, with retries, typed errors and a request counter. Nothing is ever
 * signed and no credential is looked up.
 * @module
 */
import type { BucketObject, BucketSource, GetOptions, Listing, ObjectBody } from "./source.ts";
import { type AnonymousS3Client, createAnonymousS3Client, SDK_ENV_VARIABLES } from "./s3_client.ts";
import {
  HttpError,
  isRetriableS3Error,
  networkCode,
  statusOf,
  UNREACHABLE_CODES,
} from "./s3_errors.ts";
import { s3ErrorCode } from "../core/s3_error_body.ts";
import { BUCKET, BUCKET_ENV, DEFAULT_ENDPOINT, ENDPOINT_ENV, REGION } from "../core/constants.ts";
import {
  AccessDeniedError,
  EndpointUnreachableError,
  isMissingObject,
  NoSuchBucketError,
  PermissionMissingError,
  S3RequestError,
} from "../core/errors.ts";
import { flagFor, isPermissionError, readSettingsEnv } from "../core/permissions.ts";
import { errorText, retry, RetryError } from "../core/retry.ts";

/** Options of {@linkcode S3Source}. */
export interface S3SourceOptions {
  /**
   * S3 endpoint URL. A non-AWS endpoint (e.g. a local Ceph RGW) is addressed
   * path-style.
   * @default the env var LAION_FMRI_S3_ENDPOINT, else https://s3.us-west-2.amazonaws.com
   */
  endpoint?: string;
  /**
   * Bucket name.
   * @default the env var LAION_FMRI_BUCKET, else "laion-fmri"
   */
  bucket?: string;
  /** AWS region of the bucket. @default "us-west-2" */
  region?: string;
  /** Attempts per request, the first included. @default 5 */
  maxAttempts?: number;
  /** Base backoff delay in ms. @default 200 */
  minDelayMs?: number;
  /** Per-request timeout in ms (connect and idle socket). @default 30000 */
  requestTimeoutMs?: number;
}

/** Counters of requests sent, by kind (retries included). */
export interface RequestStats {
  /** ListObjectsV2 pages. */
  list: number;
  /** HEAD requests. */
  head: number;
  /** GET requests. */
  get: number;
  /** Attempts that were retried. */
  retries: number;
}

/** The endpoint in effect: explicit, else env LAION_FMRI_S3_ENDPOINT, else AWS. */
export function resolveEndpoint(endpoint?: string): string {
  return resolveBucketSettings({ endpoint, bucket: BUCKET }).endpoint;
}

/** Endpoint and bucket name, as {@linkcode resolveBucketSettings} returns them. */
export interface BucketSettings {
  /** The S3 endpoint URL, without a trailing `/`. */
  endpoint: string;
  /** The bucket name. */
  bucket: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The endpoint and bucket in effect: each explicit value, else its env
 * variable (LAION_FMRI_S3_ENDPOINT, LAION_FMRI_BUCKET), else the real
 * bucket `laion-fmri` in us-west-2. The variables choose where data is read,
 * so a refused grant is an error, never "unset"; every variable the call
 * needs (the SDK's load-time ones included) is named in that one error.
 *
 * @throws {RangeError} when the bucket name is not a valid S3 bucket name
 * @example
 * ```ts
 * import { resolveBucketSettings } from "./s3_source.ts";
 * resolveBucketSettings({ endpoint: "https://s3.us-west-2.amazonaws.com", bucket: "laion-fmri" });
 * ```
 */
export function resolveBucketSettings(
  given: { endpoint?: string; bucket?: string } = {},
): BucketSettings {
  let { endpoint, bucket } = given;
  const names = [
    ...(endpoint === undefined ? [ENDPOINT_ENV] : []),
    ...(bucket === undefined ? [BUCKET_ENV] : []),
  ];
  if (names.length > 0) {
    // The bucket variable goes last so the flag reads as before it existed, plus one name.
    const env: Record<string, string | undefined> = readSettingsEnv(
      [
        ...names.filter((n) => n !== BUCKET_ENV),
        ...SDK_ENV_VARIABLES,
        ...names.filter((n) => n === BUCKET_ENV),
      ],
      `read ${names.join(" and ")} (${
        names.length > 1 ? "they choose" : "it chooses"
      } where data is read) and load the S3 client`,
    );
    if (endpoint === undefined) endpoint = env[ENDPOINT_ENV] || DEFAULT_ENDPOINT;
    if (bucket === undefined) bucket = env[BUCKET_ENV] || BUCKET;
  }
  return { endpoint: endpoint!.replace(/\/+$/, ""), bucket: checkBucketName(bucket!) };
}

/**
 * `name` when it is a valid S3 bucket name (3-63 characters: lowercase
 * letters, digits, `.` and `-`), else a RangeError.
 *
 * @example
 * ```ts
 * import { checkBucketName } from "./s3_source.ts";
 * checkBucketName("laion-fmri"); // "laion-fmri"
 * ```
 */
export function checkBucketName(name: string): string {
  if (typeof name !== "string" || !BUCKET_NAME.test(name)) {
    throw new RangeError(
      `Invalid bucket name ${JSON.stringify(name)}: 3-63 characters, lowercase letters, ` +
        "digits, '.' and '-', starting and ending with a letter or digit",
    );
  }
  return name;
}

function encodeKey(key: string): string {
  return key.split("/").map((p) =>
    encodeURIComponent(p).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}

/**
 * The URL of an object: virtual-hosted on AWS, path-style elsewhere.
 *
 * @example
 * ```ts
 * import { objectUrl } from "./s3_source.ts";
 * objectUrl("https://s3.us-west-2.amazonaws.com", "laion-fmri", "README");
 * // "https://laion-fmri.s3.us-west-2.amazonaws.com/README"
 * ```
 */
export function objectUrl(endpoint: string, bucket: string, key: string): string {
  const url = new URL(endpoint);
  if (isAwsEndpoint(endpoint)) return `${url.protocol}//${bucket}.${url.host}/${encodeKey(key)}`;
  return `${endpoint.replace(/\/+$/, "")}/${bucket}/${encodeKey(key)}`;
}

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, "");
}

function isAwsEndpoint(url: string): boolean {
  return /\.amazonaws\.com(:\d+)?$/.test(new URL(url).host);
}

/**
 * Anonymous S3 access through `@aws-sdk/client-s3`: requests are never
 * signed, no credential chain is consulted, the SDK's own retries are off
 * and ours (jittered exponential backoff) apply instead.
 *
 * @example
 * ```ts
 * import { S3Source } from "@laion/fmri/bucket";
 * const source = new S3Source(); // s3://laion-fmri in us-west-2, or the LAION_FMRI_* variables
 * const { commonPrefixes } = await source.list("", { delimiter: "/" });
 * console.log(commonPrefixes); // ["derivatives/", "stimuli/", "sub-01/", ...]
 * ```
 */
export class S3Source implements BucketSource {
  readonly bucket: string;
  readonly endpoint: string;
  /** Requests sent so far, by kind. */
  readonly stats: RequestStats = { list: 0, head: 0, get: 0, retries: 0 };
  #client?: Promise<AnonymousS3Client>;
  #timeoutMs: number;
  #region: string;
  #maxAttempts: number;
  #minDelayMs: number;
  #netHost: string;

  /** Creates an instance. @param options endpoint, bucket, retry and timeout settings */
  constructor(options: S3SourceOptions = {}) {
    const settings = resolveBucketSettings(options);
    this.bucket = settings.bucket;
    this.endpoint = settings.endpoint;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#minDelayMs = options.minDelayMs ?? 200;
    const aws = isAwsEndpoint(this.endpoint);
    const url = new URL(this.endpoint);
    this.#netHost = aws ? `${this.bucket}.${url.host}` : url.host;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#region = options.region ?? REGION;
  }

  /** Loads the SDK on first use, so programs that never touch S3 need no S3 flags. */
  #sdk() {
    return this.#client ??= createAnonymousS3Client({
      endpoint: this.endpoint,
      region: this.#region,
      requestTimeoutMs: this.#timeoutMs,
      forcePathStyle: !isAwsEndpoint(this.endpoint),
    });
  }

  /** The `--allow-net` value this source needs. */
  get netPermission(): string {
    return `--allow-net=${this.#netHost}`;
  }

  async #sdkOrThrow() {
    try {
      return await this.#sdk();
    } catch (e) {
      this.#client = undefined;
      throw e;
    }
  }

  async #call<T>(
    what: string,
    key: string,
    fn: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      return await retry(fn, {
        maxAttempts: this.#maxAttempts,
        minDelayMs: this.#minDelayMs,
        isRetriable: isRetriableS3Error,
        onRetry: () => this.stats.retries++,
        signal,
      });
    } catch (e) {
      throw this.#translate(what, key, e);
    }
  }

  #translate(what: string, key: string, e: unknown): unknown {
    const last = e instanceof RetryError ? e.cause : e;
    const attempts = e instanceof RetryError ? e.attempts : 1;
    if (isPermissionError(last)) {
      return new PermissionMissingError(
        `reach ${this.endpoint}`,
        flagFor(last, this.netPermission),
        {
          cause: last,
        },
      );
    }
    if ((last as Error)?.name === "AbortError") return last;
    const status = statusOf(last);
    if (status === 403) {
      return new AccessDeniedError(this.bucket, key, { cause: last, endpoint: this.endpoint });
    }
    if (status === undefined) {
      const code = networkCode(last);
      if (code && (UNREACHABLE_CODES.has(code) || attempts > 1)) {
        return new EndpointUnreachableError(this.endpoint, { cause: e });
      }
    }
    // Every message names the endpoint: the usual fix is pointing at another one.
    const text = errorText(last);
    // A listing answers 404 only for a missing bucket (an empty prefix is a 200); a GET says so.
    const code = (last as { name?: string; Code?: string })?.Code ?? (last as Error)?.name;
    if (
      status === 404 && (what === "Listing" || code === "NoSuchBucket" || /NoSuchBucket/.test(text))
    ) {
      return new NoSuchBucketError(this.bucket, this.endpoint, attempts, { cause: e });
    }
    const blocked = /requests to port \d+ are blocked/i.test(text)
      ? " (fetch refuses this port; run the S3 server on another port)"
      : "";
    return new S3RequestError(
      `${what} s3://${this.bucket}/${key} at ${this.endpoint} failed` +
        `${status ? ` with HTTP ${status}` : ""} after ${attempts} attempt(s): ${text}${blocked}`,
      status,
      attempts,
      { cause: e },
    );
  }

  async list(
    prefix: string,
    options: { delimiter?: string; signal?: AbortSignal } = {},
  ): Promise<Listing> {
    const objects: BucketObject[] = [];
    const commonPrefixes: string[] = [];
    let token: string | undefined;
    do {
      const { client, sdk } = await this.#sdkOrThrow();
      const page = await this.#call("Listing", prefix, () => {
        this.stats.list++;
        return client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: options.delimiter,
            ContinuationToken: token,
          }),
          { abortSignal: options.signal },
        );
      }, options.signal);
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) {
          objects.push({ key: o.Key, size: Number(o.Size ?? 0), etag: stripQuotes(o.ETag) });
        }
      }
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) commonPrefixes.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { objects, commonPrefixes };
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<BucketObject> {
    const { client, sdk } = await this.#sdkOrThrow();
    let r;
    try {
      r = await this.#call("HEAD", key, () => {
        this.stats.head++;
        return client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
          abortSignal: options.signal,
        });
      }, options.signal);
    } catch (e) {
      if (isMissingObject(e)) throw await this.#missingBucketOr(key, e, options.signal);
      throw e;
    }
    return { key, size: Number(r.ContentLength ?? 0), etag: stripQuotes(r.ETag) };
  }

  /**
   * A HEAD's 404 has no body, so it cannot tell a missing bucket from a
   * missing key: a one-byte GET of the same key (the same permission) says
   * which. The {@linkcode NoSuchBucketError} when the bucket is missing,
   * else `missing` as it was.
   */
  async #missingBucketOr(key: string, missing: unknown, signal?: AbortSignal): Promise<unknown> {
    try {
      const body = await this.get(key, { start: 0, end: 0, signal });
      await body.body.cancel();
    } catch (e) {
      if (e instanceof NoSuchBucketError) return e;
      signal?.throwIfAborted();
    }
    return missing;
  }

  /**
   * An anonymous GET is a plain HTTP request, so it goes out through
   * `fetch` (it streams about twice as fast as the SDK's body); retries and
   * error translation are the same as for the SDK's calls.
   */
  async get(key: string, options: GetOptions = {}): Promise<ObjectBody> {
    const start = options.start ?? 0;
    const headers: Record<string, string> = {};
    if (start > 0 || options.end !== undefined) {
      headers.range = `bytes=${start}-${options.end ?? ""}`;
    }
    if (options.ifMatch) headers["if-match"] = `"${options.ifMatch}"`;
    const url = objectUrl(this.endpoint, this.bucket, key);
    const r = await this.#call("GET", key, async () => {
      this.stats.get++;
      // The timeout covers the wait for the response head; a slow body is the
      // caller's to judge (the downloader aborts stalls itself).
      const head = new AbortController();
      const timer = setTimeout(
        () => head.abort(new HttpError("request timed out", 0)),
        this.#timeoutMs,
      );
      const signal = options.signal ? AbortSignal.any([options.signal, head.signal]) : head.signal;
      try {
        const response = await fetch(url, { headers, signal });
        if (response.status >= 300 || !response.body) {
          const text = await response.text().catch(() => "");
          const code = s3ErrorCode(text);
          throw new HttpError(code ?? response.statusText, response.status);
        }
        return response;
      } catch (e) {
        if (head.signal.aborted && !options.signal?.aborted) throw head.signal.reason;
        throw e;
      } finally {
        clearTimeout(timer);
      }
    }, options.signal);
    return {
      status: r.status,
      body: r.body!,
      contentLength: Number(r.headers.get("content-length") ?? 0),
      contentRange: r.headers.get("content-range") ?? undefined,
      etag: stripQuotes(r.headers.get("etag") ?? undefined),
    };
  }
}
