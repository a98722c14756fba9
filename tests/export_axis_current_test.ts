// exportBetas on the current layout, whose two voxel axes differ: the export
// record names the voxel axis (maskSource) each subject was exported on, so
// a rerun on the other axis into the same folder is refused instead of
// resuming with partitions of another voxel count.
import assert from "node:assert/strict";
import { join } from "node:path";
import { LaionFmriError } from "../lib/core/errors.ts";
import { exportBetas } from "../lib/export/export_betas.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { synthCurrentDir } from "./_helpers.ts";

const gt = JSON.parse(
  Deno.readTextFileSync(join(synthCurrentDir(), "ground-truth", "ground-truth.json")),
);

Deno.test("exportBetas: a rerun on the other voxel axis is refused, with overwrite it re-exports", async () => {
  const dataDir = await makeCurrentDataDir((k) =>
    !k.startsWith("stimuli/") && (!k.includes("/ses-") || k.includes("/ses-01/") ||
      k.includes("ses-PrismaAnat"))
  );
  const outDir = await Deno.makeTempDir({ prefix: "laion-export-axis-" });
  try {
    const base = {
      subjects: ["sub-01"],
      sessions: ["ses-01"],
      dataDir,
      outDir,
      format: "parquet" as const,
    };
    const first = await exportBetas({ ...base, maskSource: "rsquare" });
    assert.equal(first.written.length, 1);
    const width = async () => {
      const { default: pl } = await import("nodejs-polars");
      const voxels = pl.readParquet(join(outDir, "_voxels", "sub-01_ses-01.parquet"));
      return voxels.height;
    };
    assert.equal(await width(), gt.subjects["sub-01"].nBrainVoxels);
    // the default axis of this data directory is the anatomical one: another export
    await assert.rejects(
      exportBetas(base),
      (e: Error) =>
        e instanceof LaionFmriError && e.message.includes("maskSource") &&
        e.message.includes("overwrite: true"),
    );
    const again = await exportBetas({ ...base, overwrite: true });
    assert.equal(again.written.length, 1);
    assert.equal(await width(), gt.current.subjects["sub-01"].nAnatomicalBrainVoxels);
    // the same axis resumes (skips the finished partition)
    const resumed = await exportBetas({ ...base, maskSource: "anatomical" });
    assert.equal(resumed.skipped.length, 1);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
  }
});
