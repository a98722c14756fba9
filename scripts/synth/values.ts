/**
 * Voxel values of the synthetic maps (betas, R2mean, noise ceilings) as pure
 * functions of (seed, subject, session, trial, voxel), plus builders of
 * whole volumes in NIfTI on-disk order.
 * @module
 */
import { type BrainGeometry, brainGeometry, type SynthLayout, type SynthSize } from "./geometry.ts";
import { hashKey, mix, unit } from "./prng.ts";
import { encodingSignal, encodingSignals, encodingVoxels } from "./encoding.ts";
import { loadStimulusPools, subjectTrials } from "./trials.ts";

/** int16 scaling of the scaled-integer subject's betas. */
export interface Int16Scaling {
  sclSlope: number;
  sclInter: number;
}

/** The subject whose betas are int16 with scaling. */
export const INT16_SUBJECT = "sub-05";

/**
 * Scaling used for the int16 betas: slope 2^-7, intercept -0.5 (both exact
 * in float32; stored value 64 decodes to exactly 0 outside the brain).
 */
export const INT16_SCALING: Readonly<Int16Scaling> = { sclSlope: 0.0078125, sclInter: -0.5 };

/**
 * On-disk datatype of a subject's betas.
 *
 * @example
 * ```ts
 * import { betaDatatype } from "./values.ts";
 * betaDatatype("sub-05"); // "int16"
 * ```
 */
export function betaDatatype(subject: string): "float32" | "int16" {
  return subject === INT16_SUBJECT ? "int16" : "float32";
}

const INV32 = 1 / 4294967296;

/** Per-voxel beta offset of a subject (float32 values, brain-axis order), memoized. */
const offsetCache = new Map<string, Float32Array>();
function voxelOffsets(g: BrainGeometry): Float32Array {
  const key = `${g.size}/${g.seed}/${g.subject}`;
  let o = offsetCache.get(key);
  if (!o) {
    const h = hashKey(g.seed, g.subject, "beta-voxel");
    o = new Float32Array(g.brainC.length);
    for (let r = 0; r < o.length; r++) o[r] = 2 * (mix(h, g.brainC[r]) * INV32 - 0.5);
    offsetCache.set(key, o);
  }
  return o;
}

/**
 * Key of one trial's beta volume.
 *
 * @example
 * ```ts
 * import { trialKey } from "./values.ts";
 * trialKey(1, "sub-01", "ses-01", 0);
 * ```
 */
export function trialKey(seed: number, subject: string, session: string, trial: number): number {
  return hashKey(seed, subject, session, "beta", trial);
}

/**
 * The beta before storage (float32-rounded), for a brain voxel; `signal` is
 * the planted encoding term (encoding.ts), 0 almost everywhere (adding 0
 * leaves the value unchanged).
 */
function rawBeta(offset: number, key: number, f: number, signal = 0): number {
  return Math.fround(offset + 6 * (mix(key, f) * INV32 - 0.5) + signal);
}

const labelCache = new Map<string, Record<string, { label: string }[]>>();
/** Trial labels of a subject as the generator makes them (memoized). */
function trialLabels(
  size: SynthSize,
  seed: number,
  subject: string,
  splitsDir: string | null,
  layout: SynthLayout,
): Record<string, { label: string }[]> {
  const key = `${size}/${seed}/${subject}/${splitsDir}/${layout}`;
  let t = labelCache.get(key);
  if (!t) {
    t = subjectTrials(loadStimulusPools(splitsDir), size, seed, subject, layout);
    labelCache.set(key, t);
  }
  return t;
}

/** Per trial, the planted signal per encoding voxel (null: none), and the voxels. */
function plantedRows(
  size: SynthSize,
  seed: number,
  subject: string,
  labels: readonly string[],
): { ranks: number[]; signals: (Float64Array | null)[] } {
  return {
    ranks: encodingVoxels(size, seed, subject).map((v) => v.brainIndex),
    signals: labels.map((l) => encodingSignals(size, seed, subject, l)),
  };
}

/** The stored int16 code of a value. */
function int16Code(value: number): number {
  const q = Math.round((value - INT16_SCALING.sclInter) / INT16_SCALING.sclSlope);
  return Math.max(-32768, Math.min(32767, q));
}

/**
 * The expected beta of one trial at voxel (i, j, k), as a reader that
 * applies `scl_slope`/`scl_inter` must return it: 0 outside the brain, NaN at
 * the NaN voxels of float32 subjects, otherwise a float32 value (for the
 * int16 subject, `code * slope + inter`). The trial's label (for the planted
 * FFA-1 signal) comes from the pools of `splitsDir`, which must be the
 * generator's (default: env `LAION_FMRI_SPLITS_DIR`, as the generator's),
 * and from `layout`'s trial plan (the current layout has more trials).
 *
 * @example
 * ```ts
 * import { expectedBeta } from "./values.ts";
 * expectedBeta("sub-01", "ses-01", 0, 5, 6, 4, "small", 1);
 * ```
 */
export function expectedBeta(
  subject: string,
  session: string,
  trial: number,
  i: number,
  j: number,
  k: number,
  size: SynthSize,
  seed: number,
  splitsDir: string | null = Deno.env.get("LAION_FMRI_SPLITS_DIR") || null,
  layout: SynthLayout = "seed",
): number {
  const g = brainGeometry(size, seed, subject);
  const [NX, NY, NZ] = g.dims;
  if (i < 0 || j < 0 || k < 0 || i >= NX || j >= NY || k >= NZ) {
    throw new RangeError(`Voxel (${i}, ${j}, ${k}) outside the grid ${g.dims}`);
  }
  const f = (i * NY + j) * NZ + k;
  const r = g.rankOfC[f];
  if (r < 0) return 0;
  const label = trialLabels(size, seed, subject, splitsDir, layout)[session]?.[trial]?.label ??
    "";
  const v = rawBeta(
    voxelOffsets(g)[r],
    trialKey(seed, subject, session, trial),
    f,
    encodingSignal(size, seed, subject, label, r),
  );
  if (betaDatatype(subject) === "int16") {
    return Math.fround(int16Code(v) * INT16_SCALING.sclSlope + INT16_SCALING.sclInter);
  }
  return g.nanMask[r] ? NaN : v;
}

/**
 * A producer of beta volumes (NIfTI on-disk order) for the streaming
 * writer; alternates two buffers. `labels` (the session's trial labels)
 * switch on the planted FFA-1 signal (encoding.ts); without them there is none.
 *
 * @example
 * ```ts
 * import { betaVolumeProducer } from "./values.ts";
 * const produce = betaVolumeProducer("small", 1, "sub-01", "ses-01");
 * const vol0 = produce(0);
 * ```
 */
export function betaVolumeProducer(
  size: SynthSize,
  seed: number,
  subject: string,
  session: string,
  labels: readonly string[] = [],
): (t: number) => Float32Array | Int16Array {
  const g = brainGeometry(size, seed, subject);
  const off = voxelOffsets(g);
  const { brainC, brainF, nanMask } = g;
  const n = brainC.length;
  const { ranks, signals } = plantedRows(size, seed, subject, labels);
  if (betaDatatype(subject) === "int16") {
    const zero = int16Code(0);
    const bufs = [new Int16Array(g.nVox), new Int16Array(g.nVox)];
    return (t) => {
      const b = bufs[t & 1];
      b.fill(zero);
      const key = trialKey(seed, subject, session, t);
      for (let r = 0; r < n; r++) b[brainF[r]] = int16Code(rawBeta(off[r], key, brainC[r]));
      const s = signals[t];
      if (s) {
        ranks.forEach((r, v) => b[brainF[r]] = int16Code(rawBeta(off[r], key, brainC[r], s[v])));
      }
      return b;
    };
  }
  const bufs = [new Float32Array(g.nVox), new Float32Array(g.nVox)];
  return (t) => {
    const b = bufs[t & 1];
    b.fill(0);
    const key = trialKey(seed, subject, session, t);
    for (let r = 0; r < n; r++) {
      b[brainF[r]] = nanMask[r] ? NaN : rawBeta(off[r], key, brainC[r]);
    }
    const s = signals[t];
    if (s) {
      ranks.forEach((r, v) => {
        if (!nanMask[r]) b[brainF[r]] = rawBeta(off[r], key, brainC[r], s[v]);
      });
    }
    return b;
  };
}

/**
 * Rows of the GLMsingle model's `betasmd` (brain voxels x trials, C order:
 * trial fastest) for the HDF5 writer: row `r` is brain-axis voxel `r`, the
 * same values, after scaling, as the session's NIfTI betas at that voxel
 * (given the same `labels`).
 *
 * @example
 * ```ts
 * import { betaRowProducer } from "./values.ts";
 * const rows = betaRowProducer("small", 1, "sub-01", "ses-01", 42)(0, 10); // 10 x 42
 * ```
 */
export function betaRowProducer(
  size: SynthSize,
  seed: number,
  subject: string,
  session: string,
  nTrials: number,
  labels: readonly string[] = [],
): (start: number, count: number) => Float32Array {
  const g = brainGeometry(size, seed, subject);
  const off = voxelOffsets(g);
  const keys = Array.from({ length: nTrials }, (_, t) => trialKey(seed, subject, session, t));
  const scaled = betaDatatype(subject) === "int16";
  const { ranks, signals } = plantedRows(size, seed, subject, labels);
  const position = new Map(ranks.map((r, v) => [r, v]));
  return (start, count) => {
    const out = new Float32Array(count * nTrials);
    for (let r = start, o = 0; r < start + count; r++) {
      const f = g.brainC[r];
      const v0 = position.get(r);
      for (let t = 0; t < nTrials; t++, o++) {
        const s = v0 === undefined ? undefined : signals[t]?.[v0];
        const v = rawBeta(off[r], keys[t], f, s ?? 0);
        out[o] = scaled
          ? int16Code(v) * INT16_SCALING.sclSlope + INT16_SCALING.sclInter
          : g.nanMask[r]
          ? NaN
          : v;
      }
    }
    return out;
  };
}

/**
 * Expected R2mean at a C-order flat voxel: exactly 0 outside the brain, NaN
 * at the NaN voxels, otherwise positive (0.05 .. 60.05).
 *
 * @example
 * ```ts
 * import { expectedR2mean } from "./values.ts";
 * expectedR2mean("small", 1, "sub-01", 700);
 * ```
 */
export function expectedR2mean(size: SynthSize, seed: number, subject: string, f: number): number {
  const g = brainGeometry(size, seed, subject);
  const r = g.rankOfC[f];
  if (r < 0) return 0;
  if (g.nanMask[r]) return NaN;
  const u = unit(hashKey(seed, subject, "r2mean"), f);
  return Math.fround(0.05 + 60 * u * u);
}

/**
 * Expected noise ceiling (percent) at a C-order flat voxel for a map name
 * (`ses-01`, ... for per-session maps, or `Noiseceiling12rep`,
 * `Noiseceiling4rep`, `NoiseceilingAllrep`): 0 outside the brain, NaN at
 * about 1% of brain voxels, otherwise 0 .. 95.
 *
 * @example
 * ```ts
 * import { expectedNoiseCeiling } from "./values.ts";
 * expectedNoiseCeiling("small", 1, "sub-01", "ses-01", 700);
 * ```
 */
export function expectedNoiseCeiling(
  size: SynthSize,
  seed: number,
  subject: string,
  map: string,
  f: number,
): number {
  const g = brainGeometry(size, seed, subject);
  if (g.rankOfC[f] < 0) return 0;
  if (unit(hashKey(seed, subject, map, "nc-nan"), f) < 0.01) return NaN;
  const u = unit(hashKey(seed, subject, map, "nc"), f);
  return Math.fround(95 * Math.sqrt(u));
}

/**
 * A full 3-D float32 volume in NIfTI on-disk order from a per-voxel function
 * of the C-order flat index (evaluated on brain voxels only; 0 elsewhere).
 *
 * @example
 * ```ts
 * import { brainGeometry } from "./geometry.ts";
 * import { expectedR2mean, brainVolume } from "./values.ts";
 * const g = brainGeometry("small", 1, "sub-01");
 * const vol = brainVolume(g, (f) => expectedR2mean("small", 1, "sub-01", f));
 * ```
 */
export function brainVolume(g: BrainGeometry, value: (f: number) => number): Float32Array {
  const out = new Float32Array(g.nVox);
  for (let r = 0; r < g.brainC.length; r++) out[g.brainF[r]] = value(g.brainC[r]);
  return out;
}
