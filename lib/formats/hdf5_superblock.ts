/**
 * The two superblock facts the HDF5 readers check before parsing: the
 * signature, and the end-of-file address (a file shorter than it is
 * truncated; a head shorter than it is partial).
 * @module
 */

/** The 8-byte HDF5 format signature. */
export const HDF5_SIGNATURE: readonly number[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The end-of-file address stored in a superblock (versions 0-3, 8-byte
 * offsets), relative to the superblock; `undefined` when `bytes` (which
 * must start at the signature) is not a superblock this can read.
 *
 * @example
 * ```ts
 * import { superblockEof } from "./hdf5_superblock.ts";
 * using f = await Deno.open("model.h5");
 * const head = new Uint8Array(48);
 * await f.read(head);
 * superblockEof(head); // the file size HDF5 expects
 * ```
 */
export function superblockEof(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < 48 || !HDF5_SIGNATURE.every((b, i) => bytes[i] === b)) return undefined;
  const version = bytes[8];
  if (version > 3) return undefined;
  // v0: offset size at 13, EOF at 40; v1: EOF at 44; v2/v3: offset size at 9, EOF at 28
  const offsets = version <= 1 ? bytes[13] : bytes[9];
  if (offsets !== 8) return undefined;
  const at = version === 0 ? 40 : version === 1 ? 44 : 28;
  return Number(
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true),
  );
}
