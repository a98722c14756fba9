/**
 * Upstream's encoding-model tutorial (`get-to-know-a-dataset.ipynb`) through
 * our API: FFA1's single-trial betas of every session read by HTTP range
 * from the GLMsingle model files (nothing downloaded but small files), the
 * repeats of the shared non-OOD images averaged, CLIP features looked up by
 * image name, an alternating image split, voxels with split-half
 * reliability > 0.2, a standardized ridge with a per-voxel alpha (chosen by
 * leave-one-out on the training images), and the median voxel r and wRSA on
 * the test images, with pictures.
 *
 * Offline, against the local S3 (and access service) the task starts:
 *   deno task encoding
 * Pictures go to `laion_fmri_encoding/pictures/`; `--dump problem.json`
 * writes the matrices the fit saw (for the numpy reference in the tests).
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  averageRepeats,
  configureBucket,
  downloadCaptions,
  downloadEmbeddings,
  downloadStimuli,
  fitEncodingModel,
  histogramPlot,
  imageGrid,
  loadCaptions,
  loadEmbeddings,
  loadStimuli,
  loadSubject,
  matrix,
  median,
  plotVoxelValues,
  scatterPlot,
  TUTORIAL_ALPHAS,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    endpoint: { type: "string" },
    bucket: { type: "string" },
    out: { type: "string", default: "laion_fmri_encoding" },
    subject: { type: "string", default: "sub-01" },
    roi: { type: "string", default: "FFA1" },
    dump: { type: "string" },
    "no-images": { type: "boolean", default: false },
  },
});
configureBucket({ endpoint: values.endpoint, bucket: values.bucket });
const dataDir = resolve(values.out!);
const pictures = join(dataDir, "pictures");
await Deno.mkdir(pictures, { recursive: true });
const ROI = values.roi!;
const timings: [string, number][] = [];
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    timings.push([step, performance.now() - t0]);
  }
}

// ## 1. FFA1's betas of every session, straight from the bucket
// `betasSource: "remote"` reads only the ROI's rows of each session's
// `…_desc-GLMsingle_model.h5` by HTTP range; the brain mask, ROI masks and
// trial tables it needs are fetched into the data dir on demand.
const sub = await loadSubject(values.subject!, { dataDir, betasSource: "remote" });
const sessions = await sub.getSessions();
const betas = await timed(
  "remote reads",
  async () =>
    (await sub.getRoiBetaMatrices({ sessions, rois: [ROI], stimuli: "shared" })).get(ROI)!,
);
const labels = betas.trials.getColumn("label").toArray() as string[];
const regular = labels.flatMap((l, t) => (l.includes("_OOD_") ? [] : [t]));
const nVoxels = betas.shape[1];
const trials = matrix(regular.length, nVoxels);
regular.forEach((t, r) => trials.data.set(betas.row(t), r * nVoxels));
const averages = averageRepeats(trials, regular.map((t) => labels[t]));
console.log(
  `${ROI}: ${nVoxels} voxels; ${sessions.length} sessions; ${regular.length} trials of ` +
    `${averages.images.length} shared non-OOD images (repeats ${Math.min(...averages.counts)}-` +
    `${Math.max(...averages.counts)})`,
);

// ## 2. CLIP features of those images (looked up by name, not by row order)
await downloadEmbeddings({ models: ["CLIP"], dataDir, acceptLicense: true, quiet: true });
const features = await timed("embedding lookup", async () => {
  const emb = await loadEmbeddings({ models: ["CLIP"], dataDir });
  try {
    const got = emb.get("CLIP", averages.images);
    return matrix(got.rows, got.cols, got.data);
  } finally {
    emb.close();
  }
});
console.log(`CLIP: ${features.rows} x ${features.cols}`);

// ## 3. Reliable voxels, alternating split, standardized ridge, per-voxel alpha
const fit = await timed("fit", () => fitEncodingModel(averages, features));
const chosen = new Map<number, number>();
for (const a of fit.ridge.bestAlpha) chosen.set(a, (chosen.get(a) ?? 0) + 1);
console.log(
  `Split: ${fit.split.train.length} train / ${fit.split.test.length} test images; ` +
    `reliable voxels (split-half r > 0.2): ${fit.voxels.length} of ${nVoxels} ` +
    `(median reliability ${median(fit.reliability).toFixed(3)})`,
);
console.log(
  `Alphas chosen: ${
    [...chosen].sort((a, b) => a[0] - b[0]).map(([a, n]) => `${a.toPrecision(3)} x${n}`).join(
      ", ",
    )
  } (${fit.ridge.backend})`,
);
console.log(`Median voxel r: ${fit.medianR.toFixed(3)}   wRSA: ${fit.wrsa.toFixed(3)}`);

if (values.dump) {
  const rows = (m: { rows: number; cols: number; data: Float64Array }) =>
    Array.from(
      { length: m.rows },
      (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)),
    );
  await Deno.writeTextFile(
    values.dump,
    JSON.stringify({
      trials: rows(trials),
      images: regular.map((t) => labels[t]),
      features: rows(features),
      alphas: TUTORIAL_ALPHAS,
      threshold: 0.2,
      result: {
        voxels: fit.voxels,
        reliability: Array.from(fit.reliability),
        bestAlpha: Array.from(fit.ridge.bestAlpha),
        voxelR: Array.from(fit.voxelR),
        medianR: fit.medianR,
        wrsa: fit.wrsa,
      },
    }),
  );
}

// ## 4. Pictures
await timed("pictures", async () => {
  // Voxel r on the T1w at the beta grid, FFA1 outlined (NaN: not a reliable voxel).
  const rValues = new Float64Array(nVoxels).fill(NaN);
  fit.voxels.forEach((v, c) => (rValues[v] = fit.voxelR[c]));
  const map = await plotVoxelValues(sub, rValues, {
    roi: ROI,
    title: `${values.subject} ${ROI}: voxel r (test images)`,
    label: "r",
    colormap: "hot",
    vmin: 0,
    vmax: 1,
  });
  await map.save(join(pictures, "voxel_r_map.png"));

  const best = fit.voxelR.indexOf(Math.max(...fit.voxelR));
  const col = (m: typeof fit.measured) =>
    Array.from({ length: m.rows }, (_, r) => m.data[r * m.cols + best]);
  const scatter = await scatterPlot(col(fit.measured), col(fit.ridge.prediction), {
    title: "Best voxel (test images)",
    xLabel: "measured (z)",
    yLabel: "predicted (z)",
    identity: true,
  });
  await scatter.save(join(pictures, "predicted_vs_measured.png"));

  const hist = await histogramPlot(fit.voxelR, {
    title: `Voxel r, median ${fit.medianR.toFixed(3)}`,
    xLabel: "r (test images)",
    range: [-1, 1],
    bins: 20,
  });
  await hist.save(join(pictures, "voxel_r_histogram.png"));
});

// The images (gated: the access service's presigned URLs) with a human caption.
if (!values["no-images"]) {
  await timed("stimulus images", async () => {
    await downloadStimuli({
      dataDir,
      quiet: true,
      // The tutorial keeps its request id with its data (the default is ~/.cache/laion-fmri).
      authFile: join(dataDir, "auth.json"),
      form: {
        name: "Encoding tutorial",
        email: "tutorial@example.org",
        institution: "LAION-fMRI for Deno",
        piOrSupervisor: "",
        researchPurpose: "Running the encoding-model tutorial offline against a local service.",
        acceptTerms: true,
      },
    });
    await downloadCaptions({ dataDir, acceptLicense: true, quiet: true });
    const stim = await loadStimuli({ dataDir });
    const captions = await loadCaptions({ dataDir });
    const names = fit.split.test.slice(0, 6).map((r) => averages.images[r]);
    const cells = await Promise.all(names.map(async (name) => {
      const img = await stim.images.get(name);
      const caption = captions.human(name, { limit: 1 })[0] ?? name;
      return { rgb: img.data, width: img.width, height: img.height, label: caption };
    }));
    const grid = await imageGrid(cells, { columns: 3, title: "Test images and a human caption" });
    await grid.save(join(pictures, "test_images.png"));
    stim.close();
  });
}

console.log("\nBreakdown:");
for (const [step, ms] of timings) {
  console.log(`  ${step.padEnd(18)} ${ms.toFixed(0).padStart(7)} ms`);
}
console.log(`Pictures in ${pictures}`);
