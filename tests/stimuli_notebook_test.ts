// The stimulus notebook executed headless in the Deno kernel: the download (the
// gated images and metadata through the local access service, CLIP, captions,
// masks), per-trial metadata, CLIP embeddings in trial order, captions and
// nouns, a mask, then the images, a trial card and a grid.
import assert from "node:assert/strict";
import { repoPath } from "./_helpers.ts";
import {
  assertMatchesCommitted,
  type Cell,
  cellErrors,
  ensureKernel,
  executeNotebook,
  inlinePngs,
  joinText,
  outputText,
} from "./_notebook.ts";

Deno.test("the stimulus notebook runs in the Deno kernel and shows images, a card and a grid", async () => {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    const cells: Cell[] = await executeNotebook(jupyter, "notebooks/stimuli.ipynb", outDir, xdg);
    assert.deepEqual(cellErrors(cells), []);
    await assertMatchesCommitted("notebooks/stimuli.ipynb", cells);
    const text = outputText(cells);
    for (
      const re of [
        /derivatives\/glmsingle-tedana\/sub-01\/: \d+ matched/,
        /task-images_stimuli\.h5: stimuli\/task-images_stimuli\.h5/,
        /task-images_metadata\.csv: stimuli\/task-images_metadata\.csv/,
        /CLIP: stimuli\/task-images_desc-CLIP_embeddings\.h5/,
        /\d+ trials; shared: \d+, unique: \d+/,
        /CLIP: \d+ trials x 1024 dims; \|row 0\| = 1\.000/,
        /show \S+: cosine 1\.000/,
        /same as loadEmbeddings\(\)\.get over the trial names: true/,
        /human: \["[^"]+","[^"]+"\]/,
        /nouns: \["/,
        /\d+x\d+, 3 channels/,
      ]
    ) assert.match(text, re);
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    assert.equal(inlinePngs(cells).length, 4, "the mask, the image, the card and the grid as PNGs");
    const html = outputs.map((o) => joinText(o.data?.["text/html"]));
    const card = html.find((h) => h.includes("<b>nouns:</b>"));
    assert.ok(
      card && card.includes("data:image/png;base64,") && card.includes("<li>"),
      "trial card",
    );
    const grid = html.find((h) => h.includes("display:grid"));
    assert.equal(grid?.split("<figure").length, 6, "a grid of five trials");
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(repoPath("notebooks/laion_fmri_stimuli"), { recursive: true }).catch(
      () => {},
    );
  }
});
