/**
 * AbortSignal helpers: let one caller stop waiting for shared work without
 * cancelling it for the others.
 * @module
 */

/**
 * Resolves like `promise`, but rejects with the abort reason as soon as
 * `signal` aborts. The work behind `promise` goes on (other callers may be
 * waiting for it); only this caller stops waiting.
 *
 * @example
 * ```ts
 * import { abortable } from "./abort.ts";
 * const shared = new Promise<number>((r) => setTimeout(() => r(1), 10));
 * const c = new AbortController();
 * const mine = abortable(shared, c.signal);
 * c.abort();
 * await mine.catch(() => "stopped waiting"); // shared still resolves for others
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A per-key cache of promises that callers share. The work runs without any
 * caller's signal, so one caller's abort never fails the others; each caller
 * waits through {@linkcode abortable} with its own signal. A rejected entry
 * is dropped so the next call tries again.
 *
 * @example
 * ```ts
 * import { SharedCache } from "./abort.ts";
 * const cache = new SharedCache<string, number>();
 * const n = await cache.get("a", () => Promise.resolve(1));
 * ```
 */
export class SharedCache<K, V> {
  #entries = new Map<K, Promise<V>>();

  /** The cached value of `key`, computing it with `load` on first use. */
  get(key: K, load: () => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = load();
      this.#entries.set(key, entry);
      entry.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
    }
    return abortable(entry, signal);
  }

  /** Forgets one key, or everything. */
  clear(key?: K): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  /** Forgets every key for which `test` is true. */
  clearWhere(test: (key: K) => boolean): void {
    for (const key of [...this.#entries.keys()]) if (test(key)) this.#entries.delete(key);
  }
}
