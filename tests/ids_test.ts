// deno test tests/ids_test.ts  (no permissions needed)
import assert from "node:assert/strict";
import {
  bidsifyLocalKey,
  isExemptLocalizerKey,
  isHeldOutKey,
  isPublicKey,
  parseRoiLabel,
  resolveSubjectId,
} from "../lib/core/ids.ts";
import { SubjectNotFoundError } from "../lib/core/errors.ts";

Deno.test("resolveSubjectId normalizes bare ids and keeps full ones", () => {
  assert.equal(resolveSubjectId("01"), "sub-01");
  assert.equal(resolveSubjectId("sub-01"), "sub-01");
  assert.equal(resolveSubjectId("ABC123"), "sub-ABC123");
});

Deno.test("resolveSubjectId rejects empty ids and non-strings", () => {
  assert.throws(() => resolveSubjectId(""), SubjectNotFoundError);
  assert.throws(() => resolveSubjectId("sub-"), SubjectNotFoundError);
  for (const bad of [1, 1.5, null, undefined]) {
    assert.throws(() => resolveSubjectId(bad as unknown as string), /string/);
  }
});

Deno.test("bidsifyLocalKey removes hyphens from label values only", () => {
  const cases: [string, string][] = [
    ["label-FFA1_mask.nii.gz", "label-FFA1_mask.nii.gz"],
    ["label-FFA-1_mask.nii.gz", "label-FFA1_mask.nii.gz"],
    ["sub-01_label-pSTS-faces_mask.nii.gz", "sub-01_label-pSTSfaces_mask.nii.gz"],
    [
      "sub-01_hemi-L_space-fsnative_label-FFA-1_mask.func.gii",
      "sub-01_hemi-L_space-fsnative_label-FFA1_mask.func.gii",
    ],
    ["x_label-laion-dorsal_mask.label", "x_label-laiondorsal_mask.label"],
    ["sub-01_task-foo-bar_label-FFA-1_x", "sub-01_task-foo-bar_label-FFA1_x"],
    ["label-FFA-1.json", "label-FFA1.json"],
    ["label-FFA-1", "label-FFA1"],
    ["a/label-V-1/b", "a/label-V1/b"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(bidsifyLocalKey(input), expected, input);
    assert.equal(bidsifyLocalKey(expected), expected, `idempotent: ${expected}`);
  }
});

Deno.test("parseRoiLabel accepts only the volumetric 1.8 mm mask name", () => {
  assert.equal(parseRoiLabel("sub-01_space-T1w_res-1pt8_label-FFA1_mask.nii.gz", "sub-01"), "FFA1");
  assert.equal(
    parseRoiLabel("sub-01_space-T1w_res-1pt8_label-FFA1_mask.nii.gz", "sub-03"),
    undefined,
  );
  assert.equal(
    parseRoiLabel("sub-01_hemi-L_space-fsnative_label-FFA1_mask.func.gii", "sub-01"),
    undefined,
  );
  assert.equal(parseRoiLabel("sub-01_space-T1w_res-1pt8_label-_mask.nii.gz", "sub-01"), undefined);
});

Deno.test("isHeldOutKey matches ses-31..34 folders, not file names", () => {
  assert.ok(isHeldOutKey("derivatives/glmsingle-tedana/sub-01/ses-31/func/x.tsv"));
  assert.ok(isHeldOutKey("derivatives/glmsingle-tedana/sub-01/ses-34"));
  assert.ok(!isHeldOutKey("derivatives/glmsingle-tedana/sub-01/ses-30/func/x.tsv"));
  assert.ok(!isHeldOutKey("derivatives/glmsingle-tedana/sub-01/ses-35/func/x.tsv"));
  assert.ok(!isHeldOutKey("derivatives/glmsingle-tedana/sub-01/sub-01_ses-31_x.tsv"));
});

Deno.test("flagFor names the flag Deno's permission error asks for", async () => {
  const { flagFor } = await import("../lib/core/permissions.ts");
  const err = (m: string) => new Error(m);
  assert.equal(
    flagFor(err('Requires net access to "127.0.0.1:7480", run again'), "x"),
    "--allow-net=127.0.0.1:7480",
  );
  assert.equal(
    flagFor(err('Requires sys access to "osRelease", run again'), "x"),
    "--allow-sys=osRelease",
  );
  assert.equal(flagFor(err('Requires sys access to "ca", run again'), "x"), "--allow-sys");
  assert.equal(flagFor(err("something else"), "--allow-read"), "--allow-read");
});

// Upstream's rule (§1.11): only oloc maps under derivatives/localizers/ escape the embargo.
Deno.test("isExemptLocalizerKey: oloc maps under derivatives/localizers/ only", () => {
  const loc = "derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-oloc";
  assert.ok(isExemptLocalizerKey(`${loc}_stat-z_statmap.nii.gz`));
  assert.ok(isExemptLocalizerKey(`${loc}.json`));
  assert.ok(!isExemptLocalizerKey(`${loc}ation_stat-z.nii.gz`), "task-olocation is another task");
  assert.ok(!isExemptLocalizerKey(loc.replace("oloc", "floc") + "_stat-z.nii.gz"));
  assert.ok(!isExemptLocalizerKey("sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_bold.nii.gz"));
  assert.ok(
    !isExemptLocalizerKey(
      "derivatives/tedana/sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_desc-optcom_bold.nii.gz",
    ),
  );
});

Deno.test("isPublicKey: not held out, or an exempt localizer map", () => {
  const loc = "derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-";
  assert.ok(isPublicKey("derivatives/glmsingle-tedana/sub-01/ses-01/func/x.tsv"));
  assert.ok(
    isPublicKey("derivatives/localizers/sub-03/ses-01/func/sub-03_ses-01_task-floc_z.nii.gz"),
  );
  assert.ok(isPublicKey(`${loc}oloc_stat-z_statmap.nii.gz`));
  assert.ok(!isPublicKey(`${loc}floc_stat-z_statmap.nii.gz`));
  assert.ok(!isPublicKey("derivatives/glmsingle-tedana/sub-03/ses-31/func/x.tsv"));
  assert.ok(!isPublicKey("sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_bold.nii.gz"));
  assert.ok(!isPublicKey("derivatives/localizers/sub-03/ses-32"));
});
