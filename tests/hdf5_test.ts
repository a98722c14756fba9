// HDF5 adapter (lib/formats/hdf5*.ts) against Debian's h5py (python3-h5py,
// installed by scripts/with_local_s3.sh), in both directions: files h5py
// writes are read by our reader and layout parser; files our writer makes
// are read by h5py. Values are compared exactly (float16 by bit pattern).
import assert from "node:assert/strict";
import { Hdf5File, readHdf5Dataset } from "../lib/formats/hdf5.ts";
import { hdf5ContiguousLayout } from "../lib/formats/hdf5_layout.ts";
import { type Hdf5DatasetSpec, writeHdf5 } from "../scripts/synth/hdf5/write.ts";
import { lookup3 } from "../scripts/synth/hdf5/encode.ts";
import { MalformedFileError } from "../lib/core/errors.ts";

const PY = "/usr/bin/python3";
const dir = await Deno.makeTempDir({ prefix: "laion-hdf5-test-" });

async function python(code: string, ...args: string[]): Promise<unknown> {
  const out = await new Deno.Command(PY, {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

// Writes the same content with both libver bounds and reports what h5py sees.
const WRITE_PY = `
import sys, json, h5py, numpy as np
out = {}
f16 = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, 1e-5, np.inf, -np.inf, np.nan, 0.1, 1/3], dtype=np.float16)
betas = ((np.arange(37 * 9, dtype=np.float64) * 0.37) % 5 - 2.5).astype(np.float32).reshape(37, 1, 1, 9)
betas[3, 0, 0, 4] = np.nan
masks = ((np.arange(7 * 10 * 6) * 7919) % 11 < 4).astype(np.uint8).reshape(7, 10, 6)
imgs = [bytes([255, 216]) + bytes(range(i * 37 % 251)) for i in range(5)] + [b""]
for lv in ("earliest", "latest"):
    path = f"{sys.argv[1]}/h5py-{lv}.h5"
    with h5py.File(path, "w", libver=lv) as f:
        f.create_dataset("betasmd", data=betas)
        f.create_dataset("embedding", data=f16.reshape(3, 4))
        f.create_dataset("image_ids", data=["shared_1.jpg", "unique_\\u00e9.png", ""], dtype=h5py.string_dtype())
        f.create_dataset("valid", data=np.array([True, False, True, True]))
        d = f.create_dataset("images", (len(imgs),), dtype=h5py.vlen_dtype(np.uint8))
        for i, b in enumerate(imgs):
            d[i] = np.frombuffer(b, dtype=np.uint8)
        f.create_dataset("masks", data=masks, chunks=(1, 4, 6), compression="gzip", shuffle=True)
        f.create_dataset("codes", data=np.arange(-6, 6, dtype=np.int16).reshape(4, 3))
        f.create_dataset("wide", data=np.linspace(-1, 1, 5))
        out[lv] = {"path": path, "offset": f["betasmd"].id.get_offset(), "emb_offset": f["embedding"].id.get_offset()}
out["betas"] = betas.view(np.uint32).ravel().tolist()
out["f16"] = f16.view(np.uint16).tolist()
out["masks"] = masks.ravel().tolist()
out["images"] = [list(b) for b in imgs]
out["wide"] = np.linspace(-1, 1, 5).tolist()
print(json.dumps(out))
`;

interface Written {
  earliest: { path: string; offset: number; emb_offset: number };
  latest: { path: string; offset: number; emb_offset: number };
  betas: number[];
  f16: number[];
  masks: number[];
  images: number[][];
  wide: number[];
}
const h5py = await python(WRITE_PY, dir) as Written;

const bits = (a: ArrayBufferView, Ctor: Uint16ArrayConstructor | Uint32ArrayConstructor) =>
  Array.from(
    new Ctor(a.buffer as ArrayBuffer, a.byteOffset, a.byteLength / Ctor.BYTES_PER_ELEMENT),
  );

for (const lv of ["earliest", "latest"] as const) {
  Deno.test(`reads every type of an h5py file (libver ${lv})`, async () => {
    using f = await Hdf5File.open(h5py[lv].path);
    assert.deepEqual(f.datasets(), [
      "betasmd",
      "codes",
      "embedding",
      "image_ids",
      "images",
      "masks",
      "valid",
      "wide",
    ]);
    assert.deepEqual(f.info("betasmd"), {
      name: "betasmd",
      dtype: "float32",
      shape: [37, 1, 1, 9],
      chunks: null,
      filters: [],
    });
    assert.deepEqual(bits(f.read("betasmd") as Float32Array, Uint32Array), h5py.betas);
    const rows = f.read("betasmd", { rows: [3, 5] }) as Float32Array;
    assert.deepEqual(bits(rows, Uint32Array), h5py.betas.slice(27, 45));
    assert.ok(Number.isNaN(rows[4]));

    assert.equal(f.info("embedding").dtype, "float16");
    const emb = f.read("embedding");
    assert.ok(emb instanceof Float16Array);
    assert.deepEqual(bits(emb, Uint16Array), h5py.f16);
    assert.deepEqual(
      bits(f.read("embedding", { rows: [1, 2] }) as Float16Array, Uint16Array),
      h5py.f16.slice(4, 8),
    );

    assert.equal(f.info("image_ids").dtype, "vlen-str");
    assert.deepEqual(f.read("image_ids"), ["shared_1.jpg", "unique_\u00e9.png", ""]);
    assert.equal(f.info("valid").dtype, "bool");
    assert.deepEqual(Array.from(f.read("valid") as Uint8Array), [1, 0, 1, 1]);
    assert.equal(f.info("images").dtype, "vlen-uint8");
    assert.deepEqual((f.read("images") as Uint8Array[]).map((b) => Array.from(b)), h5py.images);
    assert.deepEqual(
      (f.read("images", { rows: [2, 3] }) as Uint8Array[]).map((b) => Array.from(b)),
      [
        h5py.images[2],
      ],
    );

    assert.deepEqual(f.info("masks"), {
      name: "masks",
      dtype: "uint8",
      shape: [7, 10, 6],
      chunks: [1, 4, 6],
      filters: ["shuffle", "deflate"],
    });
    assert.deepEqual(Array.from(f.read("masks") as Uint8Array), h5py.masks);
    assert.deepEqual(
      Array.from(f.read("masks", { rows: [6, 7] }) as Uint8Array),
      h5py.masks.slice(360),
    );
    assert.deepEqual(Array.from(f.read("codes") as Int16Array), [
      -6,
      -5,
      -4,
      -3,
      -2,
      -1,
      0,
      1,
      2,
      3,
      4,
      5,
    ]);
    assert.deepEqual(Array.from(f.read("wide") as Float64Array), h5py.wide);
  });

  Deno.test(`contiguous offsets from a head-only buffer equal h5py's (libver ${lv})`, async () => {
    const bytes = await Deno.readFile(h5py[lv].path);
    // as a remote reader would: a small head, doubled until the metadata fits
    let head = 512, layout = null;
    while (!(layout = hdf5ContiguousLayout(bytes.subarray(0, head), "betasmd", { file: "f" }))) {
      assert.ok(head < bytes.length, "found before the end of the file");
      head *= 2;
    }
    assert.deepEqual(layout, {
      name: "betasmd",
      dtype: "float32",
      shape: [37, 1, 1, 9],
      offset: h5py[lv].offset,
      byteLength: 37 * 9 * 4,
      rowBytes: 36,
    });
    // the bytes there are the rows
    const row3 = new Float32Array(
      bytes.slice(layout!.offset + 3 * 36, layout!.offset + 4 * 36).buffer,
    );
    assert.deepEqual(bits(row3, Uint32Array), h5py.betas.slice(27, 36));
    assert.equal(hdf5ContiguousLayout(bytes, "embedding")!.offset, h5py[lv].emb_offset);
    assert.equal(hdf5ContiguousLayout(bytes.subarray(0, 300), "betasmd"), null, "head too short");
    assert.throws(
      () =>
        hdf5ContiguousLayout(new TextEncoder().encode("<Error>AccessDenied</Error>"), "betasmd", {
          file: "e.h5",
        }),
      /e\.h5: not an HDF5 file/,
    );
    assert.throws(
      () => hdf5ContiguousLayout(bytes, "masks", { file: "m.h5" }),
      /m\.h5: dataset masks is chunked/,
    );
    assert.throws(() => hdf5ContiguousLayout(bytes, "image_ids"), MalformedFileError);
    assert.throws(
      () => hdf5ContiguousLayout(bytes, "nope", { file: "x.h5" }),
      /x\.h5: no dataset "nope"/,
    );
  });
}

// Our writer -> h5py.
const f16Bits = [
  0x0000,
  0x8000,
  0x3c00,
  0xc100,
  0x7bff,
  0x0001,
  0x00a8,
  0x7c00,
  0xfc00,
  0x7e00,
  0x2e66,
  0x3555,
];
const betasOurs = Float32Array.from({ length: 41 * 6 }, (_, i) => Math.fround(Math.sin(i) * 3));
betasOurs[7] = NaN;
const masksOurs = Uint8Array.from({ length: 9 * 5 * 4 }, (_, i) => (i * 31) % 7 < 3 ? 1 : 0);
const u16Ours = Uint16Array.from({ length: 6 * 5 }, (_, i) => i * 2113);
const imagesOurs = [
  new Uint8Array([255, 216, 255]),
  new Uint8Array(0),
  Uint8Array.from({ length: 5000 }, (_, i) => i % 256),
];
const SPECS: Hdf5DatasetSpec[] = [
  {
    name: "betasmd",
    dtype: "float32",
    shape: [41, 1, 1, 6],
    // produced in blocks of 4 rows
    data: (start, count) => betasOurs.slice(start * 6, (start + count) * 6),
  },
  { name: "embedding", dtype: "float16", shape: [3, 4], data: new Uint16Array(f16Bits) },
  { name: "image_ids", dtype: "vlen-str", shape: [3], data: ["a.jpg", "caf\u00e9.png", ""] },
  { name: "valid", dtype: "bool", shape: [4], data: new Uint8Array([1, 1, 0, 1]) },
  { name: "images", dtype: "vlen-uint8", shape: [3], data: imagesOurs },
  {
    name: "masks",
    dtype: "uint8",
    shape: [9, 5, 4],
    data: masksOurs,
    chunks: [2, 5, 4],
    gzip: 4,
    shuffle: true,
  },
  {
    name: "u16",
    dtype: "uint16",
    shape: [6, 5],
    data: u16Ours,
    chunks: [4, 2],
    gzip: 1,
    shuffle: true,
  },
  {
    name: "many",
    dtype: "int32",
    shape: [300],
    data: Int32Array.from({ length: 300 }, (_, i) => i * i - 7),
    chunks: [2],
  },
];
const ours = `${dir}/ours.h5`;
await writeHdf5(ours, SPECS, { rowsPerBlock: 4 });

const READ_PY = `
import sys, json, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    out = {"meta": {k: {"shape": list(f[k].shape), "dtype": str(f[k].dtype), "chunks": f[k].chunks,
                        "compression": f[k].compression, "shuffle": f[k].shuffle} for k in f}}
    out["betas"] = f["betasmd"][...].view(np.uint32).ravel().tolist()
    out["offset"] = f["betasmd"].id.get_offset()
    out["f16"] = f["embedding"][...].view(np.uint16).ravel().tolist()
    out["ids"] = [b.decode() for b in f["image_ids"][...]]
    out["ids_type"] = str(h5py.check_string_dtype(f["image_ids"].dtype))
    out["valid"] = f["valid"][...].tolist()
    out["images"] = [list(bytes(b)) for b in f["images"][...]]
    out["images_base"] = str(h5py.check_vlen_dtype(f["images"].dtype))
    out["masks"] = f["masks"][...].ravel().tolist()
    out["u16"] = f["u16"][...].ravel().tolist()
    out["many"] = f["many"][...].tolist()
print(json.dumps(out))
`;

interface ReadBack {
  meta: Record<
    string,
    {
      shape: number[];
      dtype: string;
      chunks: number[] | null;
      compression: string | null;
      shuffle: boolean;
    }
  >;
  betas: number[];
  offset: number;
  f16: number[];
  ids: string[];
  ids_type: string;
  valid: boolean[];
  images: number[][];
  images_base: string;
  masks: number[];
  u16: number[];
  many: number[];
}

Deno.test("h5py reads every type our writer writes", async () => {
  const r = await python(READ_PY, ours) as ReadBack;
  const meta = (shape: number[], dtype: string, chunks: number[] | null = null, gzip = false) => ({
    shape,
    dtype,
    chunks,
    compression: gzip ? "gzip" : null,
    shuffle: gzip,
  });
  assert.deepEqual(r.meta, {
    betasmd: meta([41, 1, 1, 6], "float32"),
    embedding: meta([3, 4], "float16"),
    image_ids: meta([3], "object"),
    valid: meta([4], "bool"),
    images: meta([3], "object"),
    masks: meta([9, 5, 4], "uint8", [2, 5, 4], true),
    u16: meta([6, 5], "uint16", [4, 2], true),
    many: meta([300], "int32", [2]),
  });
  assert.deepEqual(r.betas, bits(betasOurs, Uint32Array));
  assert.deepEqual(r.f16, f16Bits);
  assert.match(r.ids_type, /encoding='utf-8'/);
  assert.deepEqual(r.ids, ["a.jpg", "caf\u00e9.png", ""]);
  assert.deepEqual(r.valid, [true, true, false, true]);
  assert.equal(r.images_base, "uint8");
  assert.deepEqual(r.images, imagesOurs.map((b) => Array.from(b)));
  assert.deepEqual(r.masks, Array.from(masksOurs));
  assert.deepEqual(r.u16, Array.from(u16Ours));
  assert.deepEqual(r.many, Array.from({ length: 300 }, (_, i) => i * i - 7));
  // the layout parser agrees with h5py on the offset, from the head alone
  const head = (await Deno.readFile(ours)).subarray(0, 2048);
  assert.equal(hdf5ContiguousLayout(head, "betasmd")!.offset, r.offset);
});

Deno.test("h5wasm reads our writer's files back", async () => {
  using f = await Hdf5File.open(ours);
  assert.deepEqual(
    bits(f.read("betasmd") as Float32Array, Uint32Array),
    bits(betasOurs, Uint32Array),
  );
  assert.deepEqual(bits(f.read("embedding") as Float16Array, Uint16Array), f16Bits);
  assert.deepEqual(f.read("image_ids"), ["a.jpg", "caf\u00e9.png", ""]);
  assert.deepEqual(Array.from(f.read("valid") as Uint8Array), [1, 1, 0, 1]);
  assert.deepEqual(
    (f.read("images") as Uint8Array[]).map((b) => Array.from(b)),
    imagesOurs.map((b) => Array.from(b)),
  );
  assert.deepEqual(f.read("masks"), masksOurs);
  assert.deepEqual(f.read("u16"), u16Ours);
  assert.deepEqual(f.info("masks").filters, ["shuffle", "deflate"]);
  assert.deepEqual(
    Array.from(await readHdf5Dataset(ours, "many", { rows: [10, 13] }) as Int32Array),
    [93, 114, 137],
  );
});

Deno.test("errors name the file; bad arguments are RangeErrors", async () => {
  const notH5 = `${dir}/not.h5`;
  await Deno.writeTextFile(notH5, "<Error><Code>AccessDenied</Code></Error>");
  await assert.rejects(
    Hdf5File.open(notH5),
    (e: Error) => e instanceof MalformedFileError && e.message.startsWith(notH5),
  );
  const truncated = `${dir}/truncated.h5`;
  await Deno.writeFile(truncated, (await Deno.readFile(h5py.earliest.path)).subarray(0, 3000));
  await assert.rejects(Hdf5File.open(truncated), /truncated\.h5: truncated: 3000 bytes/);
  using f = await Hdf5File.open(ours);
  assert.throws(() => f.read("nope"), /ours\.h5: no dataset "nope"; the file holds \["betasmd",/);
  assert.throws(() => f.read("betasmd", { rows: [40, 42] }), RangeError);
  await assert.rejects(
    writeHdf5(`${dir}/bad.h5`, [{
      name: "x",
      dtype: "uint8",
      shape: [3],
      data: new Uint8Array(2),
    }]),
    RangeError,
  );
  await assert.rejects(
    writeHdf5(`${dir}/bad.h5`, [{
      name: "x",
      dtype: "uint8",
      shape: [3],
      data: new Uint8Array(3),
      gzip: 4,
    }]),
    /gzip and shuffle need chunks/,
  );
  await assert.rejects(Deno.stat(`${dir}/bad.h5`), Deno.errors.NotFound);
});

Deno.test("h5wasm loads and reads with --allow-read for the file only", async () => {
  const code = `
    import { Hdf5File } from ${
    JSON.stringify(new URL("../lib/formats/hdf5.ts", import.meta.url).href)
  };
    using f = await Hdf5File.open(${JSON.stringify(ours)});
    console.log(JSON.stringify(Array.from(f.read("valid"))));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-read=${ours}`, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(code));
  await writer.close();
  const r = await out.output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  assert.equal(new TextDecoder().decode(r.stdout).trim(), "[1,1,0,1]");
});

Deno.test("lookup3 matches Jenkins' published values", () => {
  const text = new TextEncoder().encode("Four score and seven years ago");
  assert.equal(lookup3(new Uint8Array(0)), 0xdeadbeef);
  assert.equal(lookup3(text), 0x17770551);
  assert.equal(lookup3(text, 1), 0xcd628161);
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
