/**
 * Byte order, in one place for every reader and writer: the host's
 * endianness, an in-place word swap, and big-endian arrays copied into
 * native typed arrays (one bulk copy and swap, not a `DataView` call per
 * value).
 * @module
 */

/** True on a little-endian host (every platform Deno ships for). */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reverses the bytes of every `width`-byte word of `buf` in place (2, 4 or
 * 8; other widths are left alone, as is a trailing partial word).
 *
 * @example
 * ```ts
 * import { swapBytes } from "./byte_order.ts";
 * const b = Uint8Array.from([1, 2, 3, 4]);
 * swapBytes(b, 2); // b is now [2, 1, 4, 3]
 * ```
 */
export function swapBytes(buf: Uint8Array, width: number): void {
  // unrolled for 2 and 4, the widths of nearly every file
  if (width === 2) {
    for (let p = 0; p + 1 < buf.length; p += 2) {
      const a = buf[p];
      buf[p] = buf[p + 1];
      buf[p + 1] = a;
    }
  } else if (width === 4) {
    for (let p = 0; p + 3 < buf.length; p += 4) {
      const a = buf[p], b = buf[p + 1];
      buf[p] = buf[p + 3];
      buf[p + 1] = buf[p + 2];
      buf[p + 2] = b;
      buf[p + 3] = a;
    }
  } else if (width === 8) {
    for (let p = 0; p + 7 < buf.length; p += 8) {
      for (let a = p, b = p + 7; a < b; a++, b--) {
        const x = buf[a];
        buf[a] = buf[b];
        buf[b] = x;
      }
    }
  }
}

/**
 * `count` big-endian values of `Type` starting at byte `offset` of `bytes`,
 * as a new native typed array.
 *
 * @example
 * ```ts
 * import { bigEndianArray } from "./byte_order.ts";
 * const v = bigEndianArray(new Uint8Array([0, 0, 0, 7]), 0, 1, Int32Array);
 * console.log(v[0]); // 7
 * ```
 */
export function bigEndianArray<T extends Float32Array | Int32Array | Int16Array>(
  bytes: Uint8Array,
  offset: number,
  count: number,
  Type: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const size = Type.BYTES_PER_ELEMENT;
  // a fresh, aligned copy (Node's Buffer#slice would return a view of its pool)
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(offset, offset + count * size));
  if (HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  return new Type(copy.buffer);
}

/**
 * The bytes of `values` in little-endian order: a view of them on a
 * little-endian host, else a swapped copy (the input is never changed).
 *
 * @example
 * ```ts
 * import { littleEndianBytes } from "./byte_order.ts";
 * littleEndianBytes(Float32Array.of(1)); // Uint8Array [0, 0, 128, 63]
 * ```
 */
export function littleEndianBytes(values: Float32Array | Int32Array | Int16Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, values.BYTES_PER_ELEMENT);
  return copy;
}
