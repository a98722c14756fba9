/**
 * The dataset specification of {@linkcode writeHdf5} and the encoders of
 * the object-header messages and chunks it writes.
 * @module
 */
import { deflateSync } from "node:zlib";
import {
  datatypeMessage,
  ELEMENT_SIZE,
  type Hdf5Dtype,
  type Hdf5NumericArray,
  UNDEF_BIG,
} from "./encode.ts";

export type { Hdf5NumericArray } from "./encode.ts";

/**
 * Makes the rows `[start, start + count)` (first axis) of a contiguous
 * numeric dataset on demand, so that large datasets never sit in memory whole.
 */
export type Hdf5RowProducer = (start: number, count: number) => Hdf5NumericArray;

/** One dataset to write. */
export interface Hdf5DatasetSpec {
  /** Name at the file root (no `/`). */
  name: string;
  /** Element type; `bool` is h5py's enum `{FALSE: 0, TRUE: 1}` over int8. */
  dtype: Hdf5Dtype;
  /** Dimensions, at least one. */
  shape: readonly number[];
  /**
   * C-order data: a typed array (`Uint8Array` of 0/1 for `bool`), a row
   * producer (contiguous numeric only), `string[]` for `vlen-str`, or
   * `Uint8Array[]` for `vlen-uint8`.
   */
  data: Hdf5NumericArray | Hdf5RowProducer | readonly string[] | readonly Uint8Array[];
  /** Chunk shape; without it the dataset is contiguous. @default contiguous */
  chunks?: readonly number[];
  /** gzip level 0-9 (needs `chunks`). @default no compression */
  gzip?: number;
  /** Byte shuffle before gzip (needs `chunks`). @default false */
  shuffle?: boolean;
}

/** The bytes under a typed array. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Encodes every chunk of a chunked dataset: full-size edge chunks padded
 * with zeros, in C order of the chunk grid, shuffled and deflated as asked.
 *
 * @example
 * ```ts
 * import { encodeChunks } from "./messages.ts";
 * encodeChunks({ name: "m", dtype: "uint8", shape: [3], data: new Uint8Array(3), chunks: [2] }).length; // 2
 * ```
 */
export function encodeChunks(spec: Hdf5DatasetSpec): { offset: number[]; bytes: Uint8Array }[] {
  const size = ELEMENT_SIZE[spec.dtype];
  const src = bytesOf(spec.data as Hdf5NumericArray);
  const { shape } = spec;
  const chunks = spec.chunks!;
  const rank = shape.length;
  const grid = shape.map((d, i) => Math.ceil(d / chunks[i]));
  const chunkElems = chunks.reduce((a, b) => a * b, 1);
  const out: { offset: number[]; bytes: Uint8Array }[] = [];
  const idx = new Array(rank).fill(0);
  const total = grid.reduce((a, b) => a * b, 1);
  for (let c = 0; c < total; c++) {
    const origin = idx.map((v, i) => v * chunks[i]);
    const raw = new Uint8Array(chunkElems * size);
    // copy the chunk row by row along the last axis
    const inner = Math.min(chunks[rank - 1], shape[rank - 1] - origin[rank - 1]);
    const rows = chunkElems / chunks[rank - 1];
    for (let r = 0; r < rows; r++) {
      let rem = r, srcIndex = 0, inside = true;
      for (let d = rank - 2; d >= 0; d--) {
        const local = rem % chunks[d];
        rem = Math.floor(rem / chunks[d]);
        if (origin[d] + local >= shape[d]) inside = false;
      }
      if (!inside) continue;
      rem = r;
      const coord = new Array(rank).fill(0);
      for (let d = rank - 2; d >= 0; d--) {
        coord[d] = origin[d] + (rem % chunks[d]);
        rem = Math.floor(rem / chunks[d]);
      }
      coord[rank - 1] = origin[rank - 1];
      for (let d = 0; d < rank; d++) srcIndex = srcIndex * shape[d] + coord[d];
      raw.set(
        src.subarray(srcIndex * size, (srcIndex + inner) * size),
        r * chunks[rank - 1] * size,
      );
    }
    let bytes = raw;
    if (spec.shuffle && size > 1) {
      const n = raw.length / size;
      bytes = new Uint8Array(raw.length);
      for (let e = 0; e < n; e++) {
        for (let b = 0; b < size; b++) bytes[b * n + e] = raw[e * size + b];
      }
    }
    if (spec.gzip !== undefined) bytes = new Uint8Array(deflateSync(bytes, { level: spec.gzip }));
    out.push({ offset: origin, bytes });
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < grid[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The byte strings of a variable-length dataset (UTF-8 for strings). */
export function vlenObjects(spec: Hdf5DatasetSpec): Uint8Array[] {
  if (spec.dtype === "vlen-str") {
    const te = new TextEncoder();
    return (spec.data as readonly string[]).map((s) => te.encode(s));
  }
  return (spec.data as readonly Uint8Array[]).map((b) => b);
}

/**
 * The messages of the root group: link info and group info (a new-style
 * group with compact links) and one hard link per dataset header.
 *
 * @example
 * ```ts
 * import { rootMessages } from "./messages.ts";
 * rootMessages([["betasmd", 120]]).length; // 3
 * ```
 */
export function rootMessages(links: readonly [string, number][]): [number, Uint8Array][] {
  // Link info (no dense storage) + group info make this a new-style group.
  const linfo = new Uint8Array(18);
  new DataView(linfo.buffer).setBigUint64(2, UNDEF_BIG, true);
  new DataView(linfo.buffer).setBigUint64(10, UNDEF_BIG, true);
  const msgs: [number, Uint8Array][] = [[0x02, linfo], [0x0a, new Uint8Array(2)]];
  for (const [text, header] of links) {
    const name = new TextEncoder().encode(text);
    // version 1; flags: charset field present, 1-byte name length, hard link
    const link = new Uint8Array(4 + name.length + 8);
    link[0] = 1;
    link[1] = 0x10;
    link[2] = name.length === text.length ? 0 : 1; // ASCII or UTF-8
    link[3] = name.length;
    link.set(name, 4);
    new DataView(link.buffer).setBigUint64(4 + name.length, BigInt(header), true);
    msgs.push([0x06, link]);
  }
  return msgs;
}

/**
 * The messages of a dataset's header: dataspace, datatype, fill value,
 * layout (contiguous at `data`, or chunked under the B-tree at `btree`) and,
 * when asked, the shuffle + deflate pipeline.
 *
 * @example
 * ```ts
 * import { datasetMessages } from "./messages.ts";
 * const msgs = datasetMessages({ name: "x", dtype: "uint8", shape: [4], data: new Uint8Array(4) }, 4096, 4, -1);
 * ```
 */
export function datasetMessages(
  spec: Hdf5DatasetSpec,
  data: number,
  dataSize: number,
  btree: number,
): [number, Uint8Array][] {
  const rank = spec.shape.length;
  const space = new Uint8Array(4 + 8 * rank);
  const sv = new DataView(space.buffer);
  space[0] = 2; // version
  space[1] = rank;
  space[2] = 0; // no max dims
  space[3] = 1; // simple
  spec.shape.forEach((d, i) => sv.setBigUint64(4 + 8 * i, BigInt(d), true));
  // fill value v3: allocation late (contiguous) / incremental (chunked), write if set
  const fill = new Uint8Array([3, (spec.chunks ? 3 : 2) | (2 << 2)]);
  let layout: Uint8Array;
  if (spec.chunks) {
    layout = new Uint8Array(3 + 8 + 4 * (rank + 1));
    const lv = new DataView(layout.buffer);
    layout[0] = 3;
    layout[1] = 2;
    layout[2] = rank + 1;
    lv.setBigUint64(3, BigInt(btree), true);
    spec.chunks.forEach((c, i) => lv.setUint32(11 + 4 * i, c, true));
    lv.setUint32(11 + 4 * rank, ELEMENT_SIZE[spec.dtype], true);
  } else {
    layout = new Uint8Array(18);
    const lv = new DataView(layout.buffer);
    layout[0] = 3;
    layout[1] = 1;
    lv.setBigUint64(2, BigInt(data), true);
    lv.setBigUint64(10, BigInt(dataSize), true);
  }
  const msgs: [number, Uint8Array][] = [
    [0x01, space],
    [0x03, datatypeMessage(spec.dtype)],
    [0x05, fill],
    [0x08, layout],
  ];
  if (spec.chunks && (spec.shuffle || spec.gzip !== undefined)) {
    const filters: [number, number[]][] = [];
    if (spec.shuffle) filters.push([2, [ELEMENT_SIZE[spec.dtype]]]);
    if (spec.gzip !== undefined) filters.push([1, [spec.gzip]]);
    const size = 2 + filters.reduce((a, [, cd]) => a + 6 + 4 * cd.length, 0);
    const pipe = new Uint8Array(size);
    const pv = new DataView(pipe.buffer);
    pipe[0] = 2;
    pipe[1] = filters.length;
    let o = 2;
    for (const [id, cd] of filters) {
      pv.setUint16(o, id, true);
      pv.setUint16(o + 2, 1, true); // optional, as H5Pset_shuffle/H5Pset_deflate set it
      pv.setUint16(o + 4, cd.length, true);
      o += 6;
      for (const v of cd) {
        pv.setUint32(o, v, true);
        o += 4;
      }
    }
    msgs.push([0x0b, pipe]);
  }
  return msgs;
}
