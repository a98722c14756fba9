/**
 * Deterministic, seeded generator of a synthetic LAION-fMRI bucket.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-env [--allow-ffi] scripts/generate.ts \
 *   --size small|realistic --out DIR [--layout seed|current] [--seed 1] \
 *   [--splits-dir PATH] [--subjects sub-01,sub-03] [--sessions ses-01,ses-31] \
 *   [--only stimuli]
 * ```
 *
 * The current layout also writes `stimuli/` (metadata, embeddings, captions,
 * segmentations and the gated image file, whose JPEGs sharp encodes: that
 * needs `--allow-ffi`) with its truth in `ground-truth/stimuli.json`.
 * `--only stimuli` writes just those files (same bytes) into `DIR/bucket/stimuli/`.
 * `--only templateflow` writes the synthetic `templateflow` bucket (fsaverage
 * icospheres, an MNI305 T1w; scripts/synth/templateflow.ts) into `DIR/bucket/`.
 * Every layout plants a known encoding signal in each subject's FFA-1 betas
 * (scripts/synth/encoding.ts), described in `ground-truth/encoding.json`.
 * The current layout also writes the per-session R² maps (percent, highest at
 * the planted voxels) with the R², trials and GLMsingle-model sidecars; its
 * `res-1pt8` anatomical brain mask is a strict superset of the R2mean mask
 * (small profile: a few rim voxels), and its small profile has a larger trial
 * plan (more trials, 80 shared images) than the seed layout's.
 *
 * Writes `DIR/bucket/<key>` (keys as in `s3://laion-fmri`, ROI labels with
 * hyphens) and `DIR/ground-truth/{ground-truth,manifest}.json`. `--layout
 * seed` (default) is the seed's snapshot of the bucket; `current` adds what
 * the bucket holds now (anatomical, FreeSurfer, localizers, tedana, raw
 * BIDS, `res-1pt5` ROIs, GLMsingle model `.h5`). The splits
 * folder defaults to `LAION_FMRI_SPLITS_DIR`; without one, made-up ids of
 * the real patterns are used as trial labels.
 * @module
 */
import { parseArgs } from "node:util";
import { generateDataset, SYNTH_LAYOUTS, type SynthLayout } from "./synth/dataset.ts";
import { SYNTH_SIZES, type SynthSize } from "./synth/geometry.ts";
import { generateStimuli } from "./synth/stimuli_only.ts";
import { writeTemplateflow } from "./synth/templateflow.ts";
export {
  fibonacciDirection,
  PLANTED_VALUE,
  type PlantedTruth,
  RECON_SURFACES,
  reconGeometry,
  type ReconTruth,
  reconTruth,
  reconVertices,
  sphereTriangles,
  talairachMatrix,
} from "./synth/recon.ts";

export {
  generateDataset,
  type GeneratedDataset,
  type GenerateOptions,
  SUBJECT_NC_DESCS,
  SYNTH_LAYOUTS,
  synthKeys,
  type SynthLayout,
} from "./synth/dataset.ts";
export type {
  GroundTruth,
  ManifestEntry,
  RoiTruth,
  SampledBeta,
  SessionTruth,
  SubjectTruth,
} from "./synth/truth.ts";
export {
  ANATOMICAL_SESSION,
  currentKeys,
  FREESURFER_SURFACES,
  FREESURFER_VOLUMES,
  LOCALIZER_SPACES,
  type LocalizerMap,
  localizerMaps,
} from "./synth/current_keys.ts";
export type { CurrentSubjectTruth, CurrentTruth } from "./synth/current_layout.ts";
export { anatomicalVolume, grids, localizerValue, localizerVolume } from "./synth/anatomy.ts";
export {
  type AnatomicalAxis,
  anatomicalAxis,
  brainGeometry,
  gridAffine,
  roiGeometry,
  sizeConfig,
  SIZES,
  surfaceSize,
  surfaceVertex,
  SYNTH_SIZES,
  type SynthSize,
} from "./synth/geometry.ts";
export { flatRois, ROI_INVENTORY, type RoiEntry, SYNTH_SUBJECTS } from "./synth/inventory.ts";
export {
  betaDatatype,
  betaRowProducer,
  expectedBeta,
  expectedNoiseCeiling,
  expectedR2mean,
  INT16_SCALING,
  INT16_SUBJECT,
} from "./synth/values.ts";
export { addStimuliLayout, stimuliKeys, type StimuliTruth } from "./synth/stimuli_layout.ts";
export { type GeneratedStimuli, generateStimuli } from "./synth/stimuli_only.ts";
export { csvField, familyOf, isOod, stimulusSet } from "./synth/stimuli_set.ts";
export {
  EMBEDDING_LATENT_SHARE,
  EMBEDDING_LATENTS,
  EMBEDDING_MODELS,
  embeddingBasis,
  embeddingVector,
} from "./synth/stimuli_embeddings.ts";
export {
  expectedSessionR2,
  glmModelSidecar,
  SESSION_R2_RULE,
  sessionR2Sidecar,
  trialsSidecar,
} from "./synth/session_r2.ts";
export {
  embeddingVariance,
  ENCODING_ROI,
  encodingSignal,
  type EncodingTruth,
  type EncodingVoxel,
  encodingVoxels,
  isPlantedLabel,
  normals,
  SNR_RANGE,
  splitHalfReliability,
} from "./synth/encoding.ts";
export { imagePixels, knownPixelImage } from "./synth/stimuli_images.ts";
export { captionCounts } from "./synth/stimuli_captions.ts";
export {
  loadStimulusPools,
  OOD_TYPES,
  sessionPlan,
  subjectTrials,
  syntheticPools,
  trialsTsv,
} from "./synth/trials.ts";
export {
  FSAVERAGE_LEVELS,
  FSAVERAGE_SURFACES,
  fsaverageCoordinates,
  type FsaverageDen,
  icosphere,
  MNI305_AFFINE,
  MNI305_DIMS,
  MNI305_HEAD,
  templateflowKeys,
  type TemplateflowTruth,
  writeTemplateflow,
} from "./synth/templateflow.ts";

const USAGE =
  `Usage: deno run --allow-read --allow-write --allow-env [--allow-ffi] scripts/generate.ts \\
  --size small|realistic --out DIR [--layout seed|current] [--seed 1] \\
  [--splits-dir PATH] [--subjects sub-01,...] [--sessions ses-01,...] [--only stimuli|templateflow] [--quiet]`;

/**
 * CLI entry point; returns the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./generate.ts";
 * await main(["--size", "small", "--out", "/tmp/laion-synth-small"]);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: "string", default: "small" },
        layout: { type: "string", default: "seed" },
        out: { type: "string" },
        seed: { type: "string", default: "1" },
        "splits-dir": { type: "string" },
        subjects: { type: "string" },
        sessions: { type: "string" },
        only: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.out) {
    console.error(`--out is required\n${USAGE}`);
    return 2;
  }
  if (!SYNTH_SIZES.includes(values.size as SynthSize)) {
    console.error(
      `Unknown --size ${JSON.stringify(values.size)}. Valid: ${SYNTH_SIZES.join(", ")}`,
    );
    return 2;
  }
  if (!SYNTH_LAYOUTS.includes(values.layout as SynthLayout)) {
    console.error(
      `Unknown --layout ${JSON.stringify(values.layout)}. Valid: ${SYNTH_LAYOUTS.join(", ")}`,
    );
    return 2;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
    return 2;
  }
  if (values.only !== undefined) {
    if (values.only === "templateflow") {
      const t0 = performance.now();
      const t = await writeTemplateflow(values.out);
      console.log(
        `${Object.keys(t.surfaces).length + 3} templateflow objects, ` +
          `${(t.bytes / 1e6).toFixed(1)} MB in ${values.out}/bucket; ` +
          `${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return 0;
    }
    if (values.only !== "stimuli") {
      console.error(`Unknown --only ${JSON.stringify(values.only)}. Valid: stimuli, templateflow`);
      return 2;
    }
    const r = await generateStimuli({
      out: values.out,
      size: values.size as SynthSize,
      seed,
      splitsDir: values["splits-dir"],
    });
    const mb = r.manifest.reduce((a, m) => a + m.size, 0) / 1e6;
    console.log(
      `${r.manifest.length} stimulus objects (${r.truth.nImages} images), ${mb.toFixed(1)} MB in ` +
        `${r.bucketDir}/stimuli; ${(r.elapsedMs / 1000).toFixed(1)} s`,
    );
    return 0;
  }
  const list = (s?: string) => s ? s.split(",").map((x) => x.trim()).filter(Boolean) : undefined;
  const ds = await generateDataset({
    out: values.out,
    size: values.size as SynthSize,
    layout: values.layout as SynthLayout,
    seed,
    splitsDir: values["splits-dir"],
    subjects: list(values.subjects),
    sessions: list(values.sessions),
    log: values.quiet ? undefined : (m) => console.error(m),
  });
  const bytes = ds.manifest.reduce((a, m) => a + m.size, 0);
  console.log(
    `${ds.manifest.length} objects, ${(bytes / 1e6).toFixed(1)} MB in ${ds.bucketDir}; ` +
      `ground truth in ${ds.groundTruthDir}; ${(ds.elapsedMs / 1000).toFixed(1)} s` +
      ` (labels from ${ds.groundTruth.splitsSource ?? "made-up ids"})`,
  );
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
