/**
 * A damaged HDF5 file of every kind the library reads (GLMsingle model,
 * embeddings, segmentations, the gated images) fails with a
 * MalformedFileError that names the exact call (and CLI command) fetching
 * that file again, and none of HDF5's own diagnostics (`HDF5-DIAG …`,
 * `Aborted(…)`) reaches the user's stderr. Damage is made by Debian's h5py
 * (chunk offsets) and byte edits; the reads run in a subprocess whose stderr
 * is checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MalformedFileError } from "../lib/core/errors.ts";
import { Hdf5File } from "../lib/formats/hdf5.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { writeStimuliFixture } from "./_stimuli_fixture.ts";

const py = async (code: string, ...args: string[]) => {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return text;
};

/** Overwrites `length` bytes at `offset` with a fixed pattern. */
async function scribble(path: string, offset: number, length: number): Promise<void> {
  using f = await Deno.open(path, { write: true });
  await f.seek(offset, Deno.SeekMode.Start);
  await f.write(Uint8Array.from({ length }, (_, i) => (i * 151 + 77) & 0xff));
}

/** Byte offset of chunk `index` of `dataset`, and its stored size (h5py). */
async function chunkAt(path: string, dataset: string, index: number) {
  const out = await py(
    "import sys, h5py\n" +
      "with h5py.File(sys.argv[1]) as f:\n" +
      "  c = f[sys.argv[2]].id.get_chunk_info(int(sys.argv[3]))\n" +
      "  print(c.byte_offset, c.size)",
    path,
    dataset,
    String(index),
  );
  const [offset, size] = out.trim().split(" ").map(Number);
  return { offset, size };
}

/** Offset of the first occurrence of an ASCII signature in a file. */
async function find(path: string, signature: string): Promise<number> {
  const bytes = await Deno.readFile(path);
  const sig = new TextEncoder().encode(signature);
  for (let i = 0; i + sig.length <= bytes.length; i++) {
    if (sig.every((b, k) => bytes[i + k] === b)) return i;
  }
  throw new Error(`${signature} not in ${path}`);
}

Deno.test("HDF5: a damaged chunk is an error naming the refetch call, not zeros", async () => {
  const dir = await Deno.makeTempDir({ prefix: "h5_chunk_" });
  try {
    const path = join(dir, "betas.h5");
    await py(
      "import sys, h5py, numpy as np\n" +
        "with h5py.File(sys.argv[1], 'w') as f:\n" +
        "  f.create_dataset('x', data=np.arange(4000, dtype='float32').reshape(40, 100) + 1,\n" +
        "                   chunks=(10, 100), compression='gzip')",
      path,
    );
    const chunk = await chunkAt(path, "x", 2);
    await scribble(path, chunk.offset + 8, chunk.size - 16);
    using file = await Hdf5File.open(path, { refetch: "fetchAgain()" });
    assert.deepEqual(Array.from((file.read("x", { rows: [0, 2] }) as Float32Array).slice(0, 3)), [
      1,
      2,
      3,
    ]);
    assert.throws(
      () => file.read("x", { rows: [15, 25] }),
      (e) =>
        e instanceof MalformedFileError && e.path === path &&
        /HDF5 cannot read dataset "x": the file is damaged/.test(e.message) &&
        e.message.endsWith("Refetch it with: fetchAgain()"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The reads, run as a user's program would: one JSON line per file kind.
const PROGRAM = `
import { loadSubject } from "${new URL("../lib/subject/subject.ts", import.meta.url)}";
import { loadEmbeddings } from "${new URL("../lib/stimuli/embeddings.ts", import.meta.url)}";
import { loadSegmentations } from "${new URL("../lib/stimuli/segmentations.ts", import.meta.url)}";
import { loadStimuli } from "${new URL("../lib/stimuli/stimuli.ts", import.meta.url)}";
const [stimDir, subjectDir] = Deno.args;
const kinds = {
  model: async () => {
    const sub = await loadSubject("sub-01", { dataDir: subjectDir });
    await sub.getBetaMatrix({ session: "ses-01", roi: "all", betasSource: "model" });
  },
  embeddings: async () => {
    using emb = await loadEmbeddings({ dataDir: stimDir, models: ["CLIP"] });
    emb.get("CLIP", emb.imageIds.slice(0, 3));
  },
  segmentations: async () => {
    using seg = await loadSegmentations({ dataDir: stimDir });
    for (let i = 0; i < seg.length; i++) seg.mask(i);
  },
  images: async () => {
    using stim = await loadStimuli({ dataDir: stimDir });
    await stim.images.get(0);
  },
  // h5wasm aborted on the images: no HDF5 file is read again in this process
  afterAbort: async () => {
    using seg = await loadSegmentations({ dataDir: stimDir });
  },
};
for (const [kind, run] of Object.entries(kinds)) {
  try {
    await run();
    console.log(JSON.stringify({ kind, ok: true }));
  } catch (e) {
    console.log(JSON.stringify({ kind, name: e.constructor.name, message: e.message }));
  }
}
`;

Deno.test("HDF5: every damaged file kind names its exact repair; HDF5's diagnostics stay off stderr", async () => {
  const stimDir = await Deno.makeTempDir({ prefix: "h5_repair_" });
  const subjectDir = await makeCurrentDataDir((k) => !k.startsWith("stimuli/"));
  try {
    await writeStimuliFixture(stimDir);
    const s = join(stimDir, "stimuli");
    // embeddings: the root group's name heap; segmentations: one compressed mask chunk;
    // images: the index of the first object in the global heap holding the encoded images
    // (h5wasm aborts on it); model file: cut short (a broken copy)
    const emb = join(s, "task-images_desc-CLIP_embeddings.h5");
    await scribble(emb, await find(emb, "HEAP"), 24);
    const seg = join(s, "task-images_desc-segmentations.h5");
    const chunk = await chunkAt(seg, "masks", 1);
    await scribble(seg, chunk.offset + 4, chunk.size - 8);
    const images = join(s, "task-images_stimuli.h5");
    const heapObject = (await find(images, "GCOL")) + 16;
    using f = await Deno.open(images, { write: true });
    await f.seek(heapObject, Deno.SeekMode.Start);
    await f.write(new Uint8Array([0xe7, 0x03])); // object index 999: no such object
    const model = join(
      subjectDir,
      "derivatives/glmsingle-tedana/sub-01/ses-01/func",
      "sub-01_ses-01_task-images_space-T1w_desc-GLMsingle_model.h5",
    );
    await Deno.truncate(model, Math.floor((await Deno.stat(model)).size / 2));

    const program = join(stimDir, "program.ts");
    await Deno.writeTextFile(program, PROGRAM);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys=cpus,networkInterfaces,hostname,osRelease",
        program,
        stimDir,
        subjectDir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, stderr);
    assert.ok(!/HDF5-DIAG|Aborted\(|#0\d\d:/.test(stderr), `HDF5 diagnostics leaked:\n${stderr}`);
    assert.equal(stderr, "");
    const results = Object.fromEntries(
      stdout.trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.kind, r]),
    );
    const dir = JSON.stringify(stimDir);
    const expected: Record<string, string[]> = {
      model: [
        'download({ subject: "sub-01", ses: "ses-01", desc: "GLMsingle", suffix: "model", ' +
        "verify: true, acceptLicense: true })",
        "laion-fmri download --subject sub-01 --ses ses-01 --desc GLMsingle --suffix model " +
        "--verify --accept-license",
      ],
      embeddings: [
        `downloadEmbeddings({ models: ["CLIP"], dataDir: ${dir}, verify: true, acceptLicense: true })`,
        "laion-fmri download-embeddings CLIP --verify --accept-license",
      ],
      segmentations: [
        `downloadSegmentations({ dataDir: ${dir}, verify: true, acceptLicense: true })`,
        "laion-fmri download-segmentations --verify --accept-license",
      ],
      images: [
        `Deno.removeSync(${JSON.stringify(`${images}.sha256`)}); ` +
        `await downloadStimuli({ dataDir: ${dir} })`,
        `rm '${images}.sha256' && laion-fmri download-stimuli --data-dir '${stimDir}'`,
      ],
    };
    assert.match(results.images.message, /h5wasm aborted: native code called abort\(\); restart/);
    assert.equal(results.afterAbort.name, "LaionFmriError", JSON.stringify(results.afterAbort));
    assert.match(
      results.afterAbort.message,
      /h5wasm aborted earlier in this process on the damaged .*task-images_stimuli\.h5.*Restart the program/,
    );
    for (const [kind, calls] of Object.entries(expected)) {
      const r = results[kind];
      assert.equal(r?.name, "MalformedFileError", `${kind}: ${JSON.stringify(r)}`);
      for (const call of calls) {
        assert.ok(r.message.includes(call), `${kind}: no "${call}" in:\n${r.message}`);
      }
    }
  } finally {
    await Deno.remove(stimDir, { recursive: true });
    await Deno.remove(subjectDir, { recursive: true });
  }
});
