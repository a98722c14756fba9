/**
 * Reading a response body with a stall timeout: a body that delivers no
 * byte for the timeout is cancelled, so a hung connection is resumed
 * instead of waited for.
 * @module
 */
import type { ObjectBody } from "../../bucket/source.ts";
import { RetryableTransferError, StallError } from "./retry_class.ts";

/** Options of {@linkcode pumpBody}. */
export interface PumpOptions {
  /** Bytes to take at most. */
  limit: number;
  /**
   * Drop the rest once `limit` bytes were taken (a ranged segment); when
   * false, a body longer than `limit` is a {@linkcode RetryableTransferError}.
   */
  stopAtLimit: boolean;
  /** Cancel the body when it delivers nothing for this long (ms). */
  stallTimeoutMs: number;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/**
 * Reads a body, handing each piece to `onChunk` (awaited before the next
 * read), until it ends or `limit` bytes were taken.
 *
 * @throws {StallError} when the body delivered nothing for `stallTimeoutMs`
 * @throws the abort reason when `signal` aborts
 * @example
 * ```ts
 * import { pumpBody } from "./stall_pump.ts";
 * const body = new Response("hello").body!;
 * let n = 0;
 * await pumpBody(
 *   { body, status: 200, contentLength: 5 },
 *   { limit: 5, stopAtLimit: false, stallTimeoutMs: 1000 },
 *   (chunk) => Promise.resolve(void (n += chunk.length)),
 * );
 * ```
 */
export async function pumpBody(
  body: ObjectBody,
  options: PumpOptions,
  onChunk: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const { limit, stopAtLimit, stallTimeoutMs, signal } = options;
  const reader = body.body.getReader();
  let last = Date.now();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    const idle = Date.now() - last;
    if (idle >= stallTimeoutMs) {
      stalled = true;
      reader.cancel(new StallError(stallTimeoutMs)).catch(() => {});
    } else timer = setTimeout(check, stallTimeoutMs - idle);
  };
  timer = setTimeout(check, stallTimeoutMs);
  const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let taken = 0;
  let finished = false;
  try {
    while (taken < limit || !stopAtLimit) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      last = Date.now();
      if (!value || value.length === 0) continue;
      let chunk = value;
      if (taken + chunk.length > limit) {
        if (!stopAtLimit) throw new RetryableTransferError(`the body is longer than expected`);
        chunk = chunk.subarray(0, limit - taken);
      }
      await onChunk(chunk);
      taken += chunk.length;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  if (signal?.aborted) throw signal.reason;
  if (stalled) throw new StallError(stallTimeoutMs);
}
