/**
 * The planted encoding signal (issue #14): in each subject's FFA-1 ROI, the
 * betas of trials showing a shared non-OOD image are a known linear function
 * of the image's CLIP embedding (float16 values as stored):
 *
 *   beta[v, t] = fround(b[v] + noise[v, t] + a[v] * (w[v] · clip(label[t])))
 *
 * `b` and `noise` are the generator's usual per-voxel offset and uniform
 * noise on [-3, 3) (std √3); `w[v]` has 1024 standard-normal entries; the
 * amplitude `a[v] = SNR[v] · √3` with SNR[v] log-uniform on [0.1, 3]. Every
 * other trial and voxel is unchanged. The NIfTI betas, the GLMsingle model's
 * `betasmd` and `expectedBeta` all add the same term.
 * @module
 */
import { anatomicalAxis, brainGeometry, roiGeometry, type SynthSize } from "./geometry.ts";
import { hashKey, unit } from "./prng.ts";
import {
  EMBEDDING_LATENT_SHARE,
  EMBEDDING_LATENTS,
  EMBEDDING_MODELS,
  embeddingBasis,
  embeddingVector,
} from "./stimuli_embeddings.ts";
import { isOod } from "./stimuli_set.ts";

/** The ROI (bucket label) that carries the signal. */
export const ENCODING_ROI = "FFA-1";
/** Noise std of the generator's betas: uniform on [-3, 3). */
export const NOISE_STD: number = Math.sqrt(3);
/** SNR range; SNR is log-uniform on it. */
export const SNR_RANGE: readonly [number, number] = [0.1, 3];

const CLIP = EMBEDDING_MODELS[0];

/** True for labels whose trials carry the signal: shared, not OOD. */
export const isPlantedLabel = (label: string): boolean =>
  label.startsWith("shared_") && !isOod(label);

/** One voxel of the planted ROI. */
export interface EncodingVoxel {
  /** Brain-axis index (the R2mean mask's axis, NaN voxels included). */
  brainIndex: number;
  /** Index on the anatomical mask's axis: the row of `betasmd` (current layout). */
  modelRow: number;
  /** C-order flat index on the grid. */
  flat: number;
  snr: number;
  /** `SNR · √3`. */
  amplitude: number;
  /** Key of `w`: entry d = Box-Muller normal of `unit(wKey, 2⌊d/2⌋)`, `unit(wKey, 2⌊d/2⌋+1)`. */
  wKey: number;
  /**
   * Variance of the signal over images: `a² · wᵀΣw` with Σ the covariance of
   * the unit-norm CLIP rows, to first order `((1-s)|w|² + s·(D/K)·Σₖ(w·uₖ)²) / D`
   * (stimuli_embeddings.ts: D = 1024, K = 8 latent directions uₖ, s = 0.8).
   */
  signalVar: number;
}

/**
 * Standard normals from a key (Box-Muller over counter pairs): the entries
 * of a voxel's `w` are `normals(wKey, 1024)`.
 *
 * @example
 * ```ts
 * import { normals } from "./encoding.ts";
 * normals(7, 4).length; // 4
 * ```
 */
export function normals(key: number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let d = 0; d < n; d += 2) {
    const u1 = 1 - unit(key, d), u2 = unit(key, d + 1);
    const r = Math.sqrt(-2 * Math.log(u1));
    v[d] = r * Math.cos(2 * Math.PI * u2);
    if (d + 1 < n) v[d + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return v;
}

/**
 * `wᵀΣw` for the CLIP rows (first order in the normalisation): the
 * variance over images of `w · clip`.
 *
 * @example
 * ```ts
 * import { embeddingVariance, normals } from "./encoding.ts";
 * embeddingVariance(1, normals(7, 1024)); // about 1
 * ```
 */
export function embeddingVariance(seed: number, w: ArrayLike<number>): number {
  const D = CLIP.dim, s = EMBEDDING_LATENT_SHARE;
  const basis = embeddingBasis(seed, CLIP);
  let norm2 = 0;
  for (let d = 0; d < D; d++) norm2 += w[d] * w[d];
  let latent = 0;
  for (const u of basis) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += w[d] * u[d];
    latent += dot * dot;
  }
  return ((1 - s) * norm2 + s * (D / basis.length) * latent) / D;
}

interface Planted {
  voxels: EncodingVoxel[];
  /** Brain-axis index -> position in `voxels`. */
  position: Map<number, number>;
  w: Float64Array[];
  /** label -> signal per voxel. */
  signals: Map<string, Float64Array>;
}
const cache = new Map<string, Planted>();

function planted(size: SynthSize, seed: number, subject: string): Planted {
  const key = `${size}/${seed}/${subject}`;
  let p = cache.get(key);
  if (p) return p;
  const g = brainGeometry(size, seed, subject);
  const roi = roiGeometry(size, seed, subject).find((r) => r.bucketLabel === ENCODING_ROI);
  const ranks = [...new Set(roi?.brainIndices ?? [])].sort((a, b) => a - b);
  const [lo, hi] = SNR_RANGE;
  const w: Float64Array[] = [];
  const axis = anatomicalAxis(size, seed, subject);
  const voxels = ranks.map((r) => {
    const flat = g.brainC[r];
    const snr = lo * Math.pow(hi / lo, unit(hashKey(seed, subject, "encoding-snr"), flat));
    const wKey = hashKey(seed, subject, "encoding-w", flat);
    const wv = normals(wKey, CLIP.dim);
    w.push(wv);
    const amplitude = snr * NOISE_STD;
    return {
      brainIndex: r,
      modelRow: axis.ofBrain[r],
      flat,
      snr,
      amplitude,
      wKey,
      signalVar: amplitude ** 2 * embeddingVariance(seed, wv),
    };
  });
  p = { voxels, position: new Map(ranks.map((r, i) => [r, i])), w, signals: new Map() };
  cache.set(key, p);
  return p;
}

/**
 * The planted voxels of a subject (empty without an FFA-1).
 *
 * @example
 * ```ts
 * import { encodingVoxels } from "./encoding.ts";
 * encodingVoxels("small", 1, "sub-01").length;
 * ```
 */
export function encodingVoxels(size: SynthSize, seed: number, subject: string): EncodingVoxel[] {
  return planted(size, seed, subject).voxels;
}

/**
 * The signal of a label at every planted voxel (`a[v] · w[v] · clip`), or
 * `null` for labels without signal.
 *
 * @example
 * ```ts
 * import { encodingSignals } from "./encoding.ts";
 * encodingSignals("small", 1, "sub-01", "shared_12rep_LAION_cluster_1003_i0.jpg");
 * ```
 */
export function encodingSignals(
  size: SynthSize,
  seed: number,
  subject: string,
  label: string,
): Float64Array | null {
  if (!isPlantedLabel(label)) return null;
  const p = planted(size, seed, subject);
  let s = p.signals.get(label);
  if (!s) {
    const clip = new Float16Array(embeddingVector(seed, CLIP, label));
    s = new Float64Array(p.voxels.length);
    for (let v = 0; v < s.length; v++) {
      const wv = p.w[v];
      let dot = 0;
      for (let d = 0; d < clip.length; d++) dot += wv[d] * clip[d];
      s[v] = p.voxels[v].amplitude * dot;
    }
    p.signals.set(label, s);
  }
  return s;
}

/**
 * The signal at one brain voxel for one label (0 when none).
 *
 * @example
 * ```ts
 * import { encodingSignal } from "./encoding.ts";
 * encodingSignal("small", 1, "sub-01", "a.jpg", 0); // 0
 * ```
 */
export function encodingSignal(
  size: SynthSize,
  seed: number,
  subject: string,
  label: string,
  brainIndex: number,
): number {
  const s = encodingSignals(size, seed, subject, label);
  if (!s) return 0;
  const i = planted(size, seed, subject).position.get(brainIndex);
  return i === undefined ? 0 : s[i];
}

/**
 * Expected split-half reliability of a voxel for images shown `n` times
 * (halves of n/2 repetitions): `signalVar / (signalVar + 2σ²/n)`.
 *
 * @example
 * ```ts
 * import { splitHalfReliability } from "./encoding.ts";
 * splitHalfReliability(3, 12); // 3 / 3.5
 * ```
 */
export function splitHalfReliability(signalVar: number, n: number): number {
  return signalVar / (signalVar + 2 * NOISE_STD ** 2 / n);
}

/** Content of `ground-truth/encoding.json`. */
export interface EncodingTruth {
  roi: string;
  model: string;
  formula: string;
  noise: string;
  snrDistribution: string;
  /** How the CLIP rows are made (their covariance sets `signalVar`). */
  embeddings: string;
  w: string;
  reliability: string;
  subjects: Record<string, {
    voxels: (EncodingVoxel & { reliability12: number; reliability4: number })[];
    /** Planted (shared non-OOD) trials per written session. */
    plantedTrials: Record<string, number>;
  }>;
}

/**
 * The ground truth of the planted signal for the written subjects/sessions.
 *
 * @example
 * ```ts
 * // encodingTruth("small", 1, { "sub-01": { "ses-01": ["shared_12rep_LAION_cluster_1003_i0.jpg"] } });
 * ```
 */
export function encodingTruth(
  size: SynthSize,
  seed: number,
  labels: Record<string, Record<string, readonly string[]>>,
): EncodingTruth {
  const subjects: EncodingTruth["subjects"] = {};
  for (const [s, sessions] of Object.entries(labels)) {
    subjects[s] = {
      voxels: encodingVoxels(size, seed, s).map((v) => ({
        ...v,
        reliability12: splitHalfReliability(v.signalVar, 12),
        reliability4: splitHalfReliability(v.signalVar, 4),
      })),
      plantedTrials: Object.fromEntries(
        Object.entries(sessions).map(([ses, l]) => [ses, l.filter(isPlantedLabel).length]),
      ),
    };
  }
  return {
    roi: ENCODING_ROI,
    model: `${CLIP.name} (${CLIP.dim}-d, float16 values as stored)`,
    formula: "beta[v,t] = fround(b[v] + noise[v,t] + a[v] * dot(w[v], clip(label[t]))) for " +
      "shared non-OOD labels at FFA-1 voxels; int16 subjects then quantised as all betas",
    noise: "uniform on [-3, 3) (std sqrt(3)), the generator's usual beta noise",
    snrDistribution: `log-uniform on [${SNR_RANGE[0]}, ${SNR_RANGE[1]}]; a[v] = SNR[v] * sqrt(3)`,
    embeddings: `${EMBEDDING_LATENT_SHARE * 100}% of each CLIP row's variance lies in ` +
      `${EMBEDDING_LATENTS} latent directions shared by all images (stimuli_embeddings.ts), ` +
      "then rows are L2-normalised; signalVar = a^2 * w'Σw over the rows",
    w: "w[v][d]: Box-Muller standard normals from unit(wKey, d) pairs " +
      "(wKey = hashKey(seed, subject, 'encoding-w', flat))",
    reliability: "split-half (n/2 vs n/2 repetitions) correlation over images: " +
      "signalVar / (signalVar + 2*3/n); given for n = 12 and n = 4",
    subjects,
  };
}
