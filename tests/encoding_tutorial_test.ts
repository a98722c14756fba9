/**
 * Upstream's newest encoding tutorial through our API (examples/encoding.ts,
 * notebooks/encoding.ipynb) on the small synthetic current-layout bucket:
 * the example runs with its `encoding:offline` task's flags, every line it
 * prints equals the line an independent scikit-learn/scipy/nibabel reference
 * prints from the same matrices (tests/reference/tutorial_ref.py), every
 * number agrees within 1e-6 and every chosen alpha exactly, the voxels it
 * keeps are the ones the generator planted signal in, and its pictures are
 * real. The access request is registered on the local service by the test
 * (LAION_FMRI_REQUEST_ID), never in the example's or notebook's text, which
 * name neither a test bucket nor a loopback endpoint nor a person.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertMatchesCommitted,
  cellErrors,
  cellOutputs,
  ensureKernel,
  executeNotebook,
  inlinePngs,
} from "./_notebook.ts";
import { pillow } from "./_pillow.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { registerTestRequest } from "./_access_fixture.ts";
import { plotVoxelValues } from "../lib/display/voxel_map.ts";
import { heatmapPlot } from "../lib/display/heatmap.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { denoDir, localEndpoint, repoPath, synthCurrentDir, taskCommand } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const TEST_BUCKET = "laion-fmri-current";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-6, `${what}: ours ${a} vs sklearn ${b}`);

Deno.test("the example and the notebook name no test bucket, loopback host or person", async () => {
  const nb = JSON.parse(await Deno.readTextFile(repoPath("notebooks/encoding.ipynb")));
  // What a reader runs: the example and the notebook's cells (its committed outputs come from
  // the offline world, as its first cell says).
  const texts = {
    "examples/encoding.ts": await Deno.readTextFile(repoPath("examples/encoding.ts")),
    "notebooks/encoding.ipynb": nb.cells.map((c: Json) => [c.source].flat().join("")).join("\n"),
  };
  for (const [file, text] of Object.entries(texts)) {
    for (
      const word of [TEST_BUCKET, "127.0.0.1", "localhost", "example.org", "Lovelace", "tutorial@"]
    ) {
      assert.ok(!text.includes(word), `${file} names ${word}`);
    }
  }
  // No answer of the access form is filled in: the notebook's form cell is the reader's.
  const formCell = nb.cells.find((c: Json) => [c.source].flat().join("").startsWith("// ✍"));
  assert.ok(formCell, "a cell the reader fills in, marked ✍");
  assert.match(
    [formCell.source].flat().join(""),
    /name: ""[\s\S]*email: ""[\s\S]*acceptTerms: false/,
  );
  // The real task reads the real hosts only; the offline one chooses the test bucket by env.
  const tasks = JSON.parse(await Deno.readTextFile(repoPath("deno.json"))).tasks;
  const net = (tasks.encoding.command as string).match(/--allow-net=(\S+)/)![1].split(",");
  assert.deepEqual(net, [
    "laion-fmri.s3.us-west-2.amazonaws.com",
    "laion-fmri.s3.amazonaws.com",
    "laion-fmri.hebartlab.com",
  ]);
  assert.ok(!tasks.encoding.command.includes(TEST_BUCKET));
  assert.ok(tasks["encoding:offline"].command.startsWith(`LAION_FMRI_BUCKET=${TEST_BUCKET} `));
});

Deno.test("the encoding tutorial: every printed line and number equals sklearn's, planted voxels, pictures", async () => {
  const home = await Deno.makeTempDir();
  const out = await Deno.makeTempDir({ dir: repoPath(""), prefix: ".encoding-" });
  try {
    const args = taskCommand("encoding:offline", home).map((a) =>
      a.startsWith("--allow-write=laion_fmri_encoding") ? `--allow-write=${out}` : a
    );
    assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
    const dump = join(out, "problem.json");
    const run = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--out", out, "--dump", dump, "--accept-license"],
      cwd: repoPath(""),
      env: {
        HOME: home,
        DENO_DIR: denoDir(),
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        LAION_FMRI_BUCKET: TEST_BUCKET, // what the task's prefix sets
        LAION_FMRI_REQUEST_ID: await registerTestRequest(Deno.env.get("LAION_FMRI_ACCESS_URL")!),
        NO_COLOR: "1",
      },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));

    // The numbers, recomputed by the tutorial's own calls in Debian's Python.
    const refOut = join(out, "sklearn.json");
    const ref = await new Deno.Command("/usr/bin/python3", {
      args: [repoPath("tests/reference/tutorial_ref.py"), dump, refOut],
    }).output();
    assert.ok(ref.success, new TextDecoder().decode(ref.stderr));
    const ours: Json = JSON.parse(await Deno.readTextFile(dump)).result;
    const sk: Json = JSON.parse((await Deno.readTextFile(refOut)).replaceAll("NaN", "null"));
    assert.deepEqual(ours.lines, sk.lines, "every printed line");
    const printed = stdout.split("\n");
    for (const line of sk.lines) assert.ok(printed.includes(line), `printed: ${line}`);
    assert.deepEqual(ours.voxels, sk.voxels);
    assert.deepEqual(ours.bestAlpha, sk.bestAlpha, "every chosen alpha");
    ours.reliability.forEach((r: number | null, v: number) => {
      if (r === null) assert.equal(sk.reliability[v], null, `reliability ${v}`);
      else close(r, sk.reliability[v], `reliability ${v}`);
    });
    ours.voxelR.forEach((r: number, v: number) => close(r, sk.voxelR[v], `voxel r ${v}`));
    close(ours.medianR, sk.medianR, "median voxel r");
    close(ours.meanResponseR, sk.meanResponseR, "mean response r");
    close(ours.wrsa, sk.wrsa, "wRSA");
    close(ours.r2.median, sk.r2.median, "median R²");
    assert.equal(ours.r2.finiteInBrain, sk.r2.finiteInBrain);
    assert.ok(sk.nTest >= 20 && ours.voxels.length >= 2, `${sk.nTest} test images`);
    // The R² units come from the map's sidecar, not from our text.
    assert.ok(printed.includes(`R² units: ${sk.r2.units}`));

    // What was planted: said in the output, and the kept voxels are the planted strong ones.
    assert.match(stdout, /^Dataset: LAION-fMRI \(synthetic\) — .*not real data$/m);
    assert.match(stdout, /^Planted \(synthetic bucket, scripts\/synth\/encoding\.ts\): FFA-1 /m);
    const truth: Json = JSON.parse(
      await Deno.readTextFile(join(synthCurrentDir(), "ground-truth", "encoding.json")),
    );
    const planted: { modelRow: number; snr: number }[] = truth.subjects["sub-01"].voxels;
    const rows: number[] = JSON.parse(await Deno.readTextFile(dump)).voxelBrainIndex;
    const kept = new Set<number>(ours.voxels);
    for (const p of planted) {
      const v = rows.indexOf(p.modelRow); // the voxel's column in the ROI's betas
      assert.ok(v >= 0, `planted voxel at betasmd row ${p.modelRow} is an FFA1 column`);
      if (p.snr >= 1) assert.ok(kept.has(v), `voxel ${v} (SNR ${p.snr.toFixed(2)}) kept`);
      if (p.snr <= 0.15) assert.ok(!kept.has(v), `voxel ${v} (SNR ${p.snr.toFixed(2)}) dropped`);
    }
    // Voxels without a planted signal (on the anatomical axis only) are never kept.
    const plantedRows = new Set(planted.map((p) => p.modelRow));
    rows.forEach((r, v) => {
      if (!plantedRows.has(r)) assert.ok(!kept.has(v), `unplanted voxel ${v} dropped`);
    });
    assert.ok(planted.some((p) => p.snr >= 1), "the profile plants at least one strong voxel");

    // The histogram's title says the median once (the picture adds it).
    const hist = printed.find((l) => l.startsWith("Histogram: "))!;
    assert.equal(
      hist,
      `Histogram: Prediction accuracy per voxel: median = ${
        ours.medianR.toFixed(3)
      } (n = ${ours.voxels.length})`,
    );

    for (
      const name of [
        "r2_map.png",
        "r2_histogram.png",
        "responses_heatmap.png",
        "voxel_r_histogram.png",
        "rdms.png",
        "rdm_agreement.png",
        "voxel_r_map.png",
        "test_images.png",
      ]
    ) {
      const info = await pillow(await Deno.readFile(join(out, "pictures", name)));
      assert.ok(info.size[0] >= 300 && info.size[1] >= 150, `${name}: ${info.size}`);
      assert.ok(info.colours > 20, `${name} is not blank (${info.colours} colours)`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the encoding notebook: twice the same outputs and pictures; without a request, an error naming the ✍ cell", async () => {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  const emptyHome = await Deno.makeTempDir({ prefix: "laion-nb-home-" });
  // The runner gives the kernel the offline bucket and this request id (never text in a cell).
  const saved: [string, string | undefined][] = [
    ["LAION_FMRI_REQUEST_ID", Deno.env.get("LAION_FMRI_REQUEST_ID")],
  ];
  Deno.env.set(
    "LAION_FMRI_REQUEST_ID",
    await registerTestRequest(Deno.env.get("LAION_FMRI_ACCESS_URL")!),
  );
  try {
    let first: unknown[][] | undefined;
    for (let run = 1; run <= 2; run++) {
      const cells = await executeNotebook(jupyter, "notebooks/encoding.ipynb", outDir, xdg);
      assert.deepEqual(cellErrors(cells), []);
      const outputs = cellOutputs(cells);
      if (!first) {
        first = outputs;
        const text = JSON.stringify(outputs);
        assert.ok(!text.includes(repoPath("")), "no absolute path in the outputs");
        for (
          const line of [
            "R² units: percent",
            "Median held-out voxel correlation: ",
            "Correlation of mean FFA responses: ",
            "CLIP → FFA-1, sub-01, shared natural images: wRSA = ",
          ]
        ) assert.ok(text.includes(line), `notebook prints ${line}`);
        await assertMatchesCommitted("notebooks/encoding.ipynb", cells);
        const pngs = inlinePngs(cells);
        assert.equal(pngs.length, 8, "eight pictures shown inline");
        for (const png of pngs) {
          const info = await pillow(png);
          assert.ok(info.size[0] >= 300 && info.colours > 20, JSON.stringify(info));
        }
      } else {
        assert.deepEqual(outputs, first, `run ${run} differs from run 1`);
      }
    }
    // No request id anywhere and the ✍ cell left empty: nothing is submitted, and the image
    // cell's error sends the reader to that cell. (A blank LAION_FMRI_REQUEST_ID, which the
    // library reads as unset, and a HOME without a request-id cache; the kernel spec and
    // Deno's cache stay where they are.)
    const realHome = Deno.env.get("HOME")!;
    saved.push(["HOME", realHome], ["JUPYTER_PATH", Deno.env.get("JUPYTER_PATH")], [
      "DENO_DIR",
      Deno.env.get("DENO_DIR"),
    ]);
    Deno.env.set("DENO_DIR", denoDir());
    Deno.env.set("JUPYTER_PATH", `${realHome}/.local/share/jupyter`);
    Deno.env.set("HOME", emptyHome);
    Deno.env.set("LAION_FMRI_REQUEST_ID", " ");
    const cells = await executeNotebook(jupyter, "notebooks/encoding.ipynb", outDir, xdg);
    const errors = cellErrors(cells);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], /No access request yet: fill in the cell “✍ Your access request”/);
    assert.match(errors[0], /request-access/);
  } finally {
    for (const [k, v] of saved.reverse()) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    await Deno.remove(emptyHome, { recursive: true });
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(repoPath("notebooks/laion_fmri_encoding"), { recursive: true }).catch(
      () => {},
    );
  }
});

Deno.test("plotVoxelValues: one value per ROI (or brain) voxel, drawn on the T1w", async () => {
  const dataDir = await makeCurrentDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const n = (await sub.getRoiMask("face")).reduce((a, b) => a + b, 0);
    const values = Float64Array.from({ length: n }, (_, i) => i / n);
    const fig = await plotVoxelValues(sub, values, { roi: "face" });
    assert.match(
      fig.caption,
      /x = -?[\d.]+ mm, y = -?[\d.]+ mm, z = -?[\d.]+ mm; hot .*zoomed to the ROI$/,
    );
    const info = await pillow((await fig.toPicture()).png);
    assert.ok(info.size[0] >= 300 && info.colours > 20, JSON.stringify(info));
    await assert.rejects(
      plotVoxelValues(sub, values.subarray(1), { roi: "face" }),
      (e) => e instanceof RangeError && e.message.includes(`(${n})`),
    );
    await assert.rejects(plotVoxelValues(sub, values), RangeError); // not one per brain voxel
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("heatmapPlot: panels on one colour scale (power law optional); bad panels named", async () => {
  const pic = await heatmapPlot([
    { rows: 2, cols: 2, data: [0, 1, 2, 3], title: "a" },
    { rows: 1, cols: 3, data: [NaN, 1, 2] },
  ], { vmin: 0, vmax: 3, gamma: 0.5, label: "value" });
  assert.equal(pic.caption, "a 2x2, panel 1x3; viridis (gamma 0.5) 0..3");
  const info = await pillow(pic.png);
  assert.ok(info.size[0] >= 500 && info.colours > 20, JSON.stringify(info));
  await assert.rejects(
    heatmapPlot([{ rows: 2, cols: 2, data: [1] }]),
    /panel 0 has 1 values for 2x2/,
  );
  await assert.rejects(heatmapPlot([]), RangeError);
  await assert.rejects(
    heatmapPlot([{ rows: 1, cols: 1, data: [1] }], { gamma: 0 }),
    /gamma must be > 0, got 0/,
  );
});
