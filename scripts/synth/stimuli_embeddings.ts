/**
 * The four embedding files (`stimuli/task-images_desc-{MODEL}_embeddings.h5`):
 * `embedding` float16 `(N, D)`, `image_ids` variable-length strings and
 * `valid` bool, rows in the set's embedding order (not the metadata order).
 * Each image's vector is a pure function of (seed, model, image name).
 * @module
 */
import type { Hdf5DatasetSpec } from "./hdf5/write.ts";
import { hashKey, unit } from "./prng.ts";
import type { StimulusSet } from "./stimuli_set.ts";

/** One embedding model as the bucket holds it. */
export interface EmbeddingModel {
  /** The `desc-` label. */
  name: "CLIP" | "DINOv2" | "PEcore" | "SigLIP2";
  dim: number;
  /** Rows L2-normalised (all but DINOv2). */
  normalized: boolean;
}

/** The models, in upstream's `AVAILABLE_MODELS` order. */
export const EMBEDDING_MODELS: readonly EmbeddingModel[] = [
  { name: "CLIP", dim: 1024, normalized: true },
  { name: "DINOv2", dim: 1024, normalized: false },
  { name: "PEcore", dim: 1024, normalized: true },
  { name: "SigLIP2", dim: 1152, normalized: true },
];

/** Latent directions shared by all images of a model (real embeddings are far from isotropic). */
export const EMBEDDING_LATENTS = 8;
/** Share of an embedding's variance in the latent directions. */
export const EMBEDDING_LATENT_SHARE = 0.8;

function gaussians(key: number, from: number, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let d = 0; d < n; d += 2) {
    const u1 = 1 - unit(key, from + d), u2 = unit(key, from + d + 1);
    const r = Math.sqrt(-2 * Math.log(u1));
    v[d] = r * Math.cos(2 * Math.PI * u2);
    if (d + 1 < n) v[d + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return v;
}

const basisCache = new Map<string, Float64Array[]>();
/**
 * The latent directions of a model: {@linkcode EMBEDDING_LATENTS} unit
 * vectors of standard normals (Box-Muller over the counters of
 * `hashKey(seed, "embedding-basis", model, k)`), normalised.
 *
 * @example
 * ```ts
 * import { EMBEDDING_MODELS, embeddingBasis } from "./stimuli_embeddings.ts";
 * embeddingBasis(1, EMBEDDING_MODELS[0]).length; // 8
 * ```
 */
export function embeddingBasis(seed: number, model: EmbeddingModel): Float64Array[] {
  const key = `${seed}/${model.name}`;
  let b = basisCache.get(key);
  if (!b) {
    b = Array.from({ length: EMBEDDING_LATENTS }, (_, k) => {
      const u = gaussians(hashKey(seed, "embedding-basis", model.name, k), 0, model.dim);
      const n = Math.sqrt(u.reduce((a, x) => a + x * x, 0));
      return u.map((x) => x / n);
    });
    basisCache.set(key, b);
  }
  return b;
}

/**
 * The float32 vector of one image before float16 rounding:
 * `√(1-s)·g + √(s·D/K)·Σₖ zₖ·uₖ`, with `g` D standard normals (Box-Muller
 * over the counters 0..D-1 of the image's key), `zₖ` K standard normals
 * (counters D..D+2K-1, cosine branch), `uₖ` the model's
 * {@linkcode embeddingBasis} and `s` = {@linkcode EMBEDDING_LATENT_SHARE}
 * (so E|v|² = D and 80% of the variance lies in K = 8 directions);
 * then L2-normalised for normalised models, else scaled by 1.5 around a
 * per-dimension offset (DINOv2-like norms of about 50).
 *
 * @example
 * ```ts
 * import { EMBEDDING_MODELS, embeddingVector } from "./stimuli_embeddings.ts";
 * embeddingVector(1, EMBEDDING_MODELS[0], "a.jpg").length; // 1024
 * ```
 */
export function embeddingVector(seed: number, model: EmbeddingModel, name: string): Float32Array {
  const key = hashKey(seed, "embedding", model.name, name);
  const D = model.dim, K = EMBEDDING_LATENTS, s = EMBEDDING_LATENT_SHARE;
  const g = gaussians(key, 0, D);
  const z = Array.from({ length: K }, (_, k) => gaussians(key, D + 2 * k, 1)[0]);
  const basis = embeddingBasis(seed, model);
  const a = Math.sqrt(1 - s), b = Math.sqrt(s * D / K);
  const v = new Float32Array(D);
  for (let d = 0; d < D; d++) {
    let x = a * g[d];
    for (let k = 0; k < K; k++) x += b * z[k] * basis[k][d];
    v[d] = x;
  }
  if (model.normalized) {
    let ss = 0;
    for (const x of v) ss += x * x;
    const inv = 1 / Math.sqrt(ss);
    for (let d = 0; d < v.length; d++) v[d] *= inv;
  } else {
    const off = hashKey(seed, "embedding-offset", model.name);
    for (let d = 0; d < v.length; d++) v[d] = 1.5 * v[d] + 2 * (unit(off, d) - 0.5);
  }
  return v;
}

/**
 * The datasets of one model's embedding file, rows in `set.embeddingOrder`.
 *
 * @example
 * ```ts
 * // writeHdf5(path, embeddingDatasets(set, 1, EMBEDDING_MODELS[0]));
 * ```
 */
export function embeddingDatasets(
  set: StimulusSet,
  seed: number,
  model: EmbeddingModel,
): Hdf5DatasetSpec[] {
  const n = set.embeddingOrder.length;
  const names = set.embeddingOrder.map((r) => set.rows[r].image_name);
  const data = new Float16Array(n * model.dim);
  names.forEach((name, e) => data.set(embeddingVector(seed, model, name), e * model.dim));
  return [
    { name: "embedding", dtype: "float16", shape: [n, model.dim], data },
    { name: "image_ids", dtype: "vlen-str", shape: [n], data: names },
    { name: "valid", dtype: "bool", shape: [n], data: new Uint8Array(n).fill(1) },
  ];
}
