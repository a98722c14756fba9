/**
 * AWS Signature V4 query-string presigning (path-style S3 URLs), for the
 * local access service: the URL carries the signature, so any HTTP client
 * can GET it until it expires, and a `Range` header may be added.
 * @module
 */

const enc = new TextEncoder();

async function hmac(
  key: Uint8Array<ArrayBuffer> | ArrayBuffer,
  data: string,
): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return await crypto.subtle.sign("HMAC", k, enc.encode(data));
}

async function sha256Hex(data: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", enc.encode(data)));
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** RFC 3986 encoding as SigV4 wants it (`/` kept in paths when `keepSlash`). */
function uriEncode(s: string, keepSlash = false): string {
  return [...enc.encode(s)].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) return c;
    return `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** What to presign. */
export interface PresignOptions {
  /** S3 endpoint, e.g. `http://127.0.0.1:7480`. */
  endpoint: string;
  bucket: string;
  key: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** @default "us-east-1" */
  region?: string;
  /** Seconds the URL is valid (1..604800). */
  expiresIn: number;
  /** @default "GET" */
  method?: string;
  /** Signing time. @default now */
  now?: Date;
}

/**
 * A presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256`, signed header `host`,
 * unsigned payload).
 *
 * @example
 * ```ts
 * const url = await presignUrl({
 *   endpoint: "http://127.0.0.1:7480", bucket: "b", key: "stimuli/x.csv",
 *   accessKeyId: "AK", secretAccessKey: "SK", expiresIn: 3600,
 * });
 * ```
 */
export async function presignUrl(o: PresignOptions): Promise<string> {
  const region = o.region ?? "us-east-1";
  const base = new URL(o.endpoint);
  const now = o.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const path = `/${o.bucket}/${uriEncode(o.key, true)}`;
  const query: [string, string][] = [
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${o.accessKeyId}/${scope}`],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(o.expiresIn)],
    ["X-Amz-SignedHeaders", "host"],
  ];
  const canonicalQuery = query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [
    o.method ?? "GET",
    path,
    canonicalQuery,
    `host:${base.host}\n`,
    "host",
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonical)].join("\n");
  let key: ArrayBuffer = await hmac(enc.encode(`AWS4${o.secretAccessKey}`), day);
  for (const part of [region, "s3", "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  return `${base.origin}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
