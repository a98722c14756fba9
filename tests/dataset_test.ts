/**
 * The training dataset (upstream's LaionFMRIDataset) and the Group's shared
 * stimuli, on the current synthetic layout: betas row i = getBetaMatrix
 * trial i under the same selection; images against Pillow (Debian's
 * Python, tests/fixtures/read_stimuli.py); repIndex from the trial table.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InvalidChoiceError,
  LaionFmriError,
  StimuliNotDownloadedError,
} from "../lib/core/errors.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { loadSubjects } from "../lib/subject/group.ts";
import { openTrainingDataset, type TrainingItem } from "../lib/subject/dataset.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { readStimuliReference } from "./_stimuli_fixture.ts";

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** The trial table of sub-01's session: header and rows (split on tabs). */
function trialTable(dataDir: string, session: string): { path: string; rows: string[][] } {
  const dir = join(dataDir, "derivatives", "glmsingle-tedana", "sub-01", session, "func");
  const name = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith("_trials.tsv"))!.name;
  const path = join(dir, name);
  const rows = Deno.readTextFileSync(path).trim().split("\n").map((l) => l.split("\t"));
  return { path, rows };
}

/** Worst |item pixel * 255 - Pillow's| over a CHW image against Pillow's HWC RGB. */
function worstVsPillow(item: TrainingItem, displayed: number[]): number {
  const [c, h, w] = item.image.shape;
  assert.equal(c, 3);
  let worst = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < 3; k++) {
        const v = item.image.data[k * h * w + y * w + x];
        assert.ok(v >= 0 && v <= 1, `value ${v} outside [0, 1]`);
        worst = Math.max(worst, Math.abs(v * 255 - displayed[(y * w + x) * 3 + k]));
      }
    }
  }
  return worst;
}

async function collect(it: AsyncIterable<TrainingItem>): Promise<TrainingItem[]> {
  const out: TrainingItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

Deno.test("training dataset: items line up with the Subject API and Pillow", async (t) => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const ref = await readStimuliReference(dataDir);
    const { rows } = trialTable(dataDir, "ses-01");
    const labels = rows.slice(1).map((r) => r[rows[0].indexOf("label")]);

    await t.step("in order: betas = getBetaMatrix rows, images = Pillow's on grey", async () => {
      await using ds = await openTrainingDataset(sub, { session: 1, roi: "face" });
      const m = await sub.getBetaMatrix({ session: "ses-01", roi: "face" });
      assert.equal(ds.length, m.shape[0]);
      assert.equal(ds.nVoxels, m.shape[1]);
      assert.ok(ds.nVoxels > 0);
      const items = await collect(ds);
      assert.equal(items.length, labels.length);
      let worstJpeg = 0;
      items.forEach((it, i) => {
        assert.equal(it.trial, i);
        assert.equal(it.session, "ses-01");
        assert.equal(it.imageName, labels[i]);
        // upstream: counts earlier occurrences of the label (no rep_index column here)
        assert.equal(it.repIndex, labels.slice(0, i).filter((l) => l === labels[i]).length);
        assert.deepEqual(
          bits(it.betas),
          bits(m.values.subarray(i * m.shape[1], (i + 1) * m.shape[1])),
        );
        const r = ref.images[it.imageName];
        assert.deepEqual(it.image.shape, [3, r.size[1], r.size[0]]);
        const worst = worstVsPillow(it, r.displayed);
        if (it.imageName.endsWith(".png")) assert.ok(worst < 1e-3, `${it.imageName}: ${worst}`);
        else worstJpeg = Math.max(worstJpeg, worst);
      });
      assert.ok(worstJpeg <= 2.0001, `JPEG max |diff| vs Pillow ${worstJpeg}`);
      assert.ok(items.some((it) => it.repIndex > 0), "some image repeats in the session");
      assert.ok(
        items.some((it) => ref.images[it.imageName].mode === "RGBA"),
        "an RGBA image is composited",
      );
    });

    await t.step("ncThreshold and maskSource select the same voxels as getBetaMatrix", async () => {
      const rsq = await loadSubject("sub-01", { dataDir, maskSource: "rsquare" });
      for (const o of [{ ncThreshold: 20 }, { roi: "all", maskSource: "anatomical" as const }]) {
        await using ds = await openTrainingDataset(rsq, { session: "ses-02", ...o });
        const m = await rsq.getBetaMatrix({ session: "ses-02", ...o });
        assert.equal(ds.nVoxels, m.shape[1]);
        for (const i of [0, ds.length - 1]) {
          const n = m.shape[1];
          assert.deepEqual(
            bits((await ds.get(i)).betas),
            bits(m.values.subarray(i * n, (i + 1) * n)),
          );
        }
      }
    });

    await t.step("shuffle is a seeded permutation; batches stack the same items", async () => {
      await using ds = await openTrainingDataset(sub, { session: "ses-01", roi: "face" });
      const a = (await collect(ds.items({ shuffle: true, seed: 7 }))).map((x) => x.trial);
      const b = (await collect(ds.items({ shuffle: true, seed: 7, prefetch: 1 }))).map((x) =>
        x.trial
      );
      const c = (await collect(ds.items({ shuffle: true, seed: 8 }))).map((x) => x.trial);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      assert.notDeepEqual(a, [...a].sort((x, y) => x - y));
      assert.deepEqual(
        [...a].sort((x, y) => x - y),
        Array.from({ length: ds.length }, (_, i) => i),
      );
      const items = await collect(ds.items({ shuffle: true, seed: 7 }));
      let k = 0;
      for await (const batch of ds.batches({ batchSize: 4, shuffle: true, seed: 7 })) {
        const n = batch.betasShape[0];
        assert.ok(n === 4 || k + n === ds.length);
        assert.deepEqual(batch.imageShape.slice(1), items[k].image.shape);
        const per = items[k].image.data.length;
        for (let j = 0; j < n; j++) {
          const it = items[k + j];
          assert.equal(batch.trials[j], it.trial);
          assert.equal(batch.imageNames[j], it.imageName);
          assert.equal(batch.repIndices[j], it.repIndex);
          assert.deepEqual(
            bits(batch.betas.subarray(j * ds.nVoxels, (j + 1) * ds.nVoxels)),
            bits(it.betas),
          );
          assert.deepEqual(
            bits(batch.images.subarray(j * per, (j + 1) * per)),
            bits(it.image.data),
          );
        }
        k += n;
      }
      assert.equal(k, ds.length);
      let dropped = 0;
      for await (const batch of ds.batches({ batchSize: 4, dropLast: true })) {
        assert.equal(batch.betasShape[0], 4);
        dropped += 4;
      }
      assert.equal(dropped, ds.length - (ds.length % 4));
    });

    await t.step("the transform runs once per item, at most `prefetch` in flight", async () => {
      let calls = 0, inFlight = 0, most = 0;
      await using ds = await openTrainingDataset(sub, {
        session: "ses-01",
        roi: "face",
        imageTransform: async (img, info) => {
          calls++;
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          // any new shape: here one value that depends on the image and the item
          const [, h, w] = img.shape;
          const out = new Float32Array(1);
          out[0] = img.data[0] + info.repIndex;
          return { data: out, shape: [1, Math.min(h, 1), Math.min(w, 1)] };
        },
      });
      const items = await collect(ds.items({ prefetch: 3 }));
      assert.equal(calls, ds.length);
      assert.ok(most >= 2 && most <= 3, `in flight at once: ${most}`);
      assert.deepEqual(items[0].image.shape, [1, 1, 1]);
      await assert.rejects(collect(ds.items({ prefetch: 0 })), RangeError);
    });

    await t.step("an AbortSignal stops the iteration; close removes the betas file", async () => {
      const tmpDir = await Deno.makeTempDir();
      const ds = await openTrainingDataset(sub, { session: "ses-01", roi: "face", tmpDir });
      const files = [...Deno.readDirSync(tmpDir)];
      assert.equal(files.length, 1);
      assert.equal(Deno.statSync(join(tmpDir, files[0].name)).size, ds.length * ds.nVoxels * 4);
      const ac = new AbortController();
      let seen = 0;
      await assert.rejects(
        (async () => {
          for await (const _ of ds.items({ signal: ac.signal })) {
            if (++seen === 2) ac.abort(new Error("stop here"));
          }
        })(),
        /stop here/,
      );
      assert.equal(seen, 2);
      await ds.close();
      assert.deepEqual([...Deno.readDirSync(tmpDir)], []);
      await Deno.remove(tmpDir);
    });

    await t.step(
      "repIndex comes from the trial table's rep_index column when present",
      async () => {
        const { path, rows: table } = trialTable(dataDir, "ses-03");
        const reps = table.slice(1).map((_, i) => (i * 7) % 5);
        const text = [[...table[0], "rep_index"], ...table.slice(1).map((r, i) => [...r, reps[i]])]
          .map((r) => r.join("\t")).join("\n") + "\n";
        Deno.writeTextFileSync(path, text);
        const fresh = await loadSubject("sub-01", { dataDir });
        await using ds = await openTrainingDataset(fresh, { session: 3, roi: "face" });
        assert.deepEqual(Array.from(ds.repIndices), reps);
        assert.equal((await ds.get(-1)).repIndex, reps.at(-1));
      },
    );

    await t.step("a session not on disk, or no Subject, is an error naming it", async () => {
      await assert.rejects(
        openTrainingDataset(sub, { session: 9, roi: "face" }),
        (e: Error) => e instanceof LaionFmriError && e.message.includes("ses-09"),
      );
      await assert.rejects(
        openTrainingDataset({} as typeof sub, { session: 1 }),
        TypeError,
      );
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("group: shared stimulus metadata and images (composited; format checked first)", async () => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  try {
    const group = await loadSubjects(["sub-01"], { dataDir });
    const ref = await readStimuliReference(dataDir);
    const csv = Deno.readTextFileSync(join(dataDir, "stimuli", "task-images_metadata.csv"));
    const [head, ...lines] = csv.trim().split("\n").map((l) => l.split(","));
    const shared = lines.filter((r) => r[head.indexOf("unique_or_shared")] === "shared")
      .map((r) => r[0]);
    assert.ok(shared.length > 0 && shared.length < lines.length);

    const meta = await group.getSharedStimulusMetadata();
    assert.deepEqual(meta.getColumn("image_name").toArray(), shared);

    const images = await group.getSharedImages();
    assert.deepEqual(images.map((i) => i.name), shared);
    const batch = await group.getSharedImages({ format: "array" });
    assert.deepEqual(batch.names, shared);
    const per = batch.shape[1] * batch.shape[2] * 3;
    let worstJpeg = 0;
    images.forEach((img, k) => {
      // Both forms are RGB on grey (upstream's PIL form was not composited).
      assert.equal(img.channels, 3);
      assert.deepEqual(
        Array.from(batch.data.subarray(k * per, (k + 1) * per)),
        Array.from(img.data),
      );
      const r = ref.images[img.name];
      let worst = 0;
      img.data.forEach((v, i) => worst = Math.max(worst, Math.abs(v - r.displayed[i])));
      if (img.name.endsWith(".png")) assert.equal(worst, 0, img.name);
      else worstJpeg = Math.max(worstJpeg, worst);
    });
    assert.ok(worstJpeg <= 2, `JPEG max |diff| vs Pillow ${worstJpeg}`);
    const rgba = shared.find((n) => ref.images[n].mode === "RGBA");
    if (rgba) {
      const own = await group.getSharedImages({ asDisplayed: false });
      const img = own[shared.indexOf(rgba)];
      assert.equal(img.channels, 4);
      assert.deepEqual(Array.from(img.data), ref.images[rgba].own);
    }

    // An unknown format is refused before anything is read: with the images
    // file gone, it is still the format error (a valid format needs the file).
    await Deno.remove(join(dataDir, "stimuli", "task-images_stimuli.h5"));
    await assert.rejects(
      group.getSharedImages({ format: "pil" as "images" }),
      (e: Error) =>
        e instanceof InvalidChoiceError && e.message.includes('"pil"') &&
        e.message.includes("images") && e.message.includes("array"),
    );
    await assert.rejects(group.getSharedImages({ format: "array" }), StimuliNotDownloadedError);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("getSharedImages and openTrainingDataset read the stimulus metadata once, and only the session's trial table", async () => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  const reads: string[] = [];
  const readTextFile = Deno.readTextFile;
  Deno.readTextFile = (path: string | URL, o?: Deno.ReadFileOptions) => {
    reads.push(String(path));
    return readTextFile(path, o);
  };
  try {
    const group = await loadSubjects(["sub-01"], { dataDir });
    await group.getSharedImages({ format: "array" });
    // Before: getSharedStimulusMetadata read the CSV, then loadStimuli read it again.
    assert.equal(reads.filter((p) => p.endsWith("task-images_metadata.csv")).length, 1);
    reads.length = 0;
    const sub = await loadSubject("sub-01", { dataDir });
    assert.ok((await sub.getSessions()).length > 1);
    await using _ds = await openTrainingDataset(sub, { session: "ses-01" });
    // Before: every session's trial table was read (getMetadata) to use one session's.
    const tables = reads.filter((p) => p.endsWith("_trials.tsv"));
    assert.ok(tables.length > 0 && tables.every((p) => p.includes("ses-01")), tables.join(", "));
    assert.equal(reads.filter((p) => p.endsWith("task-images_metadata.csv")).length, 1);
  } finally {
    Deno.readTextFile = readTextFile;
    await Deno.remove(dataDir, { recursive: true });
  }
});
