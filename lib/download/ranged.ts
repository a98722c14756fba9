/**
 * Bounded ranged GETs for the segments of large files. `BucketSource.get`
 * asks for `bytes=start-` (to the end of the object), so a segment would
 * make the server send far more than the segment and the rest be dropped.
 * For the library's own {@linkcode S3Source} (anonymous, unsigned), a
 * segment is fetched as `bytes=start-end` with `fetch` on the same endpoint
 * and bucket, counted in the source's `stats.get`, with the same typed
 * errors; other sources fall back to `get`.
 * @module
 */
import { CachedSource } from "../bucket/cached_source.ts";
import { type BucketSource, type ObjectBody, S3Source } from "../bucket/s3_source.ts";
import { AccessDeniedError, PermissionMissingError, S3RequestError } from "../errors.ts";
import { flagFor, isPermissionError } from "../permissions.ts";

/**
 * Options of {@linkcode rangedGet}.
 *
 * @example
 * ```ts
 * import type { RangeOptions } from "@laion/fmri";
 * const first100: RangeOptions = { start: 0, end: 99 };
 * ```
 */
export interface RangeOptions {
  /** First byte (inclusive). */
  start: number;
  /** Last byte (inclusive). */
  end: number;
  /** Require this ETag (`If-Match`); a changed object answers 412. */
  ifMatch?: string;
  /** Cancels the request and its body. */
  signal?: AbortSignal;
}

function s3Of(source: BucketSource): S3Source | undefined {
  let s: BucketSource | undefined = source;
  for (let i = 0; i < 4 && s; i++) {
    if (s instanceof S3Source) return s;
    s = s instanceof CachedSource ? s.inner : undefined;
  }
  return undefined;
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
 * The object URL the S3 source would use: virtual-hosted on AWS, path-style elsewhere.
 *
 * @example
 * ```ts
 * import { objectUrl } from "@laion/fmri";
 * objectUrl("http://127.0.0.1:7480", "laion-fmri", "README"); // "http://127.0.0.1:7480/laion-fmri/README"
 * ```
 */
export function objectUrl(endpoint: string, bucket: string, key: string): string {
  const url = new URL(endpoint);
  if (/\.amazonaws\.com(:\d+)?$/.test(url.host)) {
    return `${url.protocol}//${bucket}.${url.host}/${encodeKey(key)}`;
  }
  return `${endpoint.replace(/\/+$/, "")}/${bucket}/${encodeKey(key)}`;
}

/**
 * A GET of bytes `start..end` (inclusive) of an object. With the library's
 * S3 source the range is bounded on the wire; otherwise `source.get` from
 * `start` (the caller stops reading at `end`).
 *
 * @throws {AccessDeniedError} on 403
 * @throws {S3RequestError} on any other error status (412 when the ETag changed)
 * @example
 * ```ts
 * import { getSource, rangedGet } from "@laion/fmri";
 * const part = await rangedGet(getSource(), "participants.tsv", { start: 0, end: 99 });
 * console.log(part.status, part.contentRange); // 206 bytes 0-99/...
 * ```
 */
export async function rangedGet(
  source: BucketSource,
  key: string,
  options: RangeOptions,
): Promise<ObjectBody> {
  const s3 = s3Of(source);
  if (!s3) {
    return await source.get(key, {
      start: options.start,
      ifMatch: options.ifMatch,
      signal: options.signal,
    });
  }
  const url = objectUrl(s3.endpoint, s3.bucket, key);
  const headers: Record<string, string> = { range: `bytes=${options.start}-${options.end}` };
  if (options.ifMatch) headers["if-match"] = `"${options.ifMatch}"`;
  s3.stats.get++;
  let r: Response;
  try {
    r = await fetch(url, { headers, signal: options.signal });
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`reach ${s3.endpoint}`, flagFor(e, s3.netPermission), {
        cause: e,
      });
    }
    throw e;
  }
  if (r.status >= 300 || !r.body) {
    const text = await r.text().catch(() => "");
    if (r.status === 403) throw new AccessDeniedError(s3.bucket, key);
    const code = text.match(/<Code>([^<]+)<\/Code>/)?.[1];
    throw new S3RequestError(
      `GET s3://${s3.bucket}/${key} failed with HTTP ${r.status}${code ? ` (${code})` : ""}`,
      r.status,
      1,
    );
  }
  return {
    status: r.status,
    body: r.body,
    contentLength: Number(r.headers.get("content-length") ?? 0),
    contentRange: r.headers.get("content-range") ?? undefined,
    etag: r.headers.get("etag")?.replace(/^"|"$/g, ""),
  };
}
