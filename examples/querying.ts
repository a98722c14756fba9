/**
 * Querying the dataset: discover what is in LAION-fMRI without downloading
 * anything. A step-by-step port of upstream's "Querying the Dataset" tour;
 * its printed output equals upstream's line for line.
 *
 * Against the real bucket:
 *   deno task tour
 * Offline, against a local S3 (Ceph RGW) that the task starts and seeds:
 *   deno task tour:offline
 * Or point it anywhere: `--endpoint URL` or env LAION_FMRI_S3_ENDPOINT.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  configureBucket,
  datasetInitialize,
  describe,
  formatList,
  getRois,
  getSubjects,
  getTrainTestIds,
  inspectBucket,
  listSplits,
  loadSplit,
  ROI_CATEGORIES,
} from "@laion/fmri";
import { listOodTypes, listPools } from "@laion/fmri/splits";
import { getRequestStats } from "@laion/fmri/bucket";

const { values } = parseArgs({
  args: Deno.args,
  options: { endpoint: { type: "string" }, stats: { type: "boolean" } },
});
if (values.endpoint) configureBucket({ endpoint: values.endpoint });
const started = performance.now();

// Pick the subject you want to look at on the line below:
const SUBJECT = "sub-01";

// ## Initialize a data directory
// Discovery and split listings need no data on disk, but a configured data
// directory is where any later download(...) would write. `persist: false`
// keeps the choice to this run, so the tour leaves your own configuration
// (~/.config/laion_fmri) as it was.
const dataDir = join(Deno.cwd(), "laion_fmri_quickstart");
await Deno.mkdir(dataDir, { recursive: true });
await datasetInitialize(dataDir, { persist: false });

// ## Top-level summary
// describe() prints a one-screen overview: bucket, subject count and the
// first subject's ROIs. Run it first to confirm the bucket is reachable.
// Start the listings the whole tour needs at once; each is cached, so the
// calls below reuse them instead of asking S3 again.
const subjectsPromise = getSubjects();
const roiPromises = subjectsPromise.then((subjects) =>
  subjects.map((s) => getRois(s, { category: "face" }))
);
const inspectPromise = inspectBucket({ print: false });
await describe();

// ## Subjects in the bucket
// Every subject the bucket exposes, including ones whose data is only
// partially uploaded, so the count matches the dataset's published size.
console.log(`All subjects: ${formatList(await subjectsPromise)}`);
console.log(`Querying subject: ${SUBJECT}`);

// ## ROI queries: specific / category / all
// ROIs ship in eight categories. Use `category` to scope a query to one
// functional family; leave it out for the full inventory.
const allRois = await getRois(SUBJECT);
console.log(`All ROIs (${allRois.length}):`);
console.log(formatList(allRois));
console.log();
for (const cat of ROI_CATEGORIES) {
  const rois = await getRois(SUBJECT, { category: cat });
  console.log(`${cat}: ${formatList(rois)}`);
}

// ## Bucket diagnostic listing
// Top-level prefixes plus a count of subject folders under each derivative
// tree: useful when discovery returns surprises.
console.log(await inspectPromise);

// ## Bundled train/test splits (no download required)
// Predefined partitions of the stimulus set, to compare against the
// published baselines without re-running any clustering or sampling.
console.log(`Pools:     ${formatList(listPools())}`);
console.log(`Splits:    ${formatList(listSplits())}`);
console.log(`OOD types: ${formatList(listOodTypes())}`);

// ## Inspect one split
// loadSplit gives the split's sizes and family; getTrainTestIds gives the
// id lists in one call.
const split = await loadSplit("random_0", { pool: "shared" });
console.log(`Split:    ${split.name}`);
console.log(`Pool:     ${split.pool}`);
console.log(`Family:   ${split.splitFamily}`);
console.log(`n_train:  ${split.nTrain}`);
console.log(`n_test:   ${split.nTest}`);
const [trainIds, testIds] = await getTrainTestIds("random_0", { pool: "shared" });
console.log(`Loaded:   ${trainIds.length} train / ${testIds.length} test ids`);

// ## OOD splits with a type filter
// The ood split holds out stimuli by category; `oodTypes` keeps only the
// chosen categories in the test set.
const [, testShape] = await getTrainTestIds("ood", { pool: "shared", oodTypes: ["shape"] });
console.log(`OOD shape only:  test ids = ${testShape.length}`);

// ## Per-subject queries that need local data
// The Subject API reads downloaded files, so this block stays commented out
// to keep the tour offline. Copy the lines you need after downloading.
//
// import { download, loadSubject } from "jsr:@laion/fmri";
// // one session for one subject (~few hundred MB):
// await download({ subject: "sub-01", ses: "ses-01", acceptLicense: true });
// const sub = await loadSubject("sub-01");
// // Sessions present on disk
// console.log(sub.getSessions()); // ["ses-01", ...]
// // Trial info: runs, repetitions, stimulus labels
// const trials = await sub.getTrialInfo({ session: "ses-01" });
// // columns: session, run, beta_index, label
// console.log(trials.columns);
// console.log(trials.getColumn("run").unique()); // runs in this session
// console.log(trials.height); // trial count
// // Single-trial betas with the multi-level ROI grammar
// const betasOne = await sub.getBetas({ session: "ses-01", roi: "FFA1" });
// const betasFace = await sub.getBetas({ session: "ses-01", roi: "face" });
// const betasAll = await sub.getBetas({ session: "ses-01", roi: "all" });
// // Multi-format ROI loading
// const roi = await sub.getRoiData("FFA1", { format: "all", hemi: "all" });
// // roi.FFA1 is a nested object:
// // {
// //   volume: <Uint8Array over brain voxels>,
// //   gii: { "hemi-L": { "func.gii": ..., label: ... },
// //          "hemi-R": { ... } },
// // }

// ## Cross-subject discovery
// The same questions for every subject; ROI counts differ across subjects.
const subjects = await subjectsPromise;
const faceBySubject = await Promise.all(await roiPromises);
const totals = await Promise.all(subjects.map((s) => getRois(s)));
subjects.forEach((s, i) => {
  // Python's `{n_total:>3}`: the count right-aligned in three columns.
  console.log(
    `  ${s}: ${String(totals[i].length).padStart(3)} ROIs total, ${faceBySubject[i].length} face`,
  );
});

// ## Stimulus metadata (forward-compat)
// The stimuli/ prefix is reserved for the stimulus images and their
// metadata table; it is not populated yet. Once it is:
//
// await download({ subject: "sub-01", includeStimuli: true, acceptLicense: true });
// const sub = await loadSubject("sub-01");
// if (await sub.hasStimuli()) {
//   const stim = await sub.getStimulusMetadata();
//   console.log(stim.head());
//   console.log(`Total stimuli: ${stim.height}`);
//   console.log(`Shared: ${stim.getColumn("shared").sum()}`);
//   console.log(`Categories: ${stim.getColumn("category").valueCounts()}`);
// }

if (values.stats) {
  const s = getRequestStats();
  console.error(
    `tour: ${(performance.now() - started).toFixed(0)} ms, S3 requests: ` +
      `${s.list} list, ${s.head} head, ${s.get} get, ${s.retries} retries`,
  );
}
