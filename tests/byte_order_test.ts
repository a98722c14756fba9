// lib/formats/byte_order.ts: the one byte swap every reader and writer uses, checked against
// DataView, and a big-endian GIfTI payload read through it.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import {
  bigEndianArray,
  HOST_LITTLE_ENDIAN,
  littleEndianBytes,
  swapBytes,
} from "../lib/formats/byte_order.ts";
import { giftiFuncXml, readGiftiDataArrays } from "../lib/formats/mod.ts";

const bytes = Uint8Array.from({ length: 67 }, (_, i) => (i * 37 + 11) & 0xff);

Deno.test("swapBytes: every word of width 2, 4 and 8 reversed; a trailing partial word and other widths left alone", () => {
  for (const width of [1, 2, 3, 4, 8]) {
    const b = bytes.slice();
    swapBytes(b, width);
    const whole = [2, 4, 8].includes(width) ? Math.floor(b.length / width) * width : 0;
    for (let p = 0; p < b.length; p++) {
      const want = p < whole ? bytes[p - (p % width) + width - 1 - (p % width)] : bytes[p];
      assert.equal(b[p], want, `width ${width}, byte ${p}`);
    }
  }
});

Deno.test("bigEndianArray: equals DataView's big-endian reads at any offset, as a fresh aligned array", () => {
  const view = new DataView(bytes.buffer);
  const check = <T extends Float32Array | Int32Array | Int16Array>(
    Type: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number; name: string },
    get: (offset: number) => number,
  ) => {
    for (const offset of [0, 1, 3]) {
      const n = Math.floor((bytes.length - offset) / Type.BYTES_PER_ELEMENT);
      const got = bigEndianArray(bytes, offset, n, Type);
      assert.ok(got instanceof Type);
      assert.equal(got.byteOffset, 0);
      assert.equal(got.length, n);
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(got[i], get(offset + i * Type.BYTES_PER_ELEMENT)), `${Type.name} ${i}`);
      }
    }
  };
  check(Int16Array, (o) => view.getInt16(o));
  check(Int32Array, (o) => view.getInt32(o));
  check(Float32Array, (o) => view.getFloat32(o));
});

Deno.test("littleEndianBytes: the values' little-endian bytes, the input untouched", () => {
  const v = Float32Array.of(1, -2.5, 3e-7);
  const got = littleEndianBytes(v);
  const view = new DataView(got.buffer, got.byteOffset, got.byteLength);
  for (let i = 0; i < v.length; i++) assert.equal(view.getFloat32(4 * i, true), v[i]);
  assert.deepEqual(v, Float32Array.of(1, -2.5, 3e-7));
  assert.equal(HOST_LITTLE_ENDIAN, new DataView(Uint16Array.of(1).buffer).getUint8(0) === 1);
});

Deno.test("gifti: a BigEndian Base64Binary array reads as the same values", async () => {
  const values = Float32Array.from({ length: 13 }, (_, i) => Math.fround(Math.sin(i) * 100));
  const xml = giftiFuncXml([{ values }], { encoding: "Base64Binary" });
  const big = xml.replace(/<Data>([^<]*)<\/Data>/, (_, b64: string) => {
    const raw = new Uint8Array(Buffer.from(b64, "base64"));
    swapBytes(raw, 4);
    return `<Data>${Buffer.from(raw).toString("base64")}</Data>`;
  }).replace('Endian="LittleEndian"', 'Endian="BigEndian"');
  assert.notEqual(big, xml);
  const dir = await Deno.makeTempDir({ prefix: "byte-order-" });
  try {
    const path = join(dir, "big.func.gii");
    await Deno.writeTextFile(path, big);
    const [a] = await readGiftiDataArrays(path);
    assert.deepEqual(a.data, values);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
