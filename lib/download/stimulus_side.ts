/**
 * The public (CC0) stimulus-side files: image embeddings, captions and
 * segmentation masks under `stimuli/` (upstream's `download_embeddings`,
 * `download_captions`, `download_segmentations`). Anonymous S3 through the
 * bucket source and the transfer machinery of `download()`; the gated
 * images are neither needed nor touched.
 * @module
 */
import { join } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { STIMULI_PREFIX } from "../core/constants.ts";
import {
  AccessDeniedError,
  InvalidChoiceError,
  NoMatchingDataError,
  S3RequestError,
} from "../core/errors.ts";
import { requireDataDir } from "../local/config.ts";
import { ensureConsent, type PromptFunction } from "./consent.ts";
import { localPathFor, type PlannedFile, STATE_DIR } from "./plan_builder.ts";
import { barEnabled, type DownloadProgress, ProgressReporter } from "./progress.ts";
import type { TransferTuning } from "./transfer/options.ts";
import { notWritable } from "./transfer/not_writable.ts";
import { transferFiles } from "./transfer/transfer_files.ts";
import { EMBEDDING_MODELS, type EmbeddingModel } from "../core/constants.ts";

export { EMBEDDING_MODELS, type EmbeddingModel } from "../core/constants.ts";

/**
 * The bucket key of a model's embeddings.
 *
 * @example
 * ```ts
 * import { embeddingKey } from "@laion/fmri/download";
 * embeddingKey("CLIP"); // "stimuli/task-images_desc-CLIP_embeddings.h5"
 * ```
 */
export function embeddingKey(model: EmbeddingModel): string {
  return `${STIMULI_PREFIX}task-images_desc-${model}_embeddings.h5`;
}

/** The captions table's key. */
export const CAPTIONS_KEY = `${STIMULI_PREFIX}task-images_desc-captions.csv`;
/** The segmentation masks' key. */
export const SEGMENTATIONS_KEY = `${STIMULI_PREFIX}task-images_desc-segmentations.h5`;
/** The segmentation metadata's key. */
export const SEGMENTATIONS_METADATA_KEY =
  `${STIMULI_PREFIX}task-images_desc-segmentations_metadata.csv`;

/**
 * Options of the stimulus-side downloads: consent, progress, data
 * directory, bucket and transfer tuning (those of `download()`, without a subject).
 *
 * @example
 * ```ts
 * import { downloadCaptions, type StimulusSideOptions } from "@laion/fmri";
 * const o: StimulusSideOptions = { dataDir: "/data", acceptLicense: true, quiet: true };
 * await downloadCaptions(o);
 * ```
 */
export interface StimulusSideOptions extends BucketOptions, TransferTuning {
  /** Accept the dataset license (CC0) without a prompt. @default false */
  acceptLicense?: boolean;
  /** Asks for consent. @default a terminal prompt when stdin is a terminal */
  prompt?: PromptFunction;
  /** Receives progress as the files arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** No progress bar and no status lines. @default false */
  quiet?: boolean;
  /** The data directory (the license marker is written there too). @default the configured one */
  dataDir?: string;
}

/** Fetches `keys` of `stimuli/` into the data directory; returns their local paths by key. */
async function fetchStimulusKeys(
  keys: readonly string[],
  what: string,
  noun: string,
  options: StimulusSideOptions,
): Promise<Map<string, string>> {
  const say = (s: string) => {
    if (!options.quiet) console.log(s);
  };
  // A missing data directory is an error, never created (see requireDataDir).
  const dataDir = await requireDataDir(options.dataDir);
  await ensureConsent({ ...options, dataDir }).catch((e) => {
    throw notWritable(e, dataDir, join(dataDir, STATE_DIR)) ?? e;
  });
  const source = getSource(options);
  const { objects } = await source.list(STIMULI_PREFIX, { signal: options.signal });
  const files: PlannedFile[] = [];
  let needed = 0;
  for (const key of keys) {
    const o = objects.find((x) => x.key === key);
    if (!o) {
      throw new NoMatchingDataError(
        `${noun} file '${key}' not found on s3://${source.bucket}/ (at ${source.endpoint}). ` +
          `Has it been uploaded yet?`,
      );
    }
    const path = localPathFor(dataDir, key)!;
    files.push({ key, size: o.size, etag: o.etag, path });
    const local = await Deno.stat(path).catch(() => undefined);
    if (local?.size !== o.size) needed++;
  }
  if (needed === 0 && !options.force && !options.verify) {
    say(`[laion-fmri] ${what} already up to date.`);
  } else {
    const n = needed || files.length;
    say(
      keys.length === 1 && what === "captions"
        ? "[laion-fmri] Downloading captions file:"
        : `[laion-fmri] Downloading ${n} ${noun.toLowerCase()} file(s):`,
    );
  }
  const reporter = new ProgressReporter({
    bar: barEnabled(options.quiet),
    onProgress: options.onProgress,
  });
  let summary;
  try {
    summary = await transferFiles(source, dataDir, files, {
      ...options,
      onProgress: (p) => reporter.update(p),
    });
  } finally {
    reporter.finish();
  }
  if (summary.accessDenied.length) {
    throw new AccessDeniedError(source.bucket, summary.accessDenied[0], {
      endpoint: source.endpoint,
    });
  }
  if (summary.failures.length) {
    const f = summary.failures[0];
    throw new S3RequestError(
      `Could not download s3://${source.bucket}/${f.key}: ${f.error}. Run the same call again ` +
        `to resume.`,
      undefined,
      1,
    );
  }
  return new Map(files.map((f) => [f.key, f.path]));
}

/**
 * The models of a `models` argument: `"all"` → every model; one name or a
 * list → those, checked (exact case).
 *
 * @throws {InvalidChoiceError} naming the unknown model(s) and listing the valid ones
 * @example
 * ```ts
 * import { resolveEmbeddingModels } from "@laion/fmri/download";
 * resolveEmbeddingModels("all"); // ["CLIP", "DINOv2", "PEcore", "SigLIP2"]
 * ```
 */
export function resolveEmbeddingModels(
  models: "all" | string | readonly string[] = "all",
): EmbeddingModel[] {
  if (models === "all") return [...EMBEDDING_MODELS];
  const list = typeof models === "string" ? [models] : [...models];
  const unknown = list.filter((m) => !(EMBEDDING_MODELS as readonly string[]).includes(m));
  if (unknown.length || list.length === 0) {
    throw new InvalidChoiceError(
      "embedding model(s)",
      unknown.length === 1 ? unknown[0] : unknown,
      EMBEDDING_MODELS,
      "Model names are case-sensitive.",
    );
  }
  return [...new Set(list)] as EmbeddingModel[];
}

/**
 * Downloads image embeddings (`stimuli/task-images_desc-{model}_embeddings.h5`,
 * public, CC0) into the data directory; files already there with the listed
 * size are skipped. Returns each requested model's local path.
 *
 * @throws {InvalidChoiceError} for an unknown model (before anything else)
 * @throws {NoMatchingDataError} when a requested file is not in the bucket
 * @throws {LicenseNotAcceptedError} when the dataset license is refused or cannot be asked
 * @example
 * ```ts
 * import { downloadEmbeddings } from "@laion/fmri";
 * const paths = await downloadEmbeddings({ models: ["CLIP", "SigLIP2"], acceptLicense: true });
 * console.log(paths.CLIP);
 * ```
 */
export async function downloadEmbeddings(
  options: StimulusSideOptions & {
    /** `"all"`, one model, or a list. @default "all" */
    models?: "all" | EmbeddingModel | readonly EmbeddingModel[];
  } = {},
): Promise<Partial<Record<EmbeddingModel, string>>> {
  const models = resolveEmbeddingModels(options.models);
  const paths = await fetchStimulusKeys(
    models.map(embeddingKey),
    "embeddings",
    "Embedding",
    options,
  );
  return Object.fromEntries(models.map((m) => [m, paths.get(embeddingKey(m))!]));
}

/**
 * Downloads the captions table (`stimuli/task-images_desc-captions.csv`,
 * public, CC0) and returns its local path.
 *
 * @throws {NoMatchingDataError} when the file is not in the bucket
 * @throws {LicenseNotAcceptedError} when the dataset license is refused or cannot be asked
 * @example
 * ```ts
 * import { downloadCaptions } from "@laion/fmri";
 * console.log(await downloadCaptions({ acceptLicense: true }));
 * ```
 */
export async function downloadCaptions(options: StimulusSideOptions = {}): Promise<string> {
  const paths = await fetchStimulusKeys([CAPTIONS_KEY], "captions", "Captions", options);
  return paths.get(CAPTIONS_KEY)!;
}

/**
 * Downloads the segmentation masks and their metadata
 * (`stimuli/task-images_desc-segmentations.h5` and `..._metadata.csv`,
 * public, CC0) and returns both local paths.
 *
 * @throws {NoMatchingDataError} when a file is not in the bucket
 * @throws {LicenseNotAcceptedError} when the dataset license is refused or cannot be asked
 * @example
 * ```ts
 * import { downloadSegmentations } from "@laion/fmri";
 * const { h5, metadata } = await downloadSegmentations({ acceptLicense: true });
 * ```
 */
export async function downloadSegmentations(
  options: StimulusSideOptions = {},
): Promise<{ h5: string; metadata: string }> {
  const keys = [SEGMENTATIONS_KEY, SEGMENTATIONS_METADATA_KEY];
  const paths = await fetchStimulusKeys(keys, "segmentations", "Segmentation", options);
  return { h5: paths.get(SEGMENTATIONS_KEY)!, metadata: paths.get(SEGMENTATIONS_METADATA_KEY)! };
}
