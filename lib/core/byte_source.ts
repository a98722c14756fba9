/**
 * The one abstraction over "bytes somewhere": a local file and an S3 object
 * both answer `read(ranges, { signal })`, so format readers (HDF5 rows, for
 * instance) work on either without knowing which (geotiff.js's `BaseSource`
 * idea). Ranges close together are coalesced into fewer reads.
 * @module
 */

/** A run of bytes: `length` bytes from `offset`. */
export interface ByteRange {
  /** First byte. */
  offset: number;
  /** Number of bytes. */
  length: number;
}

/** Options of {@linkcode ByteSource.read}. */
export interface ByteReadOptions {
  /** Stops the reads. */
  signal?: AbortSignal;
}

/** Bytes that can be read by range: a local file, an S3 object. */
export interface ByteSource {
  /** What the bytes are (a path or an `s3://` URL), for messages. */
  readonly name: string;
  /** Total size in bytes. */
  size(options?: ByteReadOptions): Promise<number>;
  /** The bytes of each range, in the order given; each has exactly `length` bytes. */
  read(ranges: readonly ByteRange[], options?: ByteReadOptions): Promise<Uint8Array[]>;
}

/** Ranges merged for reading, and where each asked-for range lies in them. */
export interface CoalescedRanges {
  /** The ranges to read, sorted, non-overlapping. */
  merged: ByteRange[];
  /** For each input range (same order): index into `merged`, and the offset inside it. */
  parts: { merged: number; at: number }[];
}

/**
 * Merges ranges whose gap is at most `maxGap` bytes (a few wasted bytes
 * cost less than another request).
 *
 * @example
 * ```ts
 * import { coalesceRanges } from "./byte_source.ts";
 * const { merged } = coalesceRanges([{ offset: 0, length: 4 }, { offset: 6, length: 4 }], 8);
 * console.log(merged); // [{ offset: 0, length: 10 }]
 * ```
 */
export function coalesceRanges(ranges: readonly ByteRange[], maxGap = 0): CoalescedRanges {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].offset - ranges[b].offset);
  const merged: ByteRange[] = [];
  const parts = new Array<{ merged: number; at: number }>(ranges.length);
  for (const i of order) {
    const r = ranges[i];
    if (
      !(Number.isInteger(r.offset) && r.offset >= 0 && Number.isInteger(r.length) && r.length >= 0)
    ) {
      throw new RangeError(`bad byte range: offset ${r.offset}, length ${r.length}`);
    }
    const last = merged.at(-1);
    if (last && r.offset <= last.offset + last.length + maxGap) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else merged.push({ offset: r.offset, length: r.length });
    parts[i] = { merged: merged.length - 1, at: r.offset - merged[merged.length - 1].offset };
  }
  return { merged, parts };
}

/** Cuts the asked-for ranges out of the bytes read for their merged ranges. */
export function splitCoalesced(
  ranges: readonly ByteRange[],
  coalesced: CoalescedRanges,
  chunks: readonly Uint8Array[],
): Uint8Array[] {
  return ranges.map((r, i) => {
    const { merged, at } = coalesced.parts[i];
    return chunks[merged].subarray(at, at + r.length);
  });
}

/**
 * A local file as a {@linkcode ByteSource}.
 *
 * @example
 * ```ts
 * import { FileByteSource } from "@laion/fmri/formats";
 * const src = new FileByteSource("deno.json");
 * const [head] = await src.read([{ offset: 0, length: 1 }]);
 * ```
 */
export class FileByteSource implements ByteSource {
  /** The file's path. */
  readonly name: string;
  /** Gap up to which neighbouring ranges are read as one. @default 65536 */
  readonly maxGap: number;

  /** Creates an instance. @param path the file @param maxGap see {@linkcode FileByteSource.maxGap} */
  constructor(path: string, maxGap = 65536) {
    this.name = path;
    this.maxGap = maxGap;
  }

  async size(options: ByteReadOptions = {}): Promise<number> {
    options.signal?.throwIfAborted();
    return (await Deno.stat(this.name)).size;
  }

  async read(ranges: readonly ByteRange[], options: ByteReadOptions = {}): Promise<Uint8Array[]> {
    const coalesced = coalesceRanges(ranges, this.maxGap);
    using file = await Deno.open(this.name, { read: true });
    const chunks: Uint8Array[] = [];
    for (const r of coalesced.merged) {
      options.signal?.throwIfAborted();
      const buf = new Uint8Array(r.length);
      await file.seek(r.offset, Deno.SeekMode.Start);
      let got = 0;
      while (got < r.length) {
        const n = await file.read(buf.subarray(got));
        if (n === null) {
          throw new RangeError(
            `${this.name}: wanted bytes ${r.offset}-${r.offset + r.length - 1}, the file ends at ${
              r.offset + got
            }`,
          );
        }
        got += n;
      }
      chunks.push(buf);
    }
    return splitCoalesced(ranges, coalesced, chunks);
  }
}
