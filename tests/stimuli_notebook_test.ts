// The stimulus notebook executed headless in the Deno kernel: the download (the
// gated images and metadata through the local access service, CLIP, captions,
// masks), per-trial metadata, CLIP embeddings in trial order, captions and
// nouns, a mask, then the images, a trial card and a grid. The environment
// chooses the bucket, and the request is registered by the test and handed
// over in LAION_FMRI_REQUEST_ID: the notebook's own access cell stays empty.
import assert from "node:assert/strict";
import { ACCESS_FORM_CELL } from "../lib/access/form.ts";
import { registerTestRequest } from "./_access_fixture.ts";
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
  // As committed: the marked cell is the person's to fill in, with no answers, no accepted
  // terms, no made-up identity and no test bucket.
  const committed = await Deno.readTextFile(repoPath("notebooks/stimuli.ipynb"));
  const sources: string[] = JSON.parse(committed).cells.map((c: Cell) => joinText(c.source));
  const marked = sources.filter((s) => s.startsWith(`// ${ACCESS_FORM_CELL}\n`));
  assert.equal(marked.length, 1, "one marked access cell");
  assert.match(marked[0], /name: "",/);
  assert.match(marked[0], /email: "",/);
  assert.match(marked[0], /purpose: "",/);
  assert.match(marked[0], /acceptTerms: false,/);
  for (const bad of [/acceptTerms: true/, /laion-fmri-current/, /@[a-z]+\.(example|org|edu)/]) {
    assert.ok(!bad.test(sources.join("\n")), `the notebook must not contain ${bad}`);
  }
  assert.match(
    sources[0],
    /outputs shown here come from an offline run against the synthetic world/,
  );

  const serverUrl = Deno.env.get("LAION_FMRI_ACCESS_URL")!;
  const requestId = await registerTestRequest(serverUrl);
  const stats = async () => (await (await fetch(`${serverUrl}/admin/stats`)).json()).requests;
  const before = await stats();
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  const saved = ["LAION_FMRI_REQUEST_ID", "LAION_FMRI_BUCKET"].map((k) => [k, Deno.env.get(k)]);
  Deno.env.set("LAION_FMRI_REQUEST_ID", requestId);
  Deno.env.set("LAION_FMRI_BUCKET", "laion-fmri-current");
  try {
    const cells: Cell[] = await executeNotebook(jupyter, "notebooks/stimuli.ipynb", outDir, xdg);
    assert.deepEqual(cellErrors(cells), []);
    // The registered request was used: fresh URLs, no request filed by the notebook.
    const after = await stats();
    assert.equal(after["POST /api/v1/access/request"], before["POST /api/v1/access/request"]);
    assert.equal(after["POST /api/v1/refresh"] ?? 0, (before["POST /api/v1/refresh"] ?? 0) + 1);
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
    const svgs = outputs.map((o) => joinText(o.data?.["image/svg+xml"]));
    const grid = svgs.find((s) => s.includes("trial 0: "));
    assert.equal(grid?.split("<image ").length, 6, "plotTrials: a grid of five trials (SVG)");
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k!) : Deno.env.set(k!, v);
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(repoPath("notebooks/laion_fmri_stimuli"), { recursive: true }).catch(
      () => {},
    );
  }
});
