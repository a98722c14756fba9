/**
 * Retries with jittered exponential backoff.
 * @module
 */

import { LaionFmriError } from "./errors.ts";

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  /** Total attempts, the first included. @default 5 */
  maxAttempts?: number;
  /** Base delay before the second attempt, in ms. @default 200 */
  minDelayMs?: number;
  /** Upper bound of one delay, in ms. @default 5000 */
  maxDelayMs?: number;
  /** Whether an error is worth another attempt. @default every error */
  isRetriable?: (error: unknown) => boolean;
  /** Called before each new attempt (for logging or counting). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and retrying. */
  signal?: AbortSignal;
}

/**
 * Thrown by {@linkcode retry} when every attempt failed; `cause` is the last error.
 *
 * @example
 * ```ts
 * import { RetryError } from "@laion/fmri";
 * const e = new RetryError(new Error("boom"), 3);
 * console.log(e.attempts); // 3
 * ```
 */
export class RetryError extends LaionFmriError {
  /** How many attempts were made. */
  readonly attempts: number;
  /**
   * Creates an instance.
   * @param cause the last error
   * @param attempts how many attempts were made
   */
  constructor(cause: unknown, attempts: number) {
    super(`Failed after ${attempts} attempts: ${errorText(cause)}`, { cause });
    this.name = "RetryError";
    this.attempts = attempts;
  }
}

/** The message of an unknown thrown value. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Calls `fn` until it succeeds, waiting `random(0, min(max, min * 2^n))` ms
 * between attempts ("full jitter"). A non-retriable error is rethrown as is.
 *
 * @example
 * ```ts
 * import { retry } from "./retry.ts";
 * let n = 0;
 * const v = await retry(() => { if (++n < 2) throw new Error("flaky"); return 42; }, { minDelayMs: 1 });
 * console.log(v); // 42
 * ```
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const {
    maxAttempts = 5,
    minDelayMs = 200,
    maxDelayMs = 5000,
    isRetriable = () => true,
    onRetry,
    signal,
  } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer: current value is ${maxAttempts}`);
  }
  for (let attempt = 1;; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted || !isRetriable(error)) throw error;
      if (attempt >= maxAttempts) throw new RetryError(error, attempt);
      const delay = backoffDelay(attempt, minDelayMs, maxDelayMs);
      onRetry?.(error, attempt, delay);
      await sleep(delay, signal);
    }
  }
}

/**
 * The wait before attempt `attempt + 1`: `random(0, min(max, min * 2^(attempt-1)))`
 * ms ("full jitter"), so many clients retrying at once spread out.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./retry.ts";
 * backoffDelay(1, 200, 5000); // somewhere in [0, 200)
 * ```
 */
export function backoffDelay(attempt: number, minDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
}

/** Resolves after `ms`, or rejects with the abort reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
