// The loading notebook (notebooks/loading.ipynb) executed headless in the Deno
// Jupyter kernel with Debian's `jupyter nbconvert`, against the local S3: it
// downloads sub-01 and sub-03 ses-01, and its printed shapes, split counts,
// shared stimuli and brain-space round trip must match the synthetic
// dataset's ground truth.
//
// Run once, without retries: the notebook ends its printing cells with the
// library's `flushOutput()` and displays frames with `show()`, so no output
// arrives after the kernel reports the cell done (notebooks/README.md).
import assert from "node:assert/strict";
import { join } from "node:path";
import { getTrainTestIds } from "../mod.ts";
import { repoPath, synthDir } from "./_helpers.ts";
import {
  assertMatchesCommitted,
  type Cell,
  ensureKernel,
  executeChecked,
  joinText,
  outputText,
} from "./_notebook.ts";

const NOTEBOOK = "notebooks/loading.ipynb";

/** HTML of the DataFrame displays (`show(frame)`: a bounded preview), in order. */
function frameDisplays(cells: Cell[]): string[] {
  return cells.flatMap((c) => c.outputs ?? []).filter((o) =>
    o.output_type === "display_data" && o.data?.["text/html"] !== undefined
  ).map((o) => joinText(o.data?.["text/html"]));
}

/** One line per printing cell (in order), captured by the tests below. */
const EXPECTED: RegExp[] = [
  /^Data directory: laion_fmri_loading\/$/m,
  /^Files: (\d+) matched, (\d+) downloaded, (\d+) already on disk, (\d+) failed$/m,
  /^Bytes received: (\d+)$/m,
  /^Sessions on disk: \['ses-01'\]$/m,
  /^Trials in ses-01: (\d+)$/m,
  /^getBetas roi=FFA1: shape \[(\d+), (\d+)\]/m,
  /^getBetas roi=face: shape \[(\d+), (\d+)\]/m,
  /^getBetas roi=all: shape \[(\d+), (\d+)\]/m,
  /^getBetas without roi: shape \[(\d+), (\d+)\] \(brain voxels: (\d+)\)$/m,
  /^ {2}volume: (\d+) brain voxels, (\d+) in the ROI$/m,
  /^ {2}gii\.hemi-L: func\.gii \d+ vertices \((\d+) in the ROI\), label (\d+) vertex indices$/m,
  /^ {2}gii\.hemi-R: func\.gii \d+ vertices \((\d+) in the ROI\), label (\d+) vertex indices$/m,
  /^Split random_0 \(pool sub-01\): (\d+) train rows, (\d+) test rows, (\d+) in neither, of (\d+) trials$/m,
  /^Group: \['sub-01', 'sub-03'\]$/m,
  /^Shared stimuli: (\d+)$/m,
  /^sub-01: (\d+) FFA1 voxels, values (\d+) x (\d+)$/m,
  /^sub-03: (\d+) FFA1 voxels, values (\d+) x (\d+)$/m,
  /^Same grid and affine as the subject's brain mask: (\w+)$/m,
  /^Non-zero voxels in the file: (\d+) \(FFA1 has (\d+)\)$/m,
  /^Round trip: max \|difference\| = (\S+), NaN in both = (\d+), NaN in one only = (\d+)$/m,
  /^FFA1 coordinates: (\d+) voxels \(subject T1w scanner space, mm\)$/m,
];
const COORD_LINE =
  /^ {2}brain voxel (\d+) at grid \((\d+), (\d+), (\d+)\) -> \((\S+), (\S+), (\S+)\) mm$/gm;

/** Why the outputs are incomplete (an expected line or display missing), or undefined. */
function missing(cells: Cell[]): string | undefined {
  const text = outputText(cells);
  for (const re of EXPECTED) {
    if (!re.test(text)) return `no output line matches ${re}\n--- output ---\n${text}`;
  }
  if ([...text.matchAll(COORD_LINE)].length !== 3) return "not 3 coordinate lines";
  if (frameDisplays(cells).length < 2) return "the trial DataFrames were not displayed";
  return undefined;
}

/** The numeric groups of the line matching `re`. */
function numbers(text: string, re: RegExp): number[] {
  return text.match(re)!.slice(1).map(Number);
}

interface RoiTruth {
  label: string;
  nVoxelsInBrain: number;
  brainIndices: number[];
}
interface SubjectTruth {
  nBrainVoxels: number;
  rois: Record<string, RoiTruth[]>;
  sessions: Record<string, { nTrials: number; labels: string[] }>;
}
interface Truth {
  grid: { affine: number[][] };
  subjects: Record<string, SubjectTruth>;
}

/** Number of distinct brain voxels in the ROIs of the given categories. */
function unionSize(s: SubjectTruth, categories: string[]): number {
  const all = new Set<number>();
  for (const c of categories) for (const r of s.rois[c]) r.brainIndices.forEach((i) => all.add(i));
  return all.size;
}

function roiTruth(s: SubjectTruth, label: string): RoiTruth {
  const roi = Object.values(s.rois).flat().find((r) => r.label === label);
  assert.ok(roi, `${label} not in the ground truth`);
  return roi;
}

Deno.test("the loading notebook downloads, loads and round-trips data in the Deno kernel", async () => {
  const jupyter = await ensureKernel();
  const dataDir = repoPath("notebooks/laion_fmri_loading");
  const hadDataDir = await Deno.stat(dataDir).then(() => true, () => false);
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    const cells = await executeChecked(jupyter, NOTEBOOK, outDir, xdg);
    const problem = missing(cells);
    assert.equal(problem, undefined, problem);
    if (!hadDataDir) await assertMatchesCommitted(NOTEBOOK, cells); // else the counts differ
    const text = outputText(cells);

    const truth: Truth = JSON.parse(
      await Deno.readTextFile(join(synthDir(), "ground-truth", "ground-truth.json")),
    );
    const s01 = truth.subjects["sub-01"];
    const s03 = truth.subjects["sub-03"];
    const nTrials = s01.sessions["ses-01"].nTrials;
    const tsv = (await Deno.readTextFile(join(
      synthDir(),
      "bucket/derivatives/glmsingle-tedana/sub-01/ses-01/func",
      "sub-01_ses-01_task-images_desc-SingletrialBetas_trials.tsv",
    ))).split("\n").filter((l) => l.trim() !== "");
    const labels = tsv.slice(1).map((l) => l.split("\t")[tsv[0].split("\t").indexOf("label")]);
    assert.equal(labels.length, nTrials, "trial TSV rows vs ground-truth nTrials");

    // The download: every file was transferred into the fresh data directory (when the
    // folder was already there from an interactive run, complete files are skipped).
    const [matched, downloaded, skipped, failed] = numbers(text, EXPECTED[1]);
    assert.ok(matched > 0, "the download matched no files");
    assert.equal(failed, 0);
    assert.equal(downloaded + skipped, matched);
    if (!hadDataDir) assert.equal(downloaded, matched, "files downloaded into a fresh data dir");
    if (!hadDataDir) assert.ok(numbers(text, EXPECTED[2])[0] > 0, "bytes received");

    // Trial table and betas shapes.
    assert.equal(numbers(text, EXPECTED[4])[0], nTrials);
    const ffa1 = roiTruth(s01, "FFA1").nVoxelsInBrain;
    assert.deepEqual(numbers(text, EXPECTED[5]), [nTrials, ffa1], "FFA1 shape");
    assert.deepEqual(numbers(text, EXPECTED[6]), [nTrials, unionSize(s01, ["face"])], "face shape");
    assert.deepEqual(
      numbers(text, EXPECTED[7]),
      [nTrials, unionSize(s01, Object.keys(s01.rois))],
      "all (union of every ROI) shape",
    );
    assert.deepEqual(
      numbers(text, EXPECTED[8]),
      [nTrials, s01.nBrainVoxels, s01.nBrainVoxels],
      "whole-brain shape",
    );
    const frames = frameDisplays(cells);
    assert.ok(frames[0].includes("beta_index") && frames[0].includes(labels[0]), frames[0]);

    // getRoiData: volume over brain voxels, vertices per hemisphere.
    const ffa1Truth = roiTruth(s01, "FFA1") as RoiTruth & { vertices: Record<string, number[]> };
    assert.deepEqual(numbers(text, EXPECTED[9]), [s01.nBrainVoxels, ffa1]);
    const nL = ffa1Truth.vertices.L.length, nR = ffa1Truth.vertices.R.length;
    assert.deepEqual(numbers(text, EXPECTED[10]), [nL, nL]);
    assert.deepEqual(numbers(text, EXPECTED[11]), [nR, nR]);

    // Split masks joined onto the trials.
    const [trainIds, testIds] = await getTrainTestIds("random_0", { pool: "sub-01" });
    const train = new Set(trainIds), test = new Set(testIds);
    const nTrain = labels.filter((l) => train.has(l)).length;
    const nTest = labels.filter((l) => test.has(l)).length;
    assert.ok(nTrain > 0 && nTest > 0);
    assert.deepEqual(
      numbers(text, EXPECTED[12]),
      [nTrain, nTest, nTrials - nTrain - nTest, nTrials],
      "split-mask counts",
    );
    assert.ok(frames[1].includes("train") && frames[1].includes("test"), frames[1]);

    // Shared stimuli across sub-01 and sub-03.
    const shared = (s: SubjectTruth) =>
      new Set(s.sessions["ses-01"].labels.filter((l) => l.startsWith("shared_")));
    const shared03 = shared(s03);
    const nShared = [...shared(s01)].filter((l) => shared03.has(l)).length;
    assert.ok(nShared > 0);
    assert.equal(numbers(text, EXPECTED[14])[0], nShared);
    const ffa103 = roiTruth(s03, "FFA1").nVoxelsInBrain;
    assert.deepEqual(numbers(text, EXPECTED[15]), [ffa1, nShared, ffa1]);
    assert.deepEqual(numbers(text, EXPECTED[16]), [ffa103, nShared, ffa103]);

    // Brain-space round trip.
    assert.equal(text.match(EXPECTED[17])![1], "true", "grid and affine of the written NIfTI");
    assert.deepEqual(numbers(text, EXPECTED[18]), [ffa1, ffa1]);
    const [maxDiff, nanBoth, nanOne] = numbers(text, EXPECTED[19]);
    assert.equal(maxDiff, 0);
    assert.equal(nanOne, 0);
    assert.ok(nanBoth <= ffa1);
    assert.equal(numbers(text, EXPECTED[20])[0], ffa1);
    const a = truth.grid.affine;
    for (const m of text.matchAll(COORD_LINE)) {
      const [, i, j, k, x, y, z] = m.slice(1).map(Number);
      [x, y, z].forEach((c, r) => {
        const expected = a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3];
        assert.ok(Math.abs(c - expected) < 0.06, `${m[0]}: axis ${r} expected ${expected}`);
      });
    }

    // Every code cell ran, and the outputs carry no machine-specific paths.
    const code = cells.filter((c) => c.cell_type === "code");
    assert.ok(code.length >= 10, `only ${code.length} code cells`);
    const all = JSON.stringify(code.map((c) => c.outputs));
    for (const path of [xdg, outDir, repoPath("")]) assert.ok(!all.includes(path), path);

    // The kernel ran in notebooks/ and wrote its config under XDG_CONFIG_HOME only.
    const config = JSON.parse(await Deno.readTextFile(join(xdg, "laion_fmri", "config.json")));
    assert.equal(config.data_dir, dataDir);
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    if (!hadDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
