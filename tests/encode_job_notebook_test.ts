// notebooks/encode_job.ipynb executed headless in the Deno kernel against the offline world: a
// small encoding job planned on the local current-layout bucket, its array run in-process,
// merged (fsaverage5 from the local `templateflow` bucket) and drawn.
import assert from "node:assert/strict";
import { assertMatchesCommitted, executeInTemp, inlinePngs, outputText } from "./_notebook.ts";
import { pillow } from "./_pillow.ts";

Deno.test("the encode_job notebook plans, runs the array in-process, merges and shows the maps", async () => {
  const cells = await executeInTemp(
    "notebooks/encode_job.ipynb",
    "notebooks/laion_fmri_encode_job",
  );
  const text = outputText(cells);
  for (
    const line of [
      "#SBATCH --array=0-",
      "shard 0 again: skipped = true",
      "maps on fsaverage5 (10242 vertices per hemisphere)",
      "sub-01_task-images_space-T1w_model-CLIP_stat-r_statmap.nii.gz",
      "sub-01_space-fsaverage_den-10k_hemi-L_desc-CLIPR_statmap.func.gii",
      "sub-01_space-fsaverage_den-10k_hemi-R_desc-CLIPR_statmap.func.gii",
      "voxelwise_model-CLIP.parquet",
    ]
  ) assert.ok(text.includes(line), `missing ${line}:\n${text}`);
  assert.match(text, /sub-01: \d+ voxels in \d+ shards/);
  assert.match(text, /sub-01: \d+ of \d+ voxels fitted/);
  const pngs = inlinePngs(cells);
  assert.equal(pngs.length, 3, "r on the T1w, histogram, fsaverage views");
  for (const png of pngs) {
    const info = await pillow(png);
    assert.ok(info.size[0] >= 300 && info.colours > 20, JSON.stringify(info));
  }
  await assertMatchesCommitted("notebooks/encode_job.ipynb", cells);
});
