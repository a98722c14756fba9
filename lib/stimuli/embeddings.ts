/**
 * Image embeddings of four vision models (`task-images_desc-{MODEL}_embeddings.h5`,
 * public, float16): upstream's `Embeddings` / `load_embeddings`, looked up
 * by `image_ids` (the file's row order is not the metadata's).
 * @module
 */
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { InvalidChoiceError, withRefetch } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { getDataDir } from "../local/config.ts";
import { Hdf5File } from "../formats/hdf5.ts";
import type { Hdf5ContiguousLayout } from "../formats/hdf5_layout.ts";
import { contiguousLayoutOf, readContiguousRows, readHdf5Rows } from "../formats/hdf5_rows.ts";
import { unknownName } from "./csv.ts";
import { EMBEDDING_MODELS } from "../core/constants.ts";
import { type EmbeddingModel, requireFiles, stimulusPaths, stimulusRefetch } from "./paths.ts";

/** Element type of returned embeddings. */
export type EmbeddingDtype = "float32" | "float16";

/** Options of {@linkcode Embeddings.get}. */
export interface EmbeddingGetOptions<D extends EmbeddingDtype = "float32"> {
  /** `"float32"` (converted, exact) or `"float16"` (the stored values). @default "float32" */
  dtype?: D;
  /** Cancels between blocks. */
  signal?: AbortSignal;
}

/** A typed array of the chosen dtype. */
export type EmbeddingArray<D extends EmbeddingDtype> = D extends "float16" ? Float16Array
  : Float32Array;

/** Rows of embeddings, row-major: `rows * cols` values. */
export interface EmbeddingMatrix<D extends EmbeddingDtype = "float32"> {
  /** The values, one row per name asked for, in that order. */
  data: EmbeddingArray<D>;
  /** Number of rows. */
  rows: number;
  /** Embedding dimension. */
  cols: number;
}

/** Options of {@linkcode loadEmbeddings}. */
export interface LoadEmbeddingsOptions {
  /** `"all"` or a list of models. @default "all" */
  models?: "all" | EmbeddingModel | readonly EmbeddingModel[];
  /** Data directory. @default the configured one */
  dataDir?: string;
  /** Cancels opening the files. */
  signal?: AbortSignal;
}

/**
 * Open embedding files of one or more models. Close it (or `using`) when done.
 *
 * @example
 * ```ts
 * import { loadEmbeddings } from "@laion/fmri";
 * using emb = await loadEmbeddings({ models: ["CLIP"] });
 * const m = emb.get("CLIP", ["a.jpg", "b.jpg", "a.jpg"]); // 3 x 1024 Float32Array
 * ```
 */
export class Embeddings {
  /** The loaded models, in the order asked for. */
  readonly models: EmbeddingModel[];
  readonly #files: Map<EmbeddingModel, Hdf5File>;
  readonly #direct: Map<EmbeddingModel, { layout: Hdf5ContiguousLayout; file: Deno.FsFile }>;
  readonly #ids = new Map<EmbeddingModel, { ids: string[]; index: Map<string, number> }>();

  /**
   * Created by {@linkcode loadEmbeddings}. `direct` holds the models whose
   * `embedding` is contiguous: their rows are read straight from the file.
   */
  constructor(
    files: Map<EmbeddingModel, Hdf5File>,
    direct: Map<EmbeddingModel, { layout: Hdf5ContiguousLayout; file: Deno.FsFile }> = new Map(),
  ) {
    this.#files = files;
    this.#direct = direct;
    this.models = [...files.keys()];
  }

  #file(model: string): Hdf5File {
    const f = this.#files.get(model as EmbeddingModel);
    if (!f) {
      throw new InvalidChoiceError(
        "embedding model",
        model,
        this.models,
        (EMBEDDING_MODELS as readonly string[]).includes(model)
          ? "It is not loaded by this handle"
          : "",
      );
    }
    return f;
  }

  #lookup(model: EmbeddingModel) {
    let entry = this.#ids.get(model);
    if (!entry) {
      const ids = this.#file(model).read("image_ids") as string[];
      entry = { ids, index: new Map(ids.map((n, i) => [n, i])) };
      this.#ids.set(model, entry);
    }
    return entry;
  }

  /** Image names of the first model, in its file's row order. */
  get imageIds(): string[] {
    return [...this.#lookup(this.models[0]).ids];
  }

  /** Embedding dimension of a model. */
  dim(model: EmbeddingModel): number {
    return this.#file(model).info("embedding").shape[1];
  }

  /** Whether `model` is loaded (and, with a name, whether it has that image). */
  has(model: string, name?: string): boolean {
    if (!this.#files.has(model as EmbeddingModel)) return false;
    return name === undefined || this.#lookup(model as EmbeddingModel).index.has(name);
  }

  /**
   * File rows of image names (caller order, repeats kept).
   * @throws {InvalidChoiceError} for an unknown name
   */
  rowsOf(model: EmbeddingModel, names: readonly string[]): Int32Array {
    const { ids, index } = this.#lookup(model);
    const rows = new Int32Array(names.length);
    names.forEach((n, i) => {
      const r = index.get(n);
      if (r === undefined) throw unknownName("image name", n, ids, `in the ${model} embeddings`);
      rows[i] = r;
    });
    return rows;
  }

  /** One image's embedding (`dim` values). */
  get<D extends EmbeddingDtype = "float32">(
    model: EmbeddingModel,
    name: string,
    options?: EmbeddingGetOptions<D>,
  ): EmbeddingArray<D>;
  /** Several images' embeddings, in the order given (repeats allowed). */
  get<D extends EmbeddingDtype = "float32">(
    model: EmbeddingModel,
    names: readonly string[],
    options?: EmbeddingGetOptions<D>,
  ): EmbeddingMatrix<D>;
  get<D extends EmbeddingDtype = "float32">(
    model: EmbeddingModel,
    names: string | readonly string[],
    options: EmbeddingGetOptions<D> = {},
  ): EmbeddingArray<D> | EmbeddingMatrix<D> {
    const dtype = options.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "float16") {
      throw new InvalidChoiceError("dtype", dtype, ["float32", "float16"]);
    }
    const list = typeof names === "string" ? [names] : names;
    const rows = this.rowsOf(model, list);
    const file = this.#file(model);
    const direct = this.#direct.get(model);
    let read;
    try {
      read = direct
        ? readContiguousRows(direct.file, direct.layout, rows)
        : readHdf5Rows(file, "embedding", rows, { signal: options.signal });
    } catch (e) {
      throw withRefetch(e, file.refetch);
    }
    const { data, rowLength } = read;
    const values =
      (dtype === "float16" ? data : Float32Array.from(data as Float16Array)) as EmbeddingArray<D>;
    if (typeof names === "string") return values;
    return { data: values, rows: list.length, cols: rowLength };
  }

  /** Closes the files. Idempotent. */
  close(): void {
    for (const f of this.#files.values()) f.close();
    for (const d of this.#direct.values()) {
      try {
        d.file.close();
      } catch { /* already closed */ }
    }
    this.#direct.clear();
  }

  /** Closes (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** One line. */
  toString(): string {
    return `Embeddings: ${this.models.map((m) => `${m} (${this.dim(m)})`).join(", ")}`;
  }

  /** The one-line summary in `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Shown as its one-line summary. */
  [JUPYTER_DISPLAY](): DisplayBundle {
    return summaryBundle(this.toString());
  }
}

/** The models of a `models` option, checked. */
export function checkModels(models: LoadEmbeddingsOptions["models"] = "all"): EmbeddingModel[] {
  const list = models === "all" ? [...EMBEDDING_MODELS] : typeof models === "string" ? [models] : [
    ...models,
  ];
  for (const m of list) {
    if (!(EMBEDDING_MODELS as readonly string[]).includes(m)) {
      throw new InvalidChoiceError("embedding model", m, EMBEDDING_MODELS);
    }
  }
  if (list.length === 0) throw new RangeError('models is empty; give "all" or model names.');
  return list;
}

/**
 * Opens the embedding files of `models` (public; the gated images are not needed).
 *
 * @throws {InvalidChoiceError} for an unknown model
 * @throws {StimuliNotDownloadedError} when a file is missing (names `laion-fmri download-embeddings MODEL ...` with the missing models only)
 * @example
 * ```ts
 * import { loadEmbeddings } from "@laion/fmri";
 * using emb = await loadEmbeddings({ models: "CLIP" });
 * console.log(emb.dim("CLIP"), emb.imageIds.length);
 * ```
 */
export async function loadEmbeddings(options: LoadEmbeddingsOptions = {}): Promise<Embeddings> {
  const models = checkModels(options.models);
  const dataDir = options.dataDir ?? getDataDir();
  const p = stimulusPaths(dataDir);
  // The command names only the missing models (not all four).
  const missing: EmbeddingModel[] = [];
  for (const m of models) if (!(await pathExists(p.embeddings(m)))) missing.push(m);
  const args = missing.length === EMBEDDING_MODELS.length ? [] : missing; // all four: the bare command
  const what = `Embeddings of ${missing.join(", ")}`;
  await requireFiles(missing.map(p.embeddings), what, "embeddings", options.signal, args);
  const files = new Map<EmbeddingModel, Hdf5File>();
  const direct = new Map<EmbeddingModel, { layout: Hdf5ContiguousLayout; file: Deno.FsFile }>();
  try {
    for (const m of models) {
      const path = p.embeddings(m);
      const refetch = stimulusRefetch("embeddings", dataDir, m);
      files.set(m, await Hdf5File.open(path, { signal: options.signal, refetch }));
      const layout = await contiguousLayoutOf(path, "embedding", options).catch((e) => {
        throw withRefetch(e, refetch);
      });
      if (layout) direct.set(m, { layout, file: await Deno.open(path) });
    }
  } catch (e) {
    for (const f of files.values()) f.close();
    for (const d of direct.values()) d.file.close();
    throw e;
  }
  return new Embeddings(files, direct);
}

/** Models whose embedding file is on disk. */
export async function modelsOnDisk(dataDir: string): Promise<EmbeddingModel[]> {
  const p = stimulusPaths(dataDir);
  const out: EmbeddingModel[] = [];
  for (const m of EMBEDDING_MODELS) {
    try {
      if ((await Deno.stat(p.embeddings(m))).isFile) out.push(m);
    } catch { /* absent */ }
  }
  return out;
}
