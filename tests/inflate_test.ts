// gzip inflate through ISA-L (FFI) against node:zlib: same bytes, same error
// kinds, and the NIfTI readers give the same values with and without it.
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { isalAvailable, isalInflateFile, readAhead } from "../lib/formats/inflate_isal.ts";
import { repoPath, synthDir } from "./_helpers.ts";

async function inflateAll(path: string, readBytes?: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of isalInflateFile(path, { readBytes, outBytes: 4096 })) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

async function betasFile(): Promise<string> {
  for await (
    const e of Deno.readDir(`${synthDir()}/bucket/derivatives/glmsingle-tedana/sub-01/ses-01/func`)
  ) {
    if (e.name.includes("SingletrialBetas_statmap.nii.gz")) {
      return `${synthDir()}/bucket/derivatives/glmsingle-tedana/sub-01/ses-01/func/${e.name}`;
    }
  }
  throw new Error("no betas file in the synthetic dataset");
}

Deno.test("ISA-L is available here (libisal2 is installed by the test set-up)", async () => {
  assert.equal(await isalAvailable(), true);
});

Deno.test("ISA-L inflates exactly what node:zlib does: a betas file, small reads, several members", async () => {
  const path = await betasFile();
  assert.deepEqual(await inflateAll(path), new Uint8Array(gunzipSync(await Deno.readFile(path))));
  assert.deepEqual(
    await inflateAll(path, 777),
    new Uint8Array(gunzipSync(await Deno.readFile(path))),
  );
  const dir = await Deno.makeTempDir();
  try {
    const a = new TextEncoder().encode("first member ".repeat(4000));
    const b = new TextEncoder().encode("second ".repeat(3000));
    const both = new Uint8Array([...gzipSync(a), ...gzipSync(b)]);
    await Deno.writeFile(`${dir}/two.gz`, both);
    assert.deepEqual(await inflateAll(`${dir}/two.gz`, 100), new Uint8Array([...a, ...b]));
    // Truncated and corrupt streams fail like zlib's, never with short output.
    await Deno.writeFile(`${dir}/cut.gz`, both.subarray(0, 200));
    await assert.rejects(inflateAll(`${dir}/cut.gz`), (e: unknown) => {
      assert.equal((e as { code?: string }).code, "Z_BUF_ERROR");
      assert.match((e as Error).message, /unexpected end of file/);
      return true;
    });
    const bad = both.slice();
    bad.fill(0xff, 20, 60);
    await Deno.writeFile(`${dir}/bad.gz`, bad);
    await assert.rejects(inflateAll(`${dir}/bad.gz`), (e: unknown) => {
      assert.equal((e as { code?: string }).code, "Z_DATA_ERROR");
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readAhead keeps order and lets the source clean up when the consumer stops", async () => {
  let closed = false;
  async function* src() {
    try {
      for (let i = 0; i < 10; i++) yield i;
    } finally {
      closed = true;
    }
  }
  const seen: number[] = [];
  for await (const n of readAhead(src(), 3)) {
    seen.push(n);
    if (n === 4) break;
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.ok(closed);
});

Deno.test("readNifti4dMasked gives the same values with ISA-L (opted in, --allow-ffi) and with node:zlib (without)", async () => {
  const path = await betasFile();
  const code = `
import { readNifti4dMasked } from "${repoPath("lib/formats/nifti.ts")}";
import { setInflater, useIsal } from "${repoPath("lib/formats/inflate_isal.ts")}";
setInflater("isal");
const h = await import("${
    repoPath("lib/formats/nifti.ts")
  }").then((m) => m.readNiftiHeader(Deno.args[0]));
const n = h.dims[0] * h.dims[1] * h.dims[2];
const mask = new Uint8Array(n).map((_, i) => i % 7 === 0 ? 1 : 0);
const r = await readNifti4dMasked(Deno.args[0], mask);
let sum = 0; for (const v of r.data) sum += Number.isNaN(v) ? 0 : v;
console.log(JSON.stringify({ isal: await useIsal(), length: r.data.length, sum }));
`;
  const file = repoPath(`tests/.inflate-probe-${crypto.randomUUID()}.ts`);
  await Deno.writeTextFile(file, code);
  try {
    const run = async (flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", ...flags, file, path],
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return JSON.parse(new TextDecoder().decode(out.stdout));
    };
    const withIsal = await run(["--allow-ffi"]);
    const withZlib = await run([]);
    assert.equal(withIsal.isal, true);
    assert.equal(withZlib.isal, false);
    assert.equal(withIsal.length, withZlib.length);
    assert.equal(withIsal.sum, withZlib.sum);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("setInflater: ISA-L is the default (when it loads), zlib on request, else a RangeError", async () => {
  const { getInflater, setInflater, useIsal } = await import("../lib/formats/inflate_isal.ts");
  assert.equal(getInflater(), "isal");
  assert.equal(await useIsal(), true); // libisal2 is installed by the test set-up
  setInflater("zlib");
  assert.equal(await useIsal(), false);
  setInflater("isal");
  assert.throws(() => setInflater("gzip" as "zlib"), RangeError);
});

Deno.test("reused ISA-L output buffers give the same bytes as fresh ones", async () => {
  const { isalAvailable, isalInflateFile } = await import("../lib/formats/inflate_isal.ts");
  assert.ok(await isalAvailable());
  const file = await Deno.makeTempFile({ suffix: ".gz" });
  try {
    const plain = new Uint8Array(3_000_000).map((_, i) => (i * 2654435761) >>> 24);
    const gz = new Uint8Array(
      await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    await Deno.writeFile(file, gz);
    const collect = async (reuse: number) => {
      const out: Uint8Array<ArrayBuffer>[] = [];
      for await (const p of isalInflateFile(file, { outBytes: 65536, readBytes: 40000, reuse })) {
        out.push(p.slice());
      }
      return new Uint8Array(await new Blob(out).arrayBuffer());
    };
    assert.deepEqual(await collect(4), plain);
    assert.deepEqual(await collect(0), plain);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("readAhead: a piece failing while an earlier one is consumed is rethrown, never uncaught", async () => {
  const { readAhead } = await import("../lib/formats/inflate_isal.ts");
  async function* pieces() {
    yield 1;
    throw new Error("unexpected end of file");
  }
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (const v of readAhead(pieces(), 2)) {
      got.push(v);
      await new Promise((r) => setTimeout(r, 10)); // the failing piece settles meanwhile
    }
  }, /unexpected end of file/);
  assert.deepEqual(got, [1]);
});
