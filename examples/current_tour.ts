/**
 * A tour of the bucket as it is now (upstream's current layout): discovery
 * with the six subject probes, a download that brings the anatomy and the
 * localizers too, the two voxel axes (anatomical vs R² mask), a T1w slice,
 * a localizer map with the FFA1 outline, an ROI at 1.5 mm, and the betas of
 * FFA1 read from the GLMsingle model file instead of the NIfTI.
 *
 * Against the real bucket (s3://laion-fmri, us-west-2):
 *   deno task tour:current
 * Offline, against a local S3 that the task starts and seeds with a small
 * synthetic copy of the current layout (chosen by LAION_FMRI_BUCKET):
 *   deno task tour:current:offline
 * Or point it anywhere: `--endpoint URL` / `--bucket NAME`, or the variables
 * LAION_FMRI_S3_ENDPOINT / LAION_FMRI_BUCKET.
 * Pictures are written to `laion_fmri_current/pictures/`.
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  configureBucket,
  datasetInitialize,
  describe,
  download,
  getSubjects,
  inspectBucket,
  loadSubject,
} from "@laion/fmri";
import { plotStatMap } from "@laion/fmri/plot";

const { values } = parseArgs({
  args: Deno.args,
  options: { endpoint: { type: "string" }, bucket: { type: "string" }, out: { type: "string" } },
});
configureBucket({ endpoint: values.endpoint, bucket: values.bucket });
const SUBJECT = "sub-01";

// ## Discovery: upstream's six probes on the current layout
await describe();
await inspectBucket();
console.log(`Subjects: ${(await getSubjects()).join(", ")}`);

// ## Download one session, with the anatomy and the localizers
// The default download already brings the res-1pt8 anatomical brain mask the
// default voxel axis needs; the include flags add the rest of the anatomy and
// the localizer maps (ses-31's oloc maps are public despite the embargo).
const dataDir = resolve(values.out ?? "laion_fmri_current");
await Deno.mkdir(dataDir, { recursive: true });
await datasetInitialize(dataDir, { persist: false });
const summary = await download({
  subject: SUBJECT,
  session: "ses-01",
  includeAnatomical: true,
  includeLocalizers: true,
  acceptLicense: true,
  quiet: true,
});
console.log(
  `Downloaded ${summary.downloaded} files (${summary.skipped} already there), ` +
    `${summary.accessDenied.length} held out`,
);
for (const p of summary.prefixes) console.log(`  ${p.prefix}: ${p.matched.length} matched`);

// ## Two voxel axes: the anatomical brain mask (upstream's default) vs R²
const sub = await loadSubject(SUBJECT);
const anatomical = await sub.getNVoxels();
const rsquare = await sub.getNVoxels({ maskSource: "rsquare" });
console.log(`Voxels: ${anatomical} (anatomical mask, res-1pt8) vs ${rsquare} (R2mean rule)`);

// ## Pictures: T1w, a localizer map with FFA1's outline, an ROI at 1.5 mm
const pictures = join(dataDir, "pictures");
await Deno.mkdir(pictures, { recursive: true });
const t1w = await (await sub.getT1w({ res: "1pt8" })).load();
const faceMap = await sub.readLocalizerVolume({
  task: "floc",
  contrast: "faceVsOthers",
  res: "1pt8",
});
const ffa1 = await sub.getRoiVolume("FFA1", { res: "1pt8" });
// Three cuts through FFA1's centre, in mm from the T1w's affine, zoomed to FFA1.
const anat = { anatomy: t1w.data, dims: t1w.shape, affine: t1w.header.affine, roi: ffa1.mask };
const shots = {
  "t1w.png": plotStatMap(anat, { title: `${SUBJECT} T1w (res-1pt8), FFA1 outlined` }),
  // the localizer map alone: its cuts pass through its peak
  "floc_faceVsOthers.png": plotStatMap({ ...anat, roi: undefined, overlay: faceMap.data }, {
    threshold: 2,
    label: "z (faceVsOthers)",
    title: "floc faceVsOthers z, cuts through the peak",
  }),
};
const roi15 = await sub.getRoiVolume("FFA1", { res: "1pt5" });
console.log(
  `FFA1: ${ffa1.mask.reduce((n, v) => n + v, 0)} voxels at 1.8 mm, ` +
    `${roi15.mask.reduce((n, v) => n + v, 0)} at 1.5 mm (grid ${roi15.shape.join("x")})`,
);
for (const [name, pic] of Object.entries(shots)) {
  await pic.save(join(pictures, name));
  console.log(`${name}: ${pic}`);
}

// ## Betas from the GLMsingle model file: only FFA1's rows are read
const fromNifti = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
const fromModel = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1", betasSource: "model" });
const same = fromNifti.values.every((v, i) => Object.is(v, fromModel.values[i]));
console.log(
  `FFA1 betas ${
    fromModel.shape.join(" x ")
  } from the model file; identical to the NIfTI's: ${same}`,
);
