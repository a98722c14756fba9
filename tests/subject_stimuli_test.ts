/**
 * Subject-level stimulus views (getMetadata, sub.images / embeddings /
 * captions / segmentations) on the current layout: row i of every
 * per-trial result is trial i of getBetas over the same sessions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DataNotDownloadedError,
  InvalidChoiceError,
  StimuliNotDownloadedError,
} from "../lib/core/errors.ts";
import { loadCaptions } from "../lib/stimuli/captions.ts";
import { loadEmbeddings } from "../lib/stimuli/embeddings.ts";
import { loadSegmentations } from "../lib/stimuli/segmentations.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { escapeHtml, JUPYTER_DISPLAY } from "../lib/core/display.ts";
import { plotTrials, trialCard, trialGrid } from "../lib/display/stimulus_views.ts";
import { synthCurrentDir } from "./_helpers.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { readStimuliReference, writeStimuliFixture } from "./_stimuli_fixture.ts";
import { loadStimuli } from "../lib/stimuli/stimuli.ts";

/** sub-01 of the current synthetic bucket as a download leaves it (public keys only). */
function makeSubjectDir(): Promise<string> {
  return makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
}

/** The labels of every trial table of sub-01, in session then row order. */
function trialLabels(dataDir: string, sessions: string[]): string[] {
  const out: string[] = [];
  for (const ses of sessions) {
    const dir = join(dataDir, "derivatives", "glmsingle-tedana", "sub-01", ses, "func");
    const tsv = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith("_trials.tsv"))!;
    const [head, ...rows] = Deno.readTextFileSync(join(dir, tsv.name)).trim().split("\n");
    const col = head.split("\t").indexOf("label");
    out.push(...rows.map((r) => r.split("\t")[col]));
  }
  return out;
}

Deno.test("subject stimuli: per-trial views line up with getBetas", async (t) => {
  const dataDir = await makeSubjectDir();
  try {
    let sub = await loadSubject("sub-01", { dataDir });
    const sessions = await sub.getSessions();
    assert.ok(sessions.length >= 2, `sessions: ${sessions}`);
    const labels = trialLabels(dataDir, sessions);
    // The generator's stimulus files: the trial labels are their image names.
    const csv = Deno.readTextFileSync(join(dataDir, "stimuli", "task-images_metadata.csv"));
    const stimNames = csv.trim().split("\n").slice(1).map((l) => l.slice(0, l.indexOf(",")));
    const truth = JSON.parse(
      Deno.readTextFileSync(join(synthCurrentDir(), "ground-truth", "stimuli.json")),
    );
    assert.deepEqual(stimNames, truth.names);
    assert.ok(labels.every((l) => stimNames.includes(l)), "every label is a stimulus");

    await t.step("generated stimulus files read like h5py + Pillow", async () => {
      const pick = [labels[0], labels.at(-1)!, labels[0], stimNames[1]];
      const ref = await readStimuliReference(dataDir, {
        embeddings: { CLIP: pick, SigLIP2: pick },
        masks: [0, truth.segmentations.nMasks - 1],
      });
      using stim = await loadStimuli({ dataDir });
      assert.equal(stim.images.length, truth.nImages);
      let worstJpeg = 0;
      for (const name of stimNames) {
        const r = ref.images[name];
        const img = await stim.images.get(name);
        assert.deepEqual([img.width, img.height, img.channels], [...r.size, 3], name);
        let worst = 0;
        img.data.forEach((v, i) => worst = Math.max(worst, Math.abs(v - r.displayed[i])));
        if (name.endsWith(".png")) assert.equal(worst, 0, name);
        else worstJpeg = Math.max(worstJpeg, worst);
      }
      assert.ok(worstJpeg <= 2, `JPEG max |diff| vs Pillow ${worstJpeg}`);
      using emb = await loadEmbeddings({ dataDir });
      for (const model of ["CLIP", "SigLIP2"] as const) {
        const m = emb.get(model, pick, { dtype: "float16" });
        assert.deepEqual(Array.from(new Uint16Array(m.data.buffer)), ref.embeddings[model]);
        assert.equal(
          m.cols,
          truth.embeddings.models.find((x: { name: string }) => x.name === model).dim,
        );
      }
      using seg = await loadSegmentations({ dataDir });
      assert.equal(seg.length, truth.segmentations.nMasks);
      assert.equal(seg.images().length, truth.segmentations.nImages);
      for (const row of [0, truth.segmentations.nMasks - 1]) {
        assert.deepEqual(Array.from(seg.mask(row).data), ref.masks[String(row)]);
      }
      const caps = await loadCaptions({ dataDir });
      assert.equal(caps.length, truth.captions.nRows);
    });

    await t.step("getMetadata: trial tables + the six columns, cached", async () => {
      const meta = await sub.getMetadata();
      assert.equal(meta.height, labels.length);
      assert.deepEqual(meta.columns.slice(-5), [
        "session_trial",
        "image_name",
        "stim_idx",
        "unique_or_shared",
        "dataset",
      ]);
      assert.equal(meta.columns[0], "session");
      assert.deepEqual(meta.getColumn("image_name").toArray(), labels);
      assert.deepEqual(
        meta.getColumn("stim_idx").toArray(),
        labels.map((l) => stimNames.indexOf(l)),
      );
      assert.deepEqual(
        meta.getColumn("unique_or_shared").toArray(),
        labels.map((l) => l.startsWith("shared_") ? "shared" : "unique"),
      );
      const st = meta.getColumn("session_trial").toArray() as number[];
      assert.equal(st[0], 0);
      assert.ok(await sub.getMetadata() === meta);
    });

    await t.step("row i of every view = trial i of getBetas", async () => {
      const betas = await sub.getBetas({ sessions, roi: "V1v" });
      const betaLabels = sessions.flatMap((s) =>
        betas.get(s)!.getColumn("label").toArray() as string[]
      );
      const meta = await sub.getMetadata();
      assert.deepEqual(meta.getColumn("image_name").toArray(), betaLabels);

      using emb = await loadEmbeddings({ dataDir, models: "CLIP" });
      const all = await sub.embeddings.all("CLIP");
      const want = emb.get("CLIP", betaLabels);
      assert.deepEqual([all.rows, all.cols], [want.rows, want.cols]);
      assert.deepEqual(all.data, want.data);
      const last = await sub.embeddings.get("CLIP", -1, { dtype: "float16" });
      assert.deepEqual(last, emb.get("CLIP", betaLabels.at(-1)!, { dtype: "float16" }));

      const s2 = sessions[1];
      const ses2 = betas.get(s2)!.getColumn("label").toArray() as string[];
      const part = await sub.embeddings.all("SigLIP2", { session: s2, dtype: "float16" });
      using sig = await loadEmbeddings({ dataDir, models: ["SigLIP2"] });
      assert.deepEqual(part.data, sig.get("SigLIP2", ses2, { dtype: "float16" }).data);
      assert.deepEqual(await sub.embeddings.models(), ["CLIP", "DINOv2", "PEcore", "SigLIP2"]);

      const caps = await loadCaptions({ dataDir });
      using seg = await loadSegmentations({ dataDir });
      for (const i of [0, 1, betaLabels.length - 1]) {
        assert.deepEqual(await sub.captions.list(i), caps.list(betaLabels[i]));
        assert.equal(await sub.captions.ai(i), caps.ai(betaLabels[i]));
        assert.deepEqual(await sub.segmentations.nouns(i), seg.nouns(betaLabels[i]));
        assert.equal((await sub.images.get(i)).name, betaLabels[i]);
      }
      const shared = betaLabels.findIndex((l) => seg.hasImage(l));
      assert.ok(shared >= 0, "a shared trial");
      const noun = seg.nouns(betaLabels[shared])[0];
      assert.deepEqual(
        (await sub.segmentations.get(shared, noun)).data,
        seg.get(betaLabels[shared], noun).data,
      );
      const batch = await sub.images.array({ session: s2, trials: [0, -1] });
      assert.deepEqual(batch.names, [ses2[0], ses2.at(-1)]);
      assert.equal(batch.shape[0], 2);
      assert.equal(await sub.images.count({ session: s2 }), ses2.length);
      await assert.rejects(sub.images.get(labels.length), /Trial index \d+ out of range/);
    });

    await t.step("trial card and grid show the trial's image, captions, nouns", async () => {
      const caps = await loadCaptions({ dataDir });
      using seg = await loadSegmentations({ dataDir });
      const i = labels.findIndex((l) => seg.nouns(l).length > 0);
      const card = await trialCard(sub, i);
      assert.equal(card.data.imageName, labels[i]);
      assert.deepEqual(card.data.human, caps.human(labels[i]));
      assert.deepEqual(card.data.nouns, seg.nouns(labels[i]));
      const html = card[JUPYTER_DISPLAY]()["text/html"];
      assert.ok(html.includes("data:image/png;base64,"));
      // The image is also a PNG of its own, for viewers that show no HTML (GitHub's).
      const cardPng = card[JUPYTER_DISPLAY]()["image/png"];
      assert.ok(cardPng?.length > 100 && html.includes(`base64,${cardPng}"`), "the card's PNG");
      assert.ok(html.includes(escapeHtml(caps.human(labels[i])[0])));
      assert.ok(html.includes(escapeHtml(seg.nouns(labels[i])[0])));
      assert.equal((await trialCard(sub, -1)).data.imageName, labels.at(-1));
      await assert.rejects(trialCard(sub, labels.length), RangeError);
      const grid = await trialGrid(sub, [0, 1, 2]);
      assert.deepEqual(grid.labels, [0, 1, 2].map((k) => `trial ${k}: ${labels[k]}`));
      const gridHtml = (await grid[JUPYTER_DISPLAY]())["text/html"];
      assert.equal(gridHtml.split("<figure").length - 1, 3);
      assert.equal(
        (await grid[JUPYTER_DISPLAY]())["image/png"],
        (await grid.toPicture()).toBase64(),
      );
      // plotTrials: the same grid as one Figure, and the deprecated trialGrid draws through it
      const fig = await plotTrials(sub, [0, 1, 2]);
      assert.equal(fig.svg, grid.toFigure().svg);
      assert.equal(fig.svg.split("<image ").length - 1, 3, "three images in the SVG");
      assert.match(fig.caption, new RegExp(`^trial 0: ${labels[0]} \\| trial 1: `));
      await assert.rejects(plotTrials(sub, []), /plotTrials needs at least one trial index/);
    });

    await t.step("getNStimuli counts the metadata CSV's rows, all, shared or unique", async () => {
      const kinds = csv.trim().split("\n").slice(1).map((l) => l.split(",")[3]);
      assert.equal(await sub.getNStimuli(), truth.nImages);
      assert.equal(kinds.length, truth.nImages);
      assert.equal(await sub.getNStimuli("shared"), truth.nShared);
      assert.equal(await sub.getNStimuli("shared"), kinds.filter((k) => k === "shared").length);
      assert.equal(await sub.getNStimuli("unique"), kinds.filter((k) => k === "unique").length);
      assert.ok(truth.nShared > 0 && truth.nShared < truth.nImages);
      await assert.rejects(
        sub.getNStimuli("Shared" as "shared"),
        (e: unknown) =>
          e instanceof InvalidChoiceError &&
          /Unknown stimuli "Shared"\. Valid: \['shared', 'unique'\]/.test(String(e)),
      );
    });

    await t.step("public files need no gated images; metadata needs its CSV", async () => {
      assert.equal(await sub.hasStimuli(), true);
      await Deno.remove(join(dataDir, "stimuli", "task-images_stimuli.h5"));
      await Deno.remove(join(dataDir, "stimuli", "task-images_metadata.csv"));
      sub = await loadSubject("sub-01", { dataDir });
      assert.equal(await sub.hasStimuli(), false);
      assert.equal((await sub.embeddings.all("DINOv2")).rows, labels.length);
      assert.equal((await sub.captions.human(0)).length > 0, true);
      await sub.segmentations.hasImage(0);
      await assert.rejects(
        sub.images.get(0),
        (e) => e instanceof StimuliNotDownloadedError && /download-stimuli/.test(e.message),
      );
      await assert.rejects(
        sub.getMetadata(),
        (e) =>
          e instanceof StimuliNotDownloadedError && /task-images_metadata\.csv/.test(e.message),
      );
      await assert.rejects(
        sub.getNStimuli(),
        (e) => e instanceof StimuliNotDownloadedError && /download-stimuli/.test(e.message),
      );
    });

    await t.step("unknown names give null; a session without its table is named", async () => {
      const dropped = labels[0];
      await writeStimuliFixture(dataDir, { names: stimNames.filter((n) => n !== dropped) });
      sub = await loadSubject("sub-01", { dataDir });
      const meta = await sub.getMetadata();
      const idx = meta.getColumn("stim_idx").toArray();
      const missing = labels.map((l, i) => l === dropped ? i : -1).filter((i) => i >= 0);
      assert.ok(missing.length > 0);
      for (const i of missing) assert.equal(idx[i], null);
      assert.equal(meta.getColumn("stim_idx").dtype.toString(), "DataType(Int32)");
      const ses = sessions[1];
      const dir = join(dataDir, "derivatives", "glmsingle-tedana", "sub-01", ses, "func");
      for (const e of Deno.readDirSync(dir)) {
        if (e.name.endsWith("_trials.tsv")) Deno.removeSync(join(dir, e.name));
      }
      sub = await loadSubject("sub-01", { dataDir });
      await assert.rejects(
        sub.getMetadata(),
        (e) => e instanceof DataNotDownloadedError && e.message.includes(ses),
      );
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
