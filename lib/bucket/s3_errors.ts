/**
 * How a failed S3 request is classified: its HTTP status, the network
 * failure behind it, and whether another attempt can help.
 * @module
 */
import { isPermissionError } from "../core/permissions.ts";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
export const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
  cause?: unknown;
}

/** HTTP status of an SDK error, when the server answered. */
export function statusOf(e: unknown): number | undefined {
  const x = e as SdkErrorLike;
  return x?.$metadata?.httpStatusCode ?? x?.$response?.statusCode;
}

export function networkCode(e: unknown): string | undefined {
  for (let x = e as SdkErrorLike | undefined, i = 0; x && i < 5; x = x.cause as SdkErrorLike, i++) {
    if (x.code && NETWORK_CODES.has(x.code)) return x.code;
    if (x.name === "TimeoutError" || x.name === "RequestTimeout") return "ETIMEDOUT";
    if (typeof x.message === "string") {
      const m = x.message.match(/\b(E[A-Z]{4,})\b/);
      if (m && NETWORK_CODES.has(m[1])) return m[1];
      if (/dns error|failed to lookup|name or service not known/i.test(x.message)) {
        return "ENOTFOUND";
      }
      if (/connection refused/i.test(x.message)) return "ECONNREFUSED";
      if (
        /connection (reset|closed)|socket hang up|broken pipe|timed? ?out|error sending request/i
          .test(x.message)
      ) {
        return "ECONNRESET";
      }
    }
  }
  return undefined;
}

/** Whether a failed S3 call is worth retrying: 5xx, 429, 408, SlowDown, timeouts, resets. */
export function isRetriableS3Error(e: unknown): boolean {
  if (isPermissionError(e)) return false;
  const status = statusOf(e);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  const name = (e as SdkErrorLike)?.name;
  if (name === "SlowDown" || name === "InternalError" || name === "ServiceUnavailable") return true;
  return networkCode(e) !== undefined;
}

/** An HTTP error status from a fetch-based request, shaped like the SDK's errors. */
export class HttpError extends Error {
  readonly $metadata: { httpStatusCode?: number };
  constructor(message: string, status: number) {
    super(status ? `${message} (HTTP ${status})` : message);
    this.name = status ? "HttpError" : "TimeoutError";
    this.$metadata = { httpStatusCode: status || undefined };
  }
}
