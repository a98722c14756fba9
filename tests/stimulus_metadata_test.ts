/**
 * One stimulus-metadata entry point on both layouts (issue 21, point 5):
 * `readStimulusMetadata(dataDir)` reads the current layout's CSV or the
 * seed layout's `stimuli.tsv`; `sub.hasStimuli()` agrees with it; the
 * deprecated `sub.getStimulusMetadata()` and the betas' `stimuli` filter go
 * through it. Expected values come from the files' own text.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { StimuliNotDownloadedError } from "../mod.ts";
import { readStimulusMetadata } from "../lib/stimuli/mod.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { makeCurrentDataDir, makeDataDir } from "./_data_dir.ts";

/** The rows of a delimited text file as records (header = keys). */
function records(path: string, sep: string): Record<string, string>[] {
  const [head, ...rows] = Deno.readTextFileSync(path).trim().split("\n");
  const cols = head.split(sep);
  return rows.map((r) => Object.fromEntries(r.split(sep).map((v, i) => [cols[i], v])));
}

Deno.test("stimulus metadata, current layout: hasStimuli, readStimulusMetadata and the old name agree", async () => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const csv = records(join(dataDir, "stimuli", "task-images_metadata.csv"), ",");
    assert.equal(await sub.hasStimuli(), true);
    const meta = await readStimulusMetadata(dataDir);
    assert.deepEqual(meta.getColumn("image_name").toArray(), csv.map((r) => r.image_name));
    assert.deepEqual(
      meta.getColumn("unique_or_shared").toArray(),
      csv.map((r) => r.unique_or_shared),
    );
    // Before: it read only the seed's stimuli.tsv and threw here although hasStimuli was true.
    const old = await sub.getStimulusMetadata();
    assert.deepEqual(old.columns, meta.columns);
    assert.deepEqual(old.getColumn("image_name").toArray(), csv.map((r) => r.image_name));

    // A trial table keyed by `stimulus_id` (upstream's other schema) is joined to image_name.
    const func = join(dataDir, "derivatives", "glmsingle-tedana", "sub-01", "ses-01", "func");
    const tsv = join(
      func,
      [...Deno.readDirSync(func)].find((e) => e.name.endsWith("_trials.tsv"))!.name,
    );
    const labels = records(tsv, "\t").map((r) => r.label);
    const text = Deno.readTextFileSync(tsv);
    Deno.writeTextFileSync(tsv, text.replace(/^(.*)\blabel\b/, "$1stimulus_id"));
    const fresh = await loadSubject("sub-01", { dataDir });
    const shared = await fresh.getBetaMatrix({ session: 1, roi: "FFA1", stimuli: "shared" });
    const kinds = new Map(csv.map((r) => [r.image_name, r.unique_or_shared]));
    assert.equal(shared.shape[0], labels.filter((l) => kinds.get(l) === "shared").length);
    assert.ok(shared.shape[0] > 0);

    // Metadata without images: no stimuli, but the public metadata still reads.
    await Deno.remove(join(dataDir, "stimuli", "task-images_stimuli.h5"));
    assert.equal(await sub.hasStimuli(), false);
    assert.equal((await readStimulusMetadata(dataDir)).height, csv.length);
    await Deno.remove(join(dataDir, "stimuli", "task-images_metadata.csv"));
    await assert.rejects(
      () => sub.getStimulusMetadata(),
      (e) => e instanceof StimuliNotDownloadedError && /download-stimuli/.test(e.message),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("stimulus metadata, seed layout: stimuli.tsv through the same entry point", async () => {
  const dataDir = await makeDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    assert.equal(await sub.hasStimuli(), false);
    await assert.rejects(() => readStimulusMetadata(dataDir), StimuliNotDownloadedError);
    // The seed's forward-compatible stimulus files (upstream.md §3.5).
    const rows = [
      ["stim_000", "True", "stim_000.png", "animal"],
      ["stim_001", "False", "stim_001.png", "object"],
      ["stim_002", "True", "stim_002.png", "scene"],
    ];
    await Deno.mkdir(join(dataDir, "stimuli", "images"), { recursive: true });
    Deno.writeTextFileSync(
      join(dataDir, "stimuli", "stimuli.tsv"),
      ["stimulus_id\tshared\tfilename\tcategory", ...rows.map((r) => r.join("\t"))].join("\n") +
        "\n",
    );
    assert.equal(await sub.hasStimuli(), true);
    const meta = await readStimulusMetadata(dataDir);
    assert.deepEqual(meta.getColumn("stimulus_id").toArray(), rows.map((r) => r[0]));
    assert.deepEqual(meta.getColumn("image_name").toArray(), rows.map((r) => r[0]));
    assert.deepEqual(
      meta.getColumn("unique_or_shared").toArray(),
      rows.map((r) => r[1] === "True" ? "shared" : "unique"),
    );
    assert.deepEqual(
      (await sub.getStimulusMetadata()).getColumn("category").toArray(),
      rows.map((r) => r[3]),
    );
    assert.equal(await sub.getNStimuli(), 3);
    assert.equal(await sub.getNStimuli("shared"), 2);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
