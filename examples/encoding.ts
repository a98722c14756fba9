/**
 * Upstream's newest encoding-model tutorial (`get-to-know-a-dataset.ipynb`,
 * ViCCo-Group/LAION-fMRI @ cee12e4) step by step through our API:
 *
 * 1. the bucket: participants and face-selective ROIs;
 * 3. one session's GLMsingle R² map with its JSON sidecar (`Units`), the
 *    anatomy on the same grid, and the trial tables of every session;
 * 4. the R² map on the T1w and the histogram of its finite in-brain values;
 * 5. FFA1's single-trial betas of every session read by HTTP range from the
 *    GLMsingle model files, the repeats of the shared natural (non-OOD)
 *    images averaged, CLIP features by image name, the alternating split,
 *    voxels with a training-image repeat reliability above 0.2, CLIP
 *    standardized with the training images' mean and std, a ridge with each
 *    voxel's alpha from [0.1 … 100000] chosen by efficient leave-one-out
 *    predictions scored by their correlation (sklearn's `RidgeCV(…,
 *    alpha_per_target=True, scoring=make_scorer(correlation_score))`), the
 *    median held-out voxel r, the r of the mean ROI response, measured and
 *    predicted responses as heatmaps, and wRSA (Pearson r between the
 *    correlation-distance RDMs) with the RDMs.
 *
 * Real dataset (bucket `laion-fmri` in us-west-2, the real access service):
 *   deno task encoding
 * Offline, against the local S3 and access service the task starts and seeds:
 *   deno task encoding:offline
 * The bucket, endpoint and access service come from `LAION_FMRI_BUCKET`,
 * `LAION_FMRI_S3_ENDPOINT` and `LAION_FMRI_ACCESS_URL` (unset: the real ones).
 * The first download asks you to acknowledge the CC0 license (or pass
 * `--accept-license`); the stimulus images need an access request
 * (`$LAION_FMRI_REQUEST_ID`, the request-id cache of `laion-fmri
 * request-access`, or the form asked in the terminal; `--no-images` skips them).
 * Pictures go to `laion_fmri_encoding/pictures/`; `--dump problem.json`
 * writes the matrices and numbers of the run (tests/reference/tutorial_ref.py
 * recomputes them with scikit-learn).
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  datasetInitialize,
  download,
  downloadCaptions,
  downloadEmbeddings,
  downloadStimuli,
  getRois,
  getSubjects,
  getSubjectSessions,
  inspectBucket,
  loadCaptions,
  loadEmbeddings,
  loadStimuli,
  loadSubject,
} from "@laion/fmri";
import {
  applyStats,
  averageRepeats,
  correlationRdm,
  fitEncodingModel,
  matrix,
  TUTORIAL_ALPHAS,
} from "@laion/fmri/analysis";
import {
  plotHeatmap,
  plotHistogram,
  plotImages,
  plotStatMap,
  plotVoxelValues,
} from "@laion/fmri/plot";
import { getSource } from "@laion/fmri/bucket";
import { readNiftiVolume } from "@laion/fmri/formats";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: "laion_fmri_encoding" },
    subject: { type: "string", default: "sub-01" },
    session: { type: "string", default: "ses-01" },
    roi: { type: "string", default: "FFA1" },
    "accept-license": { type: "boolean", default: false },
    dump: { type: "string" },
    "no-images": { type: "boolean", default: false },
  },
});
const SUBJECT = values.subject!, SESSION = values.session!, ROI = values.roi!;
// The ROI as the bucket spells it in file names ("FFA1" -> "FFA-1"), as upstream prints it.
const ROI_LABEL = ROI.replace(/^([A-Za-z]+)(\d)$/, "$1-$2");
const dataDir = resolve(values.out!);
const pictures = join(dataDir, "pictures");
await Deno.mkdir(pictures, { recursive: true });
await datasetInitialize(dataDir, { persist: false });
// Without --accept-license the first download asks in the terminal (and refuses without one).
const acceptLicense = values["accept-license"] ? true : undefined;
const fmt3 = (v: number) => v.toFixed(3);
const thousands = (n: number) => n.toLocaleString("en-US");
const lines: string[] = []; // the printed results, for --dump
const say = (line: string) => (lines.push(line), console.log(line));

// ## 1. Dataset organization
await inspectBucket();
const subjects = await getSubjects();
console.log(`Participants: ${subjects.join(", ")}`);
console.log(
  `Face-selective ROIs: ${(await getRois({ subject: SUBJECT, category: "face" })).join(", ")}`,
);
if (!subjects.includes(SUBJECT)) throw new RangeError(`${SUBJECT} is not in the bucket`);
// Which world is this? The bucket's own description says whether it is the synthetic one.
const description = await new Response((await getSource().get("dataset_description.json")).body)
  .json();
const synthetic = (description.GeneratedBy ?? []).find((g: { Name?: string }) =>
  /synthetic/i.test(g.Name ?? "")
);
console.log(
  `Dataset: ${description.Name}` + (synthetic ? ` — ${synthetic.Description ?? ""}` : ""),
);

// ## 3. Download and load the data
// The R² map of one session with its sidecar and the anatomy on the same grid,
// and the trial tables of every public session.
const sessions = (await getSubjectSessions(SUBJECT)).public;
await download({
  subject: SUBJECT,
  session: SESSION,
  desc: "R2",
  extension: ["nii.gz", "json"],
  includeAnatomical: true,
  acceptLicense,
  quiet: true,
});
await download({
  subject: SUBJECT,
  session: sessions,
  suffix: "trials",
  extension: "tsv",
  acceptLicense,
  quiet: true,
});
const sub = await loadSubject(SUBJECT, { dataDir, betasSource: "remote" });
console.log(`Local sessions: ${(await sub.getSessions()).join(", ")}`);

const trialTable = await sub.getTrialInfo({ session: SESSION });
const t1wFile = await sub.getT1w({ res: "1pt8" });
const maskFile = await sub.getAnatomicalBrainMask({ res: "1pt8" });
const funcDir = join(dataDir, "derivatives", "glmsingle-tedana", SUBJECT, SESSION, "func");
const r2Stem = `${SUBJECT}_${SESSION}_task-images_space-T1w_stat-rsquare_desc-R2_statmap`;
const r2Path = join(funcDir, `${r2Stem}.nii.gz`), r2SidecarPath = join(funcDir, `${r2Stem}.json`);
const r2 = await readNiftiVolume(r2Path);
const r2Units = JSON.parse(await Deno.readTextFile(r2SidecarPath)).Units;
const t1w = await t1wFile.load();
const brainMask = await maskFile.load();
if (
  r2.shape.join() !== t1w.shape.join() || r2.shape.join() !== brainMask.shape.join()
) {
  throw new RangeError(
    `R² (${r2.shape}), T1w (${t1w.shape}) and brain mask (${brainMask.shape}) grids differ`,
  );
}
const trialLabels = trialTable.getColumn("label").toArray() as string[];
say(`Volume shape: (${r2.shape.join(", ")})`);
say(
  `Voxel size (mm): (${
    r2.header.pixdim.slice(0, 3).map((v) => String(Number(v.toPrecision(6)))).join(", ")
  })`,
);
say(`R² units: ${r2Units}`);
say(
  `${thousands(trialLabels.length)} trials; ${
    thousands(new Set(trialLabels).size)
  } distinct labels`,
);
console.log(`${trialTable.head(5)}`);

// ## 4. Plot the brain data: R² above 10 within the anatomical brain mask
const inBrain: number[] = [];
const r2Display = new Float32Array(r2.data.length);
r2.data.forEach((v, i) => {
  if (brainMask.data[i] > 0 && Number.isFinite(v)) inBrain.push(v), r2Display[i] = v;
});
const sortedR2 = Float64Array.from(inBrain).sort();
const r2Median = sortedR2.length % 2
  ? sortedR2[sortedR2.length >> 1]
  : (sortedR2[sortedR2.length / 2 - 1] + sortedR2[sortedR2.length / 2]) / 2;
say(
  `R² within the brain mask: ${thousands(inBrain.length)} finite voxels, ` +
    `${thousands(inBrain.filter((v) => v > 10).length)} above 10, median ${fmt3(r2Median)}`,
);
await plotStatMap({
  anatomy: t1w.data,
  dims: t1w.shape,
  affine: t1w.header.affine,
  overlay: r2Display,
}, {
  displayMode: "z",
  cuts: 3,
  colormap: "viridis",
  vmin: 0,
  vmax: 100,
  threshold: 10,
  title: `${SUBJECT} / ${SESSION}: GLMsingle R² (%)`,
  label: "R² (%)",
}).save(join(pictures, "r2_map.png"));
await plotHistogram(inBrain, {
  bins: 60,
  title: `${SUBJECT} / ${SESSION}: finite R² values within the brain mask`,
  xLabel: "GLMsingle R² (%)",
  yLabel: "Voxels",
}).save(join(pictures, "r2_histogram.png"));

// ## 5. A model of the fusiform face area
// The ROI's rows of every session's `…_desc-GLMsingle_model.h5`, read by HTTP
// range (the rows hold every trial of a voxel, so all trials come along).
await downloadEmbeddings({ models: ["CLIP"], dataDir, acceptLicense, quiet: true });
const roiVoxels = (await sub.getRoiMask(ROI, { maskSource: "anatomical" })).reduce(
  (a, b) => a + b,
  0,
);
console.log(`${ROI}: ${roiVoxels} voxels on the anatomical brain mask's voxel axis`);
const betas = (await sub.getRoiBetaMatrices({ sessions, rois: [ROI], maskSource: "anatomical" }))
  .get(ROI)!;
const labels = betas.trials.getColumn("label").toArray() as string[];
const nVoxels = betas.shape[1];
say(
  `Loaded ${thousands(labels.length)} trials × ${nVoxels} ${ROI_LABEL} voxels across ` +
    `${sessions.length} sessions`,
);

// Average the repeats of the shared natural images (not `shared_4rep_OOD_`).
const natural = labels.flatMap((l, t) =>
  l.startsWith("shared_") && !l.startsWith("shared_4rep_OOD_") ? [t] : []
);
const trials = matrix(natural.length, nVoxels);
natural.forEach((t, r) => trials.data.set(betas.row(t), r * nVoxels));
const averages = averageRepeats(trials, natural.map((t) => labels[t]), { minRepeats: 1 });
const emb = await loadEmbeddings({ models: ["CLIP"], dataDir });
const clip = emb.get("CLIP", averages.images);
emb.close();
const features = matrix(clip.rows, clip.cols, clip.data);
say(`Aligned data: ${averages.images.length} images, ${features.cols} features`);
const perCount = new Map<number, number>();
for (const c of averages.counts) perCount.set(c, (perCount.get(c) ?? 0) + 1);
say(
  `Presentations per image: ${
    [...perCount].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k} → ${n} images`).join(", ")
  }`,
);

// Split, reliable voxels, standardized CLIP, ridge with per-voxel alpha, evaluation.
const fit = await fitEncodingModel(averages, features);
say(`Excluded test images with missing responses: ${fit.excludedTestImages.length}`);
say(
  `Train: ${fit.split.train.length} images; test: ${fit.testImages.length} images; ` +
    `reliable voxels: ${fit.voxels.length}`,
);
const chosen = new Map<number, number>();
for (const a of fit.ridge.bestAlpha) chosen.set(a, (chosen.get(a) ?? 0) + 1);
say(
  `Alphas chosen (leave-one-out correlation): ${
    [...chosen].sort((a, b) => a[0] - b[0]).map(([a, n]) => `${a} ×${n}`).join(", ")
  }`,
);
say(`Median held-out voxel correlation: ${fmt3(fit.medianR)}`);
say(`Correlation of mean ${ROI_LABEL.split("-")[0]} responses: ${fmt3(fit.meanResponseR)}`);
console.log(`(linear algebra: ${fit.ridge.backend})`);

// Measured and predicted responses in training standard deviations; 80 images
// evenly spaced in the order of their predicted mean response.
const measuredZ = applyStats(fit.measured, fit.responseStats);
const predictedZ = applyStats(fit.ridge.prediction, fit.responseStats);
const rowMean = (m: typeof measuredZ, r: number) =>
  m.data.subarray(r * m.cols, (r + 1) * m.cols).reduce((a, b) => a + b, 0) / m.cols;
const byPrediction = Array.from({ length: predictedZ.rows }, (_, r) => r)
  .sort((a, b) => rowMean(predictedZ, a) - rowMean(predictedZ, b));
const nShown = Math.min(80, byPrediction.length);
const shown = Array.from(
  { length: nShown },
  (_, k) => byPrediction[Math.floor((k * (byPrediction.length - 1)) / Math.max(1, nShown - 1))],
);
const voxelsByImages = (m: typeof measuredZ) => ({
  rows: m.cols,
  cols: shown.length,
  data: Float64Array.from(
    { length: m.cols * shown.length },
    (_, i) => m.data[shown[i % shown.length] * m.cols + Math.floor(i / shown.length)],
  ),
});
await plotHeatmap([
  { ...voxelsByImages(measuredZ), title: `Measured ${ROI_LABEL} responses` },
  { ...voxelsByImages(predictedZ), title: `Predicted ${ROI_LABEL} responses` },
], {
  colormap: "coolwarm",
  vmin: -2,
  vmax: 2,
  xLabel: "Held-out images",
  yLabel: `${ROI_LABEL} voxels`,
  label: "Response (training SDs)",
}).save(join(pictures, "responses_heatmap.png"));
// The picture appends the median and the count to the title.
const rHistogram = plotHistogram(fit.voxelR, {
  title: "Prediction accuracy per voxel",
  xLabel: "Held-out Pearson r",
  yLabel: "Voxels",
  range: [-1, 1],
  bins: 30,
});
await rHistogram.save(join(pictures, "voxel_r_histogram.png"));
console.log(`Histogram: ${rHistogram.caption}`);

// wRSA on the betas in their own units.
say(`CLIP → ${ROI_LABEL}, ${SUBJECT}, shared natural images: wRSA = ${fmt3(fit.wrsa)}`);
const measuredRdm = correlationRdm(fit.measured),
  predictedRdm = correlationRdm(fit.ridge.prediction);
const n = fit.measured.rows;
const square = (rdm: Float64Array, order: number[]) => {
  const full = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) full[i * n + j] = full[j * n + i] = rdm[k++];
  }
  return Float64Array.from(
    { length: n * n },
    (_, q) => full[order[Math.floor(q / n)] * n + order[q % n]],
  );
};
// (reduce, not Math.max(...): an RDM of 500 images has 124,750 entries)
const colorMax = [...measuredRdm, ...predictedRdm].reduce((a, b) => Math.max(a, b), 0);
await plotHeatmap([
  {
    rows: n,
    cols: n,
    data: square(measuredRdm, byPrediction),
    title: "Measured pattern dissimilarity",
  },
  {
    rows: n,
    cols: n,
    data: square(predictedRdm, byPrediction),
    title: "Predicted pattern dissimilarity",
  },
], {
  colormap: "viridis",
  vmin: 0,
  vmax: colorMax,
  gamma: 0.5,
  title: "Held-out images ordered by their predicted mean response",
  xLabel: "Held-out images",
  label: "Dissimilarity (1 − Pearson r)",
}).save(join(pictures, "rdms.png"));
// Measured against predicted dissimilarity, as a 2-D histogram (log counts).
// About 2 image pairs per bin along each axis, 8 to 45 bins (upstream: hexbin, gridsize 45).
const bins = Math.max(8, Math.min(45, Math.round(Math.sqrt(measuredRdm.length) / 2)));
const lo = [...measuredRdm, ...predictedRdm].reduce((a, b) => Math.min(a, b), Infinity);
const cell = (v: number) =>
  Math.min(bins - 1, Math.floor(((v - lo) / (colorMax - lo || 1)) * bins));
const density = new Float64Array(bins * bins).fill(NaN);
measuredRdm.forEach((m, k) => {
  const i = (bins - 1 - cell(predictedRdm[k])) * bins + cell(m);
  density[i] = (Number.isNaN(density[i]) ? 0 : density[i]) + 1;
});
await plotHeatmap([{
  rows: bins,
  cols: bins,
  data: density.map((c) => Math.log10(c)),
  title: `wRSA = ${fmt3(fit.wrsa)}`,
}], {
  colormap: "viridis",
  xLabel: `Measured dissimilarity (${lo.toFixed(2)}–${colorMax.toFixed(2)})`,
  yLabel: "Predicted dissimilarity",
  label: "log10 image pairs",
}).save(join(pictures, "rdm_agreement.png"));

// Where the model predicts: voxel r on the T1w, the ROI outlined.
const rValues = new Float64Array(nVoxels).fill(NaN); // NaN: not a reliable voxel
fit.voxels.forEach((v, c) => (rValues[v] = fit.voxelR[c]));
await (await plotVoxelValues(sub, rValues, {
  roi: ROI,
  title: `${SUBJECT} ${ROI}: held-out voxel r`,
  label: "r",
  colormap: "hot",
  vmin: 0,
})).save(join(pictures, "voxel_r_map.png"));

if (synthetic) {
  console.log(
    `Planted (synthetic bucket, scripts/synth/encoding.ts): ${ROI_LABEL} betas of shared natural ` +
      "images = offset + a·(w·CLIP) + uniform noise (std √3), per-voxel SNR log-uniform on " +
      "[0.1, 3]; the reliable voxels are the planted high-SNR ones, so r and wRSA are > 0 " +
      "by construction.",
  );
}

if (values.dump) {
  const rows = (m: { rows: number; cols: number; data: ArrayLike<number> }) =>
    Array.from(
      { length: m.rows },
      (_, i) => Array.from({ length: m.cols }, (_, j) => m.data[i * m.cols + j]),
    );
  await Deno.writeTextFile(
    values.dump,
    JSON.stringify({
      subject: SUBJECT,
      roi: ROI,
      sessions,
      betas: rows({ rows: betas.shape[0], cols: nVoxels, data: betas.values }),
      labels,
      voxelBrainIndex: Array.from(betas.brainIndex), // on the anatomical mask's axis
      featureImages: averages.images,
      features: rows(features),
      alphas: TUTORIAL_ALPHAS,
      threshold: 0.2,
      r2: {
        statmap: r2Path,
        sidecar: r2SidecarPath,
        brainMask: maskFile.path,
        t1w: t1wFile.path,
        trials: join(funcDir, `${SUBJECT}_${SESSION}_task-images_desc-SingletrialBetas_trials.tsv`),
      },
      result: {
        lines,
        voxels: fit.voxels,
        reliability: Array.from(fit.reliability, (v) => (Number.isNaN(v) ? null : v)),
        bestAlpha: Array.from(fit.ridge.bestAlpha),
        voxelR: Array.from(fit.voxelR),
        medianR: fit.medianR,
        meanResponseR: fit.meanResponseR,
        wrsa: fit.wrsa,
        nTrain: fit.split.train.length,
        nTest: fit.testImages.length,
        r2: { finiteInBrain: inBrain.length, median: r2Median },
      },
    }),
  );
}

// The images are gated: the access service's presigned URLs for your request.
if (!values["no-images"]) {
  await downloadStimuli({ dataDir, quiet: true });
  await downloadCaptions({ dataDir, acceptLicense, quiet: true });
  const stim = await loadStimuli({ dataDir });
  const captions = await loadCaptions({ dataDir });
  const cells = [];
  for (const r of fit.testImages.slice(0, 6)) {
    const name = averages.images[r];
    const img = await stim.images.get(name);
    const caption = captions.human(name, { limit: 1 })[0] ?? name;
    cells.push({ rgb: img.data, width: img.width, height: img.height, label: caption });
  }
  stim.close();
  await plotImages(cells, { columns: 3, title: "Held-out images and a human caption" })
    .save(join(pictures, "test_images.png"));
}
console.log(`Pictures in ${pictures}`);
