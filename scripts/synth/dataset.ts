/**
 * Generates a synthetic LAION-fMRI bucket tree (`{out}/bucket/<key>`) and its
 * ground truth (`{out}/ground-truth/`).
 * @module
 */
import { createHash } from "node:crypto";
import { writeNifti1 } from "../../lib/formats/nifti_write.ts";
import { unflattenC } from "../../lib/formats/voxel_order.ts";
import { ROI_CATEGORIES, type RoiCategory } from "../../lib/core/constants.ts";
import { writeFileAtomic } from "../../lib/core/fs.ts";
import { mapPool } from "../../lib/core/pool.ts";
import { ROI_INVENTORY, SYNTH_SUBJECTS } from "./inventory.ts";
import {
  brainGeometry,
  gridAffine,
  roiGeometry,
  SIZES,
  surfaceSize,
  SYNTH_SIZES,
  type SynthLayout,
  type SynthSize,
} from "./geometry.ts";
import {
  betaDatatype,
  betaVolumeProducer,
  brainVolume,
  expectedBeta,
  expectedNoiseCeiling,
  expectedR2mean,
  INT16_SCALING,
} from "./values.ts";
import { loadStimulusPools, sessionPlan, subjectTrials, trialsTsv } from "./trials.ts";
import { freesurferLabel, GIFTI_ENCODINGS, giftiMaskXml } from "./surface_files.ts";
import { hashKey, mulberry32 } from "./prng.ts";
import { addCurrentLayout } from "./current_layout.ts";
import { rootFiles } from "./root_files.ts";
import { addStimuliLayout, type StimuliTruth } from "./stimuli_layout.ts";
import { encodingTruth } from "./encoding.ts";
import type * as T from "./truth.ts";

export type { SynthLayout };
/** Valid layouts. */
export const SYNTH_LAYOUTS: readonly SynthLayout[] = ["seed", "current"];

/** Options of {@linkcode generateDataset}. */
export interface GenerateOptions {
  /** Output folder; `bucket/` and `ground-truth/` inside it are replaced. */
  out: string;
  /** Size preset. @default "small" */
  size?: SynthSize;
  /**
   * `seed`: the seed's snapshot of the bucket (upstream.md); `current`: the
   * same plus what the bucket holds now (upstream-era-c.md §1).
   * @default "seed"
   */
  layout?: SynthLayout;
  /** Seed of every random choice. @default 1 */
  seed?: number;
  /**
   * Folder with the split JSON (`{pool}/{split}.json`) whose ids become trial
   * labels; `null` makes ids of the same patterns.
   * @default the env var `LAION_FMRI_SPLITS_DIR`, else `null`
   */
  splitsDir?: string | null;
  /** Subjects to write. @default all five for `small`, `["sub-01"]` for `realistic` */
  subjects?: readonly string[];
  /**
   * Sessions to write (of each subject's plan: public `ses-01`.. plus held-out
   * `ses-31`..`ses-34`). @default all for `small`, `["ses-01"]` for `realistic`
   */
  sessions?: readonly string[];
  /** Sampled expected beta values per subject in the ground truth. @default 8 */
  samplesPerSubject?: number;
  /** Files written concurrently. @default 4 */
  concurrency?: number;
  /** Progress messages. @default none */
  log?: (message: string) => void;
  /** Aborts generation. */
  signal?: AbortSignal;
}

/** Result of {@linkcode generateDataset}. */
export interface GeneratedDataset {
  out: string;
  bucketDir: string;
  groundTruthDir: string;
  groundTruth: T.GroundTruth;
  /** Every bucket object, sorted by key. */
  manifest: T.ManifestEntry[];
  /** Ground truth of `stimuli/` (current layout only; also in `stimuli.json`). */
  stimuli?: StimuliTruth;
  elapsedMs: number;
}

/** Key helpers (bucket spelling). */
export const synthKeys = {
  betas: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz`,
  sessionNc: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_space-T1w_desc-Noiseceiling_statmap.nii.gz`,
  trials: (s: string, ses: string) =>
    `derivatives/glmsingle-tedana/${s}/${ses}/func/${s}_${ses}_task-images_desc-SingletrialBetas_trials.tsv`,
  r2mean: (s: string) =>
    `derivatives/glmsingle-tedana/${s}/${s}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`,
  subjectNc: (s: string, desc: string) =>
    `derivatives/glmsingle-tedana/${s}/${s}_task-images_space-T1w_desc-${desc}_statmap.nii.gz`,
  roiVolume: (s: string, cat: string, label: string) =>
    `derivatives/rois/${s}/${cat}/${s}_space-T1w_res-1pt8_label-${label}_mask.nii.gz`,
  roiGifti: (s: string, cat: string, label: string, hemi: string) =>
    `derivatives/rois/${s}/${cat}/${s}_hemi-${hemi}_space-fsnative_label-${label}_mask.func.gii`,
  roiLabel: (s: string, cat: string, label: string, hemi: string) =>
    `derivatives/rois/${s}/${cat}/${s}_hemi-${hemi}_space-fsnative_label-${label}_mask.label`,
};

/** Subject-level noise-ceiling descriptions. */
export const SUBJECT_NC_DESCS = ["Noiseceiling12rep", "Noiseceiling4rep", "NoiseceilingAllrep"];

async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(1 << 20);
  while (true) {
    signal?.throwIfAborted();
    const n = await f.read(buf);
    if (n === null) break;
    h.update(buf.subarray(0, n));
  }
  return h.digest("hex");
}

/**
 * Generates the synthetic bucket and its ground truth. Deterministic: the
 * same options give byte-identical files.
 *
 * @example
 * ```ts
 * import { generateDataset } from "./dataset.ts";
 * const ds = await generateDataset({ out: "/tmp/laion-synth-small", size: "small", seed: 1 });
 * console.log(ds.manifest.length, ds.groundTruth.subjects["sub-01"].nBrainVoxels);
 * ```
 */
export async function generateDataset(options: GenerateOptions): Promise<GeneratedDataset> {
  const t0 = performance.now();
  const size = options.size ?? "small";
  if (!SYNTH_SIZES.includes(size)) {
    throw new RangeError(`Unknown size ${JSON.stringify(size)}. Valid: ${SYNTH_SIZES}`);
  }
  const layout = options.layout ?? "seed";
  if (!SYNTH_LAYOUTS.includes(layout)) {
    throw new RangeError(`Unknown layout ${JSON.stringify(layout)}. Valid: ${SYNTH_LAYOUTS}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const cfg = SIZES[size];
  const subjects = [...(options.subjects ?? cfg.defaultSubjects)];
  for (const s of subjects) {
    if (!(SYNTH_SUBJECTS as readonly string[]).includes(s)) {
      throw new RangeError(`Unknown subject ${JSON.stringify(s)}. Valid: ${SYNTH_SUBJECTS}`);
    }
  }
  const sessionFilter = options.sessions ?? cfg.defaultSessions;
  const splitsDir = options.splitsDir === undefined
    ? (Deno.env.get("LAION_FMRI_SPLITS_DIR") || null)
    : options.splitsDir;
  const log = options.log ?? (() => {});
  const signal = options.signal;
  const out = options.out.replace(/\/+$/, "") || ".";
  const bucketDir = `${out}/bucket`;
  const groundTruthDir = `${out}/ground-truth`;
  for (const d of [bucketDir, groundTruthDir]) {
    await Deno.remove(d, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  await Deno.mkdir(groundTruthDir, { recursive: true });

  const pools = loadStimulusPools(splitsDir);
  const affine = gridAffine(size);
  const dims = cfg.dims;
  const keys: string[] = [];
  const tasks: (() => Promise<void>)[] = [];
  const bigTasks: (() => Promise<void>)[] = [];
  const made = new Map<string, Promise<void>>();
  const path = async (key: string) => {
    keys.push(key);
    const p = `${bucketDir}/${key}`;
    const dir = p.slice(0, p.lastIndexOf("/"));
    if (!made.has(dir)) made.set(dir, Deno.mkdir(dir, { recursive: true }));
    await made.get(dir);
    return p;
  };
  const text = (key: string, content: string) =>
    tasks.push(async () => writeFileAtomic(await path(key), content, { signal }));
  const float3d = (key: string, make: () => Float32Array) =>
    tasks.push(async () =>
      writeNifti1(await path(key), {
        dims,
        datatype: "float32",
        data: make(),
        affine,
        description: "LAION-fMRI synthetic",
        signal,
      })
    );

  for (const [name, content] of Object.entries(rootFiles(size, seed))) text(name, content);

  const truthSubjects: Record<string, T.SubjectTruth> = {};
  const samples: T.SampledBeta[] = [];
  const currentInputs: Parameters<typeof addCurrentLayout>[3][number][] = [];
  for (const subject of subjects) {
    const g = brainGeometry(size, seed, subject);
    const trials = subjectTrials(pools, size, seed, subject, layout);
    const plan = sessionPlan(size, subject, layout).filter((p) =>
      !sessionFilter || sessionFilter.includes(p.session)
    );
    const sessions: Record<string, T.SessionTruth> = {};
    currentInputs.push({ subject, plan, trials });
    for (const p of plan) {
      const rows = trials[p.session];
      sessions[p.session] = {
        heldOut: p.heldOut,
        nTrials: rows.length,
        nRuns: p.runs,
        nShared: rows.filter((r) => r.label.startsWith("shared_")).length,
        labels: rows.map((r) => r.label),
      };
      const dt = betaDatatype(subject);
      const producer = betaVolumeProducer(
        size,
        seed,
        subject,
        p.session,
        rows.map((r) => r.label),
      );
      const nTrials = rows.length;
      bigTasks.push(async () => {
        const t1 = performance.now();
        await writeNifti1(await path(synthKeys.betas(subject, p.session)), {
          dims: [...dims, nTrials],
          datatype: dt,
          data: producer,
          affine,
          level: 1,
          description: "LAION-fMRI synthetic single-trial betas",
          ...(dt === "int16" ? INT16_SCALING : {}),
          signal,
        });
        const dt1 = performance.now() - t1;
        if (dt1 > 1000) {
          log(`${subject} ${p.session}: ${nTrials} beta volumes in ${(dt1 / 1000).toFixed(1)} s`);
        }
      });
      float3d(
        synthKeys.sessionNc(subject, p.session),
        () => brainVolume(g, (f) => expectedNoiseCeiling(size, seed, subject, p.session, f)),
      );
      text(synthKeys.trials(subject, p.session), trialsTsv(rows));
    }
    float3d(
      synthKeys.r2mean(subject),
      () => brainVolume(g, (f) => expectedR2mean(size, seed, subject, f)),
    );
    for (const desc of SUBJECT_NC_DESCS) {
      float3d(
        synthKeys.subjectNc(subject, desc),
        () => brainVolume(g, (f) => expectedNoiseCeiling(size, seed, subject, desc, f)),
      );
    }

    const surf = surfaceSize(size, subject);
    const rois = roiGeometry(size, seed, subject);
    const roiTruth = Object.fromEntries(
      ROI_CATEGORIES.map((c) => [c, [] as T.RoiTruth[]]),
    ) as Record<
      RoiCategory,
      T.RoiTruth[]
    >;
    rois.forEach((roi, n) => {
      roiTruth[roi.category].push({
        label: roi.label,
        bucketLabel: roi.bucketLabel,
        nVoxels: roi.fullIndices.length,
        nVoxelsInBrain: roi.brainIndices.length,
        brainIndices: roi.brainIndices,
        vertices: roi.vertices,
      });
      tasks.push(async () => {
        const mask = new Uint8Array(g.nVox);
        const [NX, NY, NZ] = dims;
        for (const f of roi.fullIndices) {
          const k = f % NZ, j = Math.floor(f / NZ) % NY, i = Math.floor(f / (NY * NZ));
          mask[i + NX * (j + NY * k)] = 1;
        }
        await writeNifti1(await path(synthKeys.roiVolume(subject, roi.category, roi.bucketLabel)), {
          dims,
          datatype: "uint8",
          data: mask,
          affine,
          sclSlope: 0,
          sclInter: 0,
          description: `LAION-fMRI synthetic ROI ${roi.bucketLabel}`,
          signal,
        });
      });
      (["L", "R"] as const).forEach((hemi, hi) => {
        text(
          synthKeys.roiGifti(subject, roi.category, roi.bucketLabel, hemi),
          giftiMaskXml(surf[hemi], roi.vertices[hemi], GIFTI_ENCODINGS[(2 * n + hi) % 3]),
        );
        text(
          synthKeys.roiLabel(subject, roi.category, roi.bucketLabel, hemi),
          freesurferLabel(subject, surf[hemi], hemi, roi.vertices[hemi]),
        );
      });
    });
    const inv = ROI_INVENTORY[subject];
    truthSubjects[subject] = {
      nBrainVoxels: g.brainC.length,
      nBrainNaN: g.nanIndices.length,
      brainNaNIndices: g.nanIndices,
      betaDatatype: betaDatatype(subject),
      int16Scaling: betaDatatype(subject) === "int16" ? { ...INT16_SCALING } : null,
      surfaces: surf,
      sessions,
      rois: roiTruth,
      nRois: ROI_CATEGORIES.reduce((a, c) => a + inv[c].length, 0),
    };

    // sampled expected betas: random brain voxels plus a NaN voxel
    const rnd = mulberry32(hashKey(seed, subject, "samples"));
    const sessionNames = plan.map((p) => p.session);
    const nSamples = options.samplesPerSubject ?? 8;
    for (let s = 0; s < nSamples && sessionNames.length > 0; s++) {
      const session = sessionNames[Math.floor(rnd() * sessionNames.length)];
      const trial = Math.floor(rnd() * sessions[session].nTrials);
      const r = s === 0 ? g.nanIndices[0] : Math.floor(rnd() * g.brainC.length);
      const [i, j, k] = unflattenC(g.brainC[r], dims);
      const v = expectedBeta(subject, session, trial, i, j, k, size, seed, splitsDir, layout);
      samples.push({
        subject,
        session,
        trial,
        brainVoxelIndex: r,
        i,
        j,
        k,
        value: Number.isNaN(v) ? null : v,
      });
    }
  }

  const sink = {
    path,
    task: (run: () => Promise<void>) => tasks.push(run),
    bigTask: (run: () => Promise<void>) => bigTasks.push(run),
    signal,
  };
  const current = layout === "current"
    ? addCurrentLayout(sink, size, seed, currentInputs)
    : undefined;
  const stimuli = layout === "current" ? addStimuliLayout(sink, size, seed, pools) : undefined;

  log(`writing ${tasks.length + bigTasks.length} files (${size}, ${layout} layout, seed ${seed})`);
  // big 4-D files first so they overlap with the many small ones
  await mapPool([...bigTasks, ...tasks], (task) => task(), {
    limit: options.concurrency ?? 4,
    signal,
  });

  keys.sort();
  const manifest: T.ManifestEntry[] = [];
  for (const key of keys) {
    const p = `${bucketDir}/${key}`;
    manifest.push({ key, size: (await Deno.stat(p)).size, sha256: await sha256File(p, signal) });
  }
  const groundTruth: T.GroundTruth = {
    formatVersion: 1,
    size,
    seed,
    splitsSource: pools.source,
    grid: { dims: [...dims], voxelSizeMm: cfg.voxelSize, affine },
    voxelOrder: "flat = (i*NY + j)*NZ + k (NumPy C-order of X,Y,Z); brain axis = brain voxels " +
      "(non-zero-or-NaN R2mean) in increasing flat order",
    subjects: truthSubjects,
    sampledBetas: samples,
    ...(current ? { current } : {}),
  };
  const writeJson = (name: string, value: unknown) =>
    writeFileAtomic(`${groundTruthDir}/${name}`, JSON.stringify(value) + "\n", { signal });
  await writeJson("ground-truth.json", groundTruth);
  await writeJson("manifest.json", manifest);
  if (stimuli) await writeJson("stimuli.json", stimuli);
  await writeJson(
    "encoding.json",
    encodingTruth(
      size,
      seed,
      Object.fromEntries(
        Object.entries(truthSubjects).map((
          [s, t],
        ) => [s, Object.fromEntries(Object.entries(t.sessions).map(([k, v]) => [k, v.labels]))]),
      ),
    ),
  );
  return {
    out,
    bucketDir,
    groundTruthDir,
    groundTruth,
    manifest,
    ...(stimuli ? { stimuli } : {}),
    elapsedMs: performance.now() - t0,
  };
}
