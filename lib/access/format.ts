/**
 * Byte counts as upstream's progress prints them.
 * @module
 */

/**
 * `n` bytes in B, KB, MB, GB or TB (base 1024, one decimal), as upstream's
 * download progress shows them.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./format.ts";
 * formatBytes(1536); // "1.5 KB"
 * ```
 */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
