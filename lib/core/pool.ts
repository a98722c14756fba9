/**
 * A bounded pool: run async work over items with at most `limit` in flight.
 * @module
 */

/** Options of {@linkcode mapPool}. */
export interface PoolOptions {
  /** How many items run at once. Must be a positive integer. */
  limit: number;
  /** Stops taking new items; items in flight see the signal through `fn`. */
  signal?: AbortSignal;
  /**
   * Let every started item settle before rethrowing the first error, so no
   * work is left running behind the caller's back. @default true
   */
  settle?: boolean;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results
 * keep the order of `items`. The first error stops new items from starting
 * and is rethrown once the running ones have settled.
 *
 * @example
 * ```ts
 * import { mapPool } from "./pool.ts";
 * const squares = await mapPool([1, 2, 3], (n) => Promise.resolve(n * n), { limit: 2 });
 * console.log(squares); // [1, 4, 9]
 * ```
 */
export async function mapPool<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: PoolOptions,
): Promise<R[]> {
  const { limit, signal, settle = true } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer: got ${limit}`);
  }
  signal?.throwIfAborted();
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      if (signal?.aborted) {
        failed ??= { error: signal.reason };
        return;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failed ??= { error };
        if (!settle) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.error;
  return results;
}
