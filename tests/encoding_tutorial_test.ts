/**
 * Upstream's encoding-model tutorial through our API (examples/encoding.ts,
 * notebooks/encoding.ipynb) on the small current-layout bucket: it runs with
 * its task's flags, its numbers equal an independent numpy implementation
 * on the same matrices (1e-4; alphas exact), the voxels it keeps are the
 * ones the generator planted signal in, and its pictures are real; the
 * notebook prints and shows the same on three runs in a row.
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
import { plotVoxelValues } from "../lib/display/voxel_map.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { denoDir, localEndpoint, repoPath, synthCurrentDir, taskCommand } from "./_helpers.ts";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) <= 1e-4, `${what}: ${a} vs numpy ${b}`);

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("the encoding tutorial: task flags, numpy agreement, planted voxels, pictures", async () => {
  const home = await Deno.makeTempDir();
  const out = await Deno.makeTempDir({ dir: repoPath(""), prefix: ".encoding-" });
  try {
    const args = taskCommand("encoding", home).map((a) =>
      a === "--allow-write=laion_fmri_encoding" ? `--allow-write=${out}` : a
    );
    assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
    const dump = join(out, "problem.json");
    const run = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--out", out, "--dump", dump],
      cwd: repoPath(""),
      env: {
        HOME: home,
        DENO_DIR: denoDir(),
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        NO_COLOR: "1",
      },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.match(stdout, /FFA1: \d+ voxels; 3 sessions; \d+ trials of \d+ shared non-OOD images/);
    assert.match(stdout, /Median voxel r: -?\d\.\d{3} {3}wRSA: -?\d\.\d{3}/);
    for (const step of ["remote reads", "embedding lookup", "fit", "pictures", "stimulus images"]) {
      assert.match(stdout, new RegExp(`  ${step} +\\d+ ms`));
    }

    // The numbers, recomputed by numpy (tests/reference/encoding_ref.py) from the same matrices.
    const refOut = join(out, "numpy.json");
    const ref = await new Deno.Command("/usr/bin/python3", {
      args: [repoPath("tests/reference/encoding_ref.py"), dump, refOut],
    }).output();
    assert.ok(ref.success, new TextDecoder().decode(ref.stderr));
    const ours: Json = JSON.parse(await Deno.readTextFile(dump)).result;
    // Python's json writes NaN (a voxel that is NaN on every trial); ours is null.
    const numpy: Json = JSON.parse((await Deno.readTextFile(refOut)).replaceAll("NaN", "null"));
    assert.deepEqual(ours.voxels, numpy.voxels);
    ours.reliability.forEach((r: number | null, v: number) => {
      if (r === null) assert.equal(numpy.reliability[v], null, `voxel ${v}`);
      else close(r, numpy.reliability[v], `reliability ${v}`);
    });
    const alphas = numpy.bestAlphaIndex.map((i: number) => 10 ** (i / 2));
    ours.bestAlpha.forEach((a: number, v: number) => close(a, alphas[v], `alpha ${v}`));
    ours.voxelR.forEach((r: number, v: number) => close(r, numpy.voxelR[v], `voxel r ${v}`));
    close(ours.medianR, numpy.medianR, "median r");
    close(ours.wrsa, numpy.wrsa, "wRSA");

    // Against what the generator planted: strong voxels kept, signal-free ones dropped.
    const truth: Json = JSON.parse(
      await Deno.readTextFile(join(synthCurrentDir(), "ground-truth", "encoding.json")),
    );
    const planted: { brainIndex: number; snr: number }[] = truth.subjects["sub-01"].voxels;
    const kept = new Set<number>(ours.voxels);
    const sorted = [...planted].sort((a, b) => a.brainIndex - b.brainIndex);
    assert.equal(sorted.length, ours.reliability.length, "one planted entry per FFA1 voxel");
    sorted.forEach((p, v) => {
      if (p.snr >= 1) assert.ok(kept.has(v), `voxel ${v} (SNR ${p.snr.toFixed(2)}) kept`);
      if (p.snr <= 0.15) assert.ok(!kept.has(v), `voxel ${v} (SNR ${p.snr.toFixed(2)}) dropped`);
    });

    for (
      const name of [
        "voxel_r_map.png",
        "predicted_vs_measured.png",
        "voxel_r_histogram.png",
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

Deno.test("the encoding notebook runs 3 times with the same outputs and shows 4 pictures", async () => {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    let first: unknown[][] | undefined;
    for (let run = 1; run <= 3; run++) {
      const cells = await executeNotebook(jupyter, "notebooks/encoding.ipynb", outDir, xdg);
      assert.deepEqual(cellErrors(cells), []);
      const outputs = cellOutputs(cells);
      if (!first) {
        first = outputs;
        await assertMatchesCommitted("notebooks/encoding.ipynb", cells);
        const pngs = inlinePngs(cells);
        assert.equal(pngs.length, 4, "four pictures shown inline");
        for (const png of pngs) {
          const info = await pillow(png);
          assert.ok(info.size[0] >= 300 && info.colours > 20, JSON.stringify(info));
        }
      } else {
        assert.deepEqual(outputs, first, `run ${run} differs from run 1`);
      }
    }
  } finally {
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
    const info = await pillow((await plotVoxelValues(sub, values, { roi: "face" })).png);
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
