// The per-session R² maps of the current layout, as upstream's newest
// tutorial fetches them (`desc="R2"`, NIfTI and JSON sidecar): download's
// filters select exactly the session's R² map and its sidecar (the `desc-R2`
// token does not match `desc-R2mean`), the sidecar's `Units` is read as
// JSON, and the map's values are the generator's (expectedSessionR2).
import assert from "node:assert/strict";
import { join } from "node:path";
import { download } from "../mod.ts";
import { planDownload } from "../lib/download/mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { readNiftiVolume } from "../lib/formats/nifti.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { expectedSessionR2 } from "../scripts/generate.ts";
import { localEndpoint, synthCurrentKeys } from "./_helpers.ts";

const SUB = "sub-01";
const GLM = `derivatives/glmsingle-tedana/${SUB}/`;
const R2MEAN = `${GLM}${SUB}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`;

Deno.test("per-session R² maps: download({ ses, stat: 'rsquare', desc: 'R2' }) selects the map and its sidecar", async () => {
  const source = new CachedSource(
    new S3Source({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET }),
  );
  const dataDir = await Deno.makeTempDir({ prefix: "laion-r2-current-" });
  try {
    const r2 = synthCurrentKeys(`${GLM}ses-01/`).filter((k) =>
      k.includes("_stat-rsquare_desc-R2_")
    );
    assert.deepEqual(r2.map((k) => k.slice(k.lastIndexOf(".", k.length - 4))), [
      ".json",
      ".nii.gz",
    ]);
    const filters = { subject: SUB, ses: "01", stat: "rsquare", desc: "R2", dataDir, source };
    const plan = await planDownload(filters);
    const glm = plan.prefixes.find((p) => p.prefix === GLM)!;
    // upstream pins R2mean (the rsquare brain mask) whenever a session is named
    assert.deepEqual([...glm.keys].sort(), [...r2, R2MEAN].sort());

    const s = await download({ ...filters, acceptLicense: true, quiet: true });
    assert.deepEqual(s.failures, []);
    const json = r2.find((k) => k.endsWith(".json"))!;
    const sidecar = JSON.parse(await Deno.readTextFile(join(dataDir, json)));
    assert.equal(sidecar.Units, "percent");
    const nii = r2.find((k) => k.endsWith(".nii.gz"))!;
    const vol = await readNiftiVolume(join(dataDir, nii));
    vol.data.forEach((v, f) => {
      const want = expectedSessionR2("small", 1, SUB, "ses-01", f);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(v), `voxel ${f}`);
      else assert.equal(v, want, `voxel ${f}`);
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
