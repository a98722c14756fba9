/**
 * Encoders of the HDF5 on-disk structures that {@linkcode writeHdf5} needs
 * (HDF5 File Format Specification 3.0): superblock v2, object header v2,
 * datatype messages, global heap collections and version-1 chunk B-trees,
 * plus the Jenkins lookup3 checksum. Little-endian, 8-byte offsets and
 * lengths throughout. Test tooling: the synthetic dataset's generator and the
 * tests write HDF5 files with it; the library only reads them.
 * @module
 */

import { ELEMENT_SIZE, type Hdf5Dtype } from "../../../lib/formats/hdf5_types.ts";

export { ELEMENT_SIZE };
export type { Hdf5Dtype, Hdf5NumericArray } from "../../../lib/formats/hdf5_types.ts";

/** The undefined address (all bits set), as a number sentinel. */
export const UNDEF: number = -1;
/** The undefined address as written. */
export const UNDEF_BIG = 0xffffffffffffffffn;
/** Half the fan-out of chunk B-tree nodes: HDF5's default, used when the superblock has no value. */
export const BTREE_K = 32;

/**
 * Bob Jenkins' lookup3 `hashlittle`, the checksum of HDF5's v2 metadata.
 *
 * @example
 * ```ts
 * import { lookup3 } from "./encode.ts";
 * lookup3(new Uint8Array(0)); // 0xdeadbeef
 * ```
 */
export function lookup3(k: Uint8Array, initval = 0): number {
  const rot = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  const s = new Uint32Array(3).fill((0xdeadbeef + k.length + initval) >>> 0);
  const mix = () => {
    // [a, b, c] = s; the shifts and rotations of lookup3's mix()
    for (const [x, y, z, r] of MIX) {
      s[x] -= s[z];
      s[x] ^= rot(s[z], r);
      s[z] += s[y];
    }
  };
  const final = () => {
    for (const [x, y, r] of FINAL) {
      s[x] ^= s[y];
      s[x] -= rot(s[y], r);
    }
  };
  const padded = new Uint8Array(Math.max(12, Math.ceil(k.length / 12) * 12));
  padded.set(k);
  const words = new DataView(padded.buffer);
  let len = k.length, o = 0;
  while (len > 12) {
    for (let w = 0; w < 3; w++) s[w] += words.getUint32(o + 4 * w, true);
    mix();
    len -= 12;
    o += 12;
  }
  if (len === 0) return s[2];
  for (let w = 0; w < 3; w++) s[w] += words.getUint32(o + 4 * w, true);
  final();
  return s[2];
}

// mix(): a -= c; a ^= rot(c, 4); c += b; then the same on (b, a, c), (c, b, a) ...
const MIX: readonly [number, number, number, number][] = [
  [0, 1, 2, 4],
  [1, 2, 0, 6],
  [2, 0, 1, 8],
  [0, 1, 2, 16],
  [1, 2, 0, 19],
  [2, 0, 1, 4],
];
// final(): c ^= b; c -= rot(b, 14); a ^= c; a -= rot(c, 11); ...
const FINAL: readonly [number, number, number][] = [
  [2, 1, 14],
  [0, 2, 11],
  [1, 0, 25],
  [2, 1, 16],
  [0, 2, 4],
  [1, 0, 14],
  [2, 1, 24],
];

function withChecksum(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, lookup3(body), true);
  return out;
}

/**
 * Superblock version 2 (48 bytes) with the root group's object header right after it.
 *
 * @example
 * ```ts
 * import { superblock } from "./encode.ts";
 * superblock(48, 4096).length; // 48
 * ```
 */
export function superblock(rootHeader: number, eof: number): Uint8Array {
  const b = new Uint8Array(44);
  const v = new DataView(b.buffer);
  b.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 2, 8, 8, 0]);
  v.setBigUint64(12, 0n, true); // base address
  v.setBigUint64(20, UNDEF_BIG, true); // no superblock extension
  v.setBigUint64(28, BigInt(eof), true);
  v.setBigUint64(36, BigInt(rootHeader), true);
  return withChecksum(b);
}

/**
 * An object header version 2 (`OHDR`) holding the given `[type, body]`
 * messages in one chunk, with its checksum.
 *
 * @example
 * ```ts
 * import { objectHeader } from "./encode.ts";
 * objectHeader([[0x0a, new Uint8Array(2)]]).length; // 4+1+1+4 + 4+2 + 4
 * ```
 */
export function objectHeader(messages: readonly [number, Uint8Array][]): Uint8Array {
  const chunk = messages.reduce((a, [, body]) => a + 4 + body.length, 0);
  const b = new Uint8Array(10 + chunk);
  const v = new DataView(b.buffer);
  b.set([0x4f, 0x48, 0x44, 0x52, 2, 0x02]); // "OHDR", version 2, 4-byte chunk size
  v.setUint32(6, chunk, true);
  let o = 10;
  for (const [type, body] of messages) {
    b[o] = type;
    v.setUint16(o + 1, body.length, true);
    b[o + 3] = type === 0x03 ? 0x01 : 0; // the datatype is constant
    b.set(body, o + 4);
    o += 4 + body.length;
  }
  return withChecksum(b);
}

function fixedPoint(size: number, signed: boolean): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  b[0] = 0x10; // version 1, class 0
  b[1] = signed ? 0x08 : 0;
  v.setUint32(4, size, true);
  v.setUint16(10, size * 8, true); // bit offset 0, precision
  return b;
}

const FLOATS: Record<number, [number, number, number, number, number]> = {
  // size: sign location, exponent location, exponent size, mantissa size, bias
  2: [15, 10, 5, 10, 15],
  4: [31, 23, 8, 23, 127],
  8: [63, 52, 11, 52, 1023],
};

function floatingPoint(size: number): Uint8Array {
  const [sign, expLoc, expSize, mantSize, bias] = FLOATS[size];
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  b[0] = 0x11; // version 1, class 1
  b[1] = 0x20; // little-endian, implied mantissa MSB
  b[2] = sign;
  v.setUint32(4, size, true);
  v.setUint16(8, 0, true);
  v.setUint16(10, size * 8, true);
  b.set([expLoc, expSize, 0, mantSize], 12);
  v.setUint32(16, bias, true);
  return b;
}

/**
 * The datatype message of an element type, as h5py writes it: `bool` is an
 * enum `{FALSE: 0, TRUE: 1}` over int8; `vlen-str` a UTF-8
 * variable-length string; `vlen-uint8` a sequence of uint8.
 *
 * @example
 * ```ts
 * import { datatypeMessage } from "./encode.ts";
 * datatypeMessage("float16").length; // 20
 * ```
 */
export function datatypeMessage(dtype: Hdf5Dtype): Uint8Array {
  switch (dtype) {
    case "uint8":
    case "uint16":
    case "uint32":
      return fixedPoint(ELEMENT_SIZE[dtype], false);
    case "int8":
    case "int16":
    case "int32":
      return fixedPoint(ELEMENT_SIZE[dtype], true);
    case "float16":
    case "float32":
    case "float64":
      return floatingPoint(ELEMENT_SIZE[dtype]);
    case "bool": {
      const base = fixedPoint(1, true);
      const names = new Uint8Array(16); // "FALSE\0" and "TRUE\0", each padded to 8
      names.set([0x46, 0x41, 0x4c, 0x53, 0x45], 0);
      names.set([0x54, 0x52, 0x55, 0x45], 8);
      const b = new Uint8Array(8 + base.length + names.length + 2);
      b[0] = 0x18; // version 1, class 8
      b[1] = 2; // members
      new DataView(b.buffer).setUint32(4, 1, true);
      b.set(base, 8);
      b.set(names, 8 + base.length);
      b.set([0, 1], 8 + base.length + names.length);
      return b;
    }
    case "vlen-str":
    case "vlen-uint8": {
      const base = fixedPoint(1, false);
      const b = new Uint8Array(8 + base.length);
      b[0] = 0x19; // version 1, class 9
      // string: type 1, null-terminated padding, UTF-8 charset; sequence: type 0
      if (dtype === "vlen-str") b.set([0x01, 0x01], 1);
      new DataView(b.buffer).setUint32(4, 16, true);
      b.set(base, 8);
      return b;
    }
  }
}

/**
 * A global heap collection (`GCOL`) holding `objects` as objects 1..n, at
 * least 4 KiB as HDF5 requires, the rest recorded as free space.
 *
 * @example
 * ```ts
 * import { globalHeap } from "./encode.ts";
 * globalHeap([new Uint8Array([1, 2, 3])]).length; // 4096
 * ```
 */
export function globalHeap(objects: readonly Uint8Array[]): Uint8Array {
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  const used = 16 + objects.reduce((a, o) => a + 16 + pad8(o.length), 0);
  const size = Math.max(4096, pad8(used + 16));
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x47, 0x43, 0x4f, 0x4c, 1]); // "GCOL", version 1
  v.setBigUint64(8, BigInt(size), true);
  let o = 16;
  objects.forEach((obj, i) => {
    v.setUint16(o, i + 1, true);
    v.setUint16(o + 2, 1, true); // reference count
    v.setBigUint64(o + 8, BigInt(obj.length), true);
    b.set(obj, o + 16);
    o += 16 + pad8(obj.length);
  });
  // object 0: the free space, its size counting its own header
  v.setBigUint64(o + 8, BigInt(size - o), true);
  return b;
}

/** One stored chunk: its origin (element coordinates), stored bytes and file address. */
export interface EncodedChunk {
  /** Origin of the chunk in element coordinates. */
  offset: readonly number[];
  /** The stored (filtered) bytes. */
  bytes: Uint8Array;
  /** File address of the stored bytes. */
  address: number;
}

/**
 * The version-1 B-tree (node type 1) indexing the chunks of a dataset, all
 * nodes laid out from `address` on, root first. Each node takes the full
 * size HDF5 reads for a node of fan-out 2K, `K` = {@linkcode BTREE_K}.
 *
 * @example
 * ```ts
 * import { chunkBtree } from "./encode.ts";
 * const tree = chunkBtree([{ offset: [0], bytes: new Uint8Array(4), address: 4096 }], 1, [4], 2048);
 * ```
 */
export function chunkBtree(
  chunks: readonly EncodedChunk[],
  rank: number,
  chunkShape: readonly number[],
  address: number,
): Uint8Array {
  const keySize = 8 + 8 * (rank + 1);
  const fan = 2 * BTREE_K;
  const nodeSize = 24 + fan * 8 + (fan + 1) * keySize;
  type Entry = { size: number; offset: readonly number[]; child: number };
  // levels bottom-up; the leaves point at chunks
  let level: Entry[] = chunks.map((c) => ({
    size: c.bytes.length,
    offset: c.offset,
    child: c.address,
  }));
  const levels: Entry[][][] = [];
  do {
    const nodes: Entry[][] = [];
    for (let i = 0; i < Math.max(1, level.length); i += fan) nodes.push(level.slice(i, i + fan));
    levels.push(nodes);
    level = nodes.map((n) => ({ size: n[0]?.size ?? 0, offset: n[0]?.offset ?? [], child: 0 }));
  } while (level.length > 1);
  // root first: assign addresses top-down
  const order = levels.slice().reverse();
  let next = address;
  const addrs = order.map((nodes) => nodes.map(() => (next += nodeSize) - nodeSize));
  const out = new Uint8Array(next - address);
  const v = new DataView(out.buffer);
  const lastKey = chunks.length
    ? chunks[chunks.length - 1].offset.map((o, i) => o + chunkShape[i])
    : new Array(rank).fill(0);
  const putKey = (at: number, size: number, offset: readonly number[]) => {
    v.setUint32(at, size, true);
    v.setUint32(at + 4, 0, true); // filter mask: every filter applied
    for (let d = 0; d < rank; d++) v.setBigUint64(at + 8 + 8 * d, BigInt(offset[d] ?? 0), true);
    v.setBigUint64(at + 8 + 8 * rank, 0n, true);
  };
  order.forEach((nodes, li) => {
    const nodeLevel = order.length - 1 - li;
    nodes.forEach((entries, ni) => {
      const at = addrs[li][ni] - address;
      out.set([0x54, 0x52, 0x45, 0x45, 1, nodeLevel], at); // "TREE", raw-data chunks
      v.setUint16(at + 6, entries.length, true);
      v.setBigUint64(at + 8, UNDEF_BIG, true);
      v.setBigUint64(at + 16, UNDEF_BIG, true);
      let o = at + 24;
      entries.forEach((e, ei) => {
        putKey(o, e.size, e.offset);
        const child = nodeLevel === 0 ? e.child : addrs[li + 1][ni * fan + ei];
        v.setBigUint64(o + keySize, BigInt(child), true);
        o += keySize + 8;
      });
      // the right key of the node: the next node's first key, or past the last chunk
      putKey(o, 0, ni + 1 < nodes.length ? nodes[ni + 1][0].offset : lastKey);
    });
  });
  return out;
}
