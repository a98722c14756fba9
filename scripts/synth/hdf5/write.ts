/**
 * A small HDF5 writer in TypeScript for flat files (datasets at the root).
 *
 * h5wasm 0.10.3 cannot write float16, bool (h5py's enum), variable-length
 * `uint8`, nor shuffle + gzip chunks, all of which the bucket's stimulus
 * files use; this encoder writes them all, in the format HDF5 1.8+ and h5py
 * read: superblock v2, version-2 object headers with link messages, layout
 * v3 (contiguous, or chunked with a version-1 B-tree), filter pipeline v2,
 * global heap collections for variable-length data. Metadata comes first,
 * so a head-only read of a few KB finds every dataset's header.
 * @module
 */
import { writeFileAtomic } from "../../../lib/core/fs.ts";
import { chunkBtree, ELEMENT_SIZE, globalHeap, objectHeader, superblock, UNDEF } from "./encode.ts";
import {
  bytesOf,
  datasetMessages,
  encodeChunks,
  type Hdf5DatasetSpec,
  type Hdf5NumericArray,
  rootMessages,
  vlenObjects,
} from "./messages.ts";

export type { Hdf5DatasetSpec, Hdf5NumericArray, Hdf5RowProducer } from "./messages.ts";

export type { Hdf5Dtype } from "./encode.ts";

/** Options of {@linkcode writeHdf5}. */
export interface Hdf5WriteOptions {
  /** Stops the write; nothing is left at the path. */
  signal?: AbortSignal;
  /** Rows per producer call for contiguous datasets. @default 4096 */
  rowsPerBlock?: number;
}

interface Planned {
  spec: Hdf5DatasetSpec;
  header: number;
  headerSize: number;
  /** Contiguous data address and byte size. */
  data: number;
  dataSize: number;
  /** Chunked: B-tree address and the encoded chunks. */
  btree: number;
  chunks?: { offset: number[]; bytes: Uint8Array; address: number }[];
  heapBytes?: Uint8Array[];
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function validate(spec: Hdf5DatasetSpec): void {
  const where = `dataset ${JSON.stringify(spec.name)}`;
  if (!spec.name || spec.name.includes("/") || new TextEncoder().encode(spec.name).length > 255) {
    throw new RangeError(`${where}: the name must be 1-255 bytes without "/"`);
  }
  if (!(spec.dtype in ELEMENT_SIZE)) {
    throw new RangeError(
      `${where}: unknown dtype ${spec.dtype}. Valid: ${Object.keys(ELEMENT_SIZE)}`,
    );
  }
  if (spec.shape.length < 1 || spec.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`${where}: shape must be non-negative integers, got [${spec.shape}]`);
  }
  const vlen = spec.dtype.startsWith("vlen");
  if (spec.chunks) {
    if (vlen) throw new RangeError(`${where}: chunked variable-length data is not supported`);
    if (typeof spec.data === "function") {
      throw new RangeError(`${where}: a row producer needs a contiguous dataset`);
    }
    if (
      spec.chunks.length !== spec.shape.length ||
      spec.chunks.some((c) => !Number.isInteger(c) || c < 1)
    ) {
      throw new RangeError(`${where}: chunks [${spec.chunks}] do not fit shape [${spec.shape}]`);
    }
  } else if (spec.gzip !== undefined || spec.shuffle) {
    throw new RangeError(`${where}: gzip and shuffle need chunks`);
  }
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (typeof spec.data !== "function" && spec.data.length !== n) {
    throw new RangeError(`${where}: ${spec.data.length} elements for shape [${spec.shape}] (${n})`);
  }
}

/**
 * Writes an HDF5 file holding the given root-level datasets, atomically
 * (temp file, then rename). h5py, h5wasm and jsfive read the result.
 *
 * @throws {RangeError} on an invalid name, shape, dtype or chunking
 * @example
 * ```ts
 * import { writeHdf5 } from "./write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeHdf5(`${dir}/emb.h5`, [
 *   { name: "embedding", dtype: "float16", shape: [2, 3], data: new Float16Array([1, 2, 3, 4, 5, 6]) },
 *   { name: "image_ids", dtype: "vlen-str", shape: [2], data: ["a.jpg", "b.jpg"] },
 *   { name: "valid", dtype: "bool", shape: [2], data: new Uint8Array([1, 1]) },
 * ]);
 * ```
 */
export async function writeHdf5(
  path: string,
  datasets: readonly Hdf5DatasetSpec[],
  options: Hdf5WriteOptions = {},
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  const names = new Set<string>();
  for (const d of datasets) {
    validate(d);
    if (names.has(d.name)) throw new RangeError(`dataset ${JSON.stringify(d.name)} given twice`);
    names.add(d.name);
  }
  // Layout: superblock | root header | dataset headers | B-trees | heaps | data | chunks.
  const plans: Planned[] = datasets.map((spec) => ({
    spec,
    header: 0,
    headerSize: 0,
    data: UNDEF,
    dataSize: 0,
    btree: UNDEF,
  }));
  const datasetHeader = (p: Planned) =>
    objectHeader(datasetMessages(p.spec, p.data, p.dataSize, p.btree));
  const rootSize = objectHeader(rootMessages(plans.map((p) => [p.spec.name, p.header]))).length;
  let cursor = 48 + rootSize;
  for (const p of plans) {
    p.header = cursor;
    p.headerSize = datasetHeader(p).length;
    cursor += p.headerSize;
  }
  cursor = align8(cursor);
  const trees: Uint8Array[] = [];
  for (const p of plans) {
    if (!p.spec.chunks) continue;
    const encoded = encodeChunks(p.spec);
    p.chunks = encoded.map((c) => ({ ...c, address: 0 }));
    const rank = p.spec.shape.length;
    const size = chunkBtree(p.chunks, rank, p.spec.chunks, 0).length;
    p.btree = cursor;
    cursor += size;
  }
  const heaps: { address: number; bytes: Uint8Array }[] = [];
  for (const p of plans) {
    if (!p.spec.dtype.startsWith("vlen")) continue;
    const objects = vlenObjects(p.spec);
    const refs = new Uint8Array(objects.length * 16);
    const view = new DataView(refs.buffer);
    // One collection per 60,000 objects or 64 MiB (object indices are 16-bit).
    let start = 0;
    while (start < objects.length || (start === 0 && objects.length === 0)) {
      let end = start, bytes = 0;
      while (end < objects.length && end - start < 60000 && bytes < (64 << 20)) {
        bytes += 16 + align8(objects[end].length);
        end++;
      }
      const heap = globalHeap(objects.slice(start, end));
      for (let i = start; i < end; i++) {
        view.setUint32(i * 16, objects[i].length, true);
        view.setBigUint64(i * 16 + 4, BigInt(cursor), true);
        view.setUint32(i * 16 + 12, i - start + 1, true);
      }
      heaps.push({ address: cursor, bytes: heap });
      cursor += heap.length;
      start = end;
      if (objects.length === 0) break;
    }
    p.heapBytes = [refs];
  }
  for (const p of plans) {
    if (p.spec.chunks) continue;
    const n = p.spec.shape.reduce((a, b) => a * b, 1);
    p.data = cursor;
    p.dataSize = n * ELEMENT_SIZE[p.spec.dtype];
    cursor = align8(cursor + p.dataSize);
  }
  for (const p of plans) {
    for (const c of p.chunks ?? []) {
      c.address = cursor;
      cursor += c.bytes.length;
    }
  }
  for (const p of plans) {
    if (p.chunks) {
      const rank = p.spec.shape.length;
      trees.push(chunkBtree(p.chunks, rank, p.spec.chunks!, p.btree));
    }
  }
  const eof = cursor;

  await writeFileAtomic(path, async (tmp) => {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    let at = 0;
    const put = async (address: number, bytes: Uint8Array) => {
      signal?.throwIfAborted();
      if (address !== at) {
        if (address < at) throw new Error(`internal: write at ${address} behind ${at}`);
        await file.seek(address, Deno.SeekMode.Start);
      }
      for (let o = 0; o < bytes.length;) o += await file.write(bytes.subarray(o));
      at = address + bytes.length;
    };
    const root = objectHeader(rootMessages(plans.map((p) => [p.spec.name, p.header])));
    await put(0, superblock(48, eof));
    await put(48, root);
    for (const p of plans) await put(p.header, datasetHeader(p));
    let t = 0;
    for (const p of plans) if (p.chunks) await put(p.btree, trees[t++]);
    for (const h of heaps) await put(h.address, h.bytes);
    for (const p of plans) {
      if (p.spec.chunks) continue;
      if (p.heapBytes) await put(p.data, p.heapBytes[0]);
      else await writeContiguous(p, put, options.rowsPerBlock ?? 4096);
    }
    for (const p of plans) for (const c of p.chunks ?? []) await put(c.address, c.bytes);
    if (at < eof) await put(eof - 1, new Uint8Array(1).fill(0)); // zero padding up to eof
  }, { signal });
}

async function writeContiguous(
  p: Planned,
  put: (address: number, bytes: Uint8Array) => Promise<void>,
  rowsPerBlock: number,
): Promise<void> {
  const { data, shape } = p.spec;
  if (typeof data !== "function") {
    await put(p.data, bytesOf(data as Hdf5NumericArray));
    return;
  }
  const rowBytes = p.dataSize / Math.max(1, shape[0]);
  for (let r = 0; r < shape[0]; r += rowsPerBlock) {
    const count = Math.min(rowsPerBlock, shape[0] - r);
    const block = bytesOf(data(r, count));
    if (block.length !== count * rowBytes) {
      throw new RangeError(
        `dataset ${JSON.stringify(p.spec.name)}: the producer gave ${block.length} bytes for ` +
          `${count} rows of ${rowBytes} bytes`,
      );
    }
    await put(p.data + r * rowBytes, block);
  }
}
