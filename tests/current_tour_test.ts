// The tour of the current layout: the example run with exactly its task's flags,
// and the notebook executed headless in the Deno kernel; both must show the six
// probes, the model-file betas equal to the NIfTI's, and real pictures.
import assert from "node:assert/strict";
import { denoDir, localEndpoint, repoPath, taskCommand, taskEnv } from "./_helpers.ts";
import {
  assertMatchesCommitted,
  type Cell,
  cellErrors,
  ensureKernel,
  executeNotebook,
  inlinePngs,
  outputText,
} from "./_notebook.ts";
import { pillow } from "./_pillow.ts";

/** Size and distinct pixel values of a PNG, decoded by Debian's Pillow. */
const EXPECTED = [
  "sub-*/  (raw BIDS root): 7 entries, 5 sub-* entries",
  "derivatives/anatomical/: 5 entries, 5 sub-* entries",
  "identical to the NIfTI's: true",
];

Deno.test("tour:current:offline runs with its task's flags, prints the six probes, saves real pictures", async () => {
  const home = await Deno.makeTempDir();
  const out = await Deno.makeTempDir({ dir: repoPath(""), prefix: ".tour-current-" });
  try {
    const args = taskCommand("tour:current:offline", home).map((a) =>
      a === "--allow-write=laion_fmri_current" ? `--allow-write=${out}` : a
    );
    assert.ok(!args.includes("-A"));
    const run = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--out", out],
      cwd: repoPath(""),
      env: {
        HOME: home,
        DENO_DIR: denoDir(),
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        ...taskEnv("tour:current:offline"), // the local bucket, as the task sets it
        NO_COLOR: "1",
      },
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    for (const line of EXPECTED) assert.ok(stdout.includes(line), `missing ${line}:\n${stdout}`);
    assert.match(stdout, /Voxels: \d+ \(anatomical mask, res-1pt8\) vs \d+ \(R2mean rule\)/);
    for (const name of ["t1w.png", "floc_faceVsOthers.png"]) {
      const info = await pillow(await Deno.readFile(`${out}/pictures/${name}`));
      assert.ok(info.size[0] > 20 && info.size[1] > 20, `${name}: ${info.size}`);
      assert.ok(info.colours > 5, `${name} is not blank`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the current-layout notebook runs in the Deno kernel and shows its pictures", async () => {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    const cells: Cell[] = await executeNotebook(jupyter, "notebooks/current.ipynb", outDir, xdg);
    assert.deepEqual(cellErrors(cells), []);
    await assertMatchesCommitted("notebooks/current.ipynb", cells);
    const text = outputText(cells);
    for (const line of EXPECTED) assert.ok(text.includes(line), `missing ${line}:\n${text}`);
    const pngs = inlinePngs(cells);
    assert.equal(pngs.length, 3, "three pictures shown inline");
    for (const png of pngs) {
      const info = await pillow(png);
      assert.ok(info.size[0] >= 40 && info.colours > 1, JSON.stringify(info));
    }
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(repoPath("notebooks/laion_fmri_current"), { recursive: true }).catch(
      () => {},
    );
  }
});
