/**
 * The four embedding files (`stimuli/task-images_desc-{MODEL}_embeddings.h5`):
 * `embedding` float16 `(N, D)`, `image_ids` variable-length strings and
 * `valid` bool, rows in the set's embedding order (not the metadata order).
 * Each image's vector is a pure function of (seed, model, image name).
 * @module
 */
import type { Hdf5DatasetSpec } from "../../lib/formats/hdf5_write.ts";
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

/**
 * The float32 vector of one image before float16 rounding: standard normal
 * entries (Box-Muller over counter hashes), L2-normalised for normalised
 * models, else scaled by 1.5 around a per-dimension offset (DINOv2-like
 * norms of about 50).
 *
 * @example
 * ```ts
 * import { EMBEDDING_MODELS, embeddingVector } from "./stimuli_embeddings.ts";
 * embeddingVector(1, EMBEDDING_MODELS[0], "a.jpg").length; // 1024
 * ```
 */
export function embeddingVector(seed: number, model: EmbeddingModel, name: string): Float32Array {
  const key = hashKey(seed, "embedding", model.name, name);
  const v = new Float32Array(model.dim);
  for (let d = 0; d < model.dim; d += 2) {
    const u1 = 1 - unit(key, d), u2 = unit(key, d + 1);
    const r = Math.sqrt(-2 * Math.log(u1));
    v[d] = r * Math.cos(2 * Math.PI * u2);
    if (d + 1 < model.dim) v[d + 1] = r * Math.sin(2 * Math.PI * u2);
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
