// notebooks/templates.ipynb (upstream's plot_06_templates.py and the surface ROI rendering of
// plot_04_loading.py) executed headless in the Deno kernel against the offline world: the
// local current-layout bucket and the local `templateflow` bucket.
import assert from "node:assert/strict";
import { repoPath } from "./_helpers.ts";
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

Deno.test("the templates notebook runs in the Deno kernel and shows MNI305, fsaverage and the ROIs", async () => {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    const cells: Cell[] = await executeNotebook(jupyter, "notebooks/templates.ipynb", outDir, xdg);
    assert.deepEqual(cellErrors(cells), []);
    const text = outputText(cells);
    for (
      const line of [
        "MNI305 image: (172, 220, 156) float32",
        "fsaverage5: L (10242,), R (10242,)",
        "fsaverage6: L (40962,), R (40962,)",
        "fsaverage: L (163842,), R (163842,)",
        "sub-01_ses-01_space-MNI305_desc-NoiseCeiling_statmap.nii.gz",
        "sub-01_ses-01_space-fsaverage_den-10k_hemi-L_desc-NoiseCeiling_statmap.func.gii",
        "sub-01_ses-01_space-fsaverage_den-10k_hemi-R_desc-NoiseCeiling_statmap.func.gii",
      ]
    ) assert.ok(text.includes(line), `missing ${line}:\n${text}`);
    assert.match(text, /NC shape: \(\d+,\)/);
    assert.match(text, /[1-9]\d* ROIs on \d+ vertices/);
    const pngs = inlinePngs(cells);
    assert.equal(pngs.length, 3, "MNI305 slice, fsaverage5 map, ROIs");
    for (const png of pngs) {
      const info = await pillow(png);
      assert.ok(info.size[0] >= 40 && info.colours > 5, JSON.stringify(info));
    }
    await assertMatchesCommitted("notebooks/templates.ipynb", cells);
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    await Deno.remove(repoPath("notebooks/laion_fmri_templates"), { recursive: true }).catch(
      () => {},
    );
  }
});
