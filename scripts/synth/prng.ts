/**
 * Seeded, counter-based randomness for the synthetic dataset. Every value
 * is a pure function of its inputs (no `Math.random`), so any voxel of any
 * file can be recomputed without generating the files.
 * @module
 */

/**
 * Mixes two 32-bit integers into a well-scrambled unsigned 32-bit hash
 * (murmur3 finalizer over `a ^ b*golden`).
 *
 * @example
 * ```ts
 * import { mix } from "./prng.ts";
 * mix(1, 2) === mix(1, 2); // true
 * ```
 */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b | 0, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a sequence of integers and strings into an unsigned 32-bit key.
 *
 * @example
 * ```ts
 * import { hashKey } from "./prng.ts";
 * const k = hashKey(1, "sub-01", "ses-01", 7);
 * ```
 */
export function hashKey(...parts: (number | string)[]): number {
  let h = 0x2545f491;
  for (const p of parts) {
    if (typeof p === "number") {
      h = mix(h, p | 0);
      // keep non-32-bit numbers distinct too
      if (!Number.isInteger(p) || p > 0x7fffffff || p < -0x80000000) {
        h = mix(h, Math.floor(p / 4294967296) | 0);
      }
    } else {
      h = mix(h, p.length);
      for (let i = 0; i < p.length; i++) h = mix(h, p.charCodeAt(i));
    }
  }
  return h;
}

/**
 * A uniform number in `[0, 1)` from a key and a counter.
 *
 * @example
 * ```ts
 * import { hashKey, unit } from "./prng.ts";
 * const u = unit(hashKey(1, "r2"), 42); // 0 <= u < 1
 * ```
 */
export function unit(key: number, counter: number): number {
  return mix(key, counter) / 4294967296;
}

/**
 * mulberry32: a small sequential PRNG returning floats in `[0, 1)`.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./prng.ts";
 * const rnd = mulberry32(1);
 * rnd(); // deterministic
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fisher-Yates shuffle of a copy, driven by `rnd`.
 *
 * @example
 * ```ts
 * import { mulberry32, shuffled } from "./prng.ts";
 * shuffled([1, 2, 3], mulberry32(7));
 * ```
 */
export function shuffled<T>(items: readonly T[], rnd: () => number): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
