/**
 * Which transfer errors are worth another attempt, the errors transfers
 * raise for themselves, and the wait between attempts.
 * @module
 */
import {
  AccessDeniedError,
  EndpointUnreachableError,
  LaionFmriError,
  PermissionMissingError,
  S3RequestError,
} from "../../core/errors.ts";
import { isPermissionError } from "../../core/permissions.ts";
import { backoffDelay, sleep } from "../../core/retry.ts";

/** Upper bound of one wait between attempts (ms). */
const MAX_DELAY_MS = 8000;

/** A body that delivered nothing for longer than the stall timeout. */
export class StallError extends Error {
  /** Creates an instance. @param ms the stall timeout that expired */
  constructor(ms: number) {
    super(`no data received for ${ms} ms`);
    this.name = "StallError";
  }
}

/** A transfer that must be retried (short body, checksum mismatch, bad range). */
export class RetryableTransferError extends Error {
  /** Creates an instance. @param message what went wrong */
  constructor(message: string) {
    super(message);
    this.name = "RetryableTransferError";
  }
}

/** The server does not serve ranges as asked, or the object changed: fetch the file in one piece. */
export class FallbackError extends Error {
  /** Creates an instance. @param message why the segmented transfer gave up */
  constructor(message: string) {
    super(message);
    this.name = "FallbackError";
  }
}

/** A local file-system failure (disk full, refused permission): retrying will not help. */
function isFsError(e: unknown): boolean {
  if (e instanceof PermissionMissingError || isPermissionError(e)) return true;
  const transient = [
    Deno.errors.ConnectionReset,
    Deno.errors.ConnectionAborted,
    Deno.errors.BrokenPipe,
    Deno.errors.UnexpectedEof,
    Deno.errors.TimedOut,
    Deno.errors.Interrupted,
  ];
  if (transient.some((c) => e instanceof c)) return false;
  return Object.values(Deno.errors).some((c) => typeof c === "function" && e instanceof c);
}

/**
 * Whether a transfer error is worth another attempt: stalls, short or bad
 * bodies, unreachable endpoints, 5xx/429/408 and dropped connections are;
 * 403, other S3 errors, our own typed errors and local file-system errors
 * are not.
 *
 * @example
 * ```ts
 * import { isRetriable, StallError } from "./retry_class.ts";
 * isRetriable(new StallError(30_000)); // true
 * ```
 */
export function isRetriable(e: unknown): boolean {
  if (e instanceof AccessDeniedError) return false;
  if (e instanceof StallError || e instanceof RetryableTransferError) return true;
  if (e instanceof EndpointUnreachableError) return true;
  if (e instanceof S3RequestError) {
    const s = e.status;
    return s === undefined || s >= 500 || s === 429 || s === 408;
  }
  if (e instanceof LaionFmriError) return false;
  if (isFsError(e)) return false;
  return true; // resets, "terminated", premature close of the body
}

/**
 * Waits before the next attempt after `failures` attempts in a row made no
 * progress: full jitter, doubling from `minDelayMs`, at most 8 s.
 *
 * @example
 * ```ts
 * import { waitBeforeRetry } from "./retry_class.ts";
 * await waitBeforeRetry(1, 10); // somewhere in [0, 20) ms
 * ```
 */
export function waitBeforeRetry(
  failures: number,
  minDelayMs: number,
  signal?: AbortSignal,
): Promise<void> {
  // backoffDelay counts attempts from 1: `failures` failed ones precede attempt failures + 1.
  return sleep(backoffDelay(failures + 1, minDelayMs, MAX_DELAY_MS), signal);
}

/**
 * The first line of an error's message, as a summary lists it.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./retry_class.ts";
 * errorMessage(new Error("404 Not Found\n<xml>")); // "404 Not Found"
 * ```
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}
