/**
 * Where the stimulus-side files live below a data directory
 * (upstream-era-c.md §1.2), which command fetches each, and the
 * {@linkcode StimuliNotDownloadedError} a missing one raises.
 * @module
 */
import { join } from "node:path";
import { StimuliNotDownloadedError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";

import { EMBEDDING_MODELS, type EmbeddingModel } from "../core/constants.ts";
/**
 * Upstream's name of {@linkcode EMBEDDING_MODELS}: the same array.
 *
 * @deprecated Use `EMBEDDING_MODELS` (from `@laion/fmri`); this alias is kept for code written
 * against upstream's `AVAILABLE_MODELS`.
 * @example
 * ```ts
 * import { AVAILABLE_MODELS } from "@laion/fmri/stimuli";
 * console.log(AVAILABLE_MODELS); // ["CLIP", "DINOv2", "PEcore", "SigLIP2"]
 * ```
 */
export const AVAILABLE_MODELS: typeof EMBEDDING_MODELS = EMBEDDING_MODELS;
export type { EmbeddingModel };

/** The grey the images were shown on (RGB), used to flatten transparent pixels. */
export const PRESENTATION_BACKGROUND_RGB8 = [128, 128, 128] as const;

/** Paths of the stimulus-side files below `dataDir`. */
export function stimulusPaths(dataDir: string): {
  dir: string;
  images: string;
  metadata: string;
  captions: string;
  segmentations: string;
  segmentationsMetadata: string;
  embeddings: (model: EmbeddingModel) => string;
} {
  const dir = join(dataDir, "stimuli");
  return {
    dir,
    images: join(dir, "task-images_stimuli.h5"),
    metadata: join(dir, "task-images_metadata.csv"),
    captions: join(dir, "task-images_desc-captions.csv"),
    segmentations: join(dir, "task-images_desc-segmentations.h5"),
    segmentationsMetadata: join(dir, "task-images_desc-segmentations_metadata.csv"),
    embeddings: (model) => join(dir, `task-images_desc-${model}_embeddings.h5`),
  };
}

/** The CLI commands that fetch each kind of stimulus file. */
export const STIMULUS_COMMANDS = {
  stimuli: "laion-fmri download-stimuli",
  embeddings: "laion-fmri download-embeddings",
  captions: "laion-fmri download-captions",
  segmentations: "laion-fmri download-segmentations",
} as const;

/**
 * The call (and CLI command) that fetches a damaged stimulus-side file
 * again, quoted in its `MalformedFileError`: the public files
 * with `verify: true` (re-hash, fetch again what differs), the gated images
 * by forgetting the hash recorded beside them so that `downloadStimuli`
 * hashes the file again and fetches it again if it differs.
 *
 * @example
 * ```ts
 * import { stimulusRefetch } from "./paths.ts";
 * stimulusRefetch("embeddings", "/data", "DINOv2");
 * // downloadEmbeddings({ models: ["DINOv2"], dataDir: "/data", verify: true, acceptLicense: true })
 * //  or: laion-fmri download-embeddings DINOv2 --verify --accept-license
 * ```
 */
export function stimulusRefetch(
  kind: "stimuli" | "embeddings" | "segmentations",
  dataDir: string,
  model?: EmbeddingModel,
): string {
  const dir = JSON.stringify(dataDir);
  if (kind === "embeddings") {
    return `downloadEmbeddings({ models: [${JSON.stringify(model)}], dataDir: ${dir}, ` +
      `verify: true, acceptLicense: true })\n or: ${STIMULUS_COMMANDS.embeddings} ${model} ` +
      `--verify --accept-license`;
  }
  if (kind === "segmentations") {
    return `downloadSegmentations({ dataDir: ${dir}, verify: true, acceptLicense: true })\n or: ` +
      `${STIMULUS_COMMANDS.segmentations} --verify --accept-license`;
  }
  const sidecar = `${stimulusPaths(dataDir).images}.sha256`;
  return `Deno.removeSync(${JSON.stringify(sidecar)}); await downloadStimuli({ dataDir: ${dir} })` +
    ` (hashes the file again, fetches it again if it differs)\n or: rm '${sidecar}' && ` +
    `${STIMULUS_COMMANDS.stimuli} --data-dir '${dataDir}'`;
}

/**
 * Throws {@linkcode StimuliNotDownloadedError} naming the first missing
 * path and the command that fetches it (with `args`, e.g. the missing
 * embedding models, so that it fetches only those).
 *
 * @example
 * ```ts
 * import { requireFiles, stimulusPaths } from "./paths.ts";
 * const p = stimulusPaths("/data");
 * await requireFiles([p.captions], "Captions", "captions");
 * ```
 */
export async function requireFiles(
  paths: readonly string[],
  what: string,
  kind: keyof typeof STIMULUS_COMMANDS,
  signal?: AbortSignal,
  args: readonly string[] = [],
): Promise<void> {
  for (const path of paths) {
    signal?.throwIfAborted();
    if (await pathExists(path)) continue;
    const cliCommand = [STIMULUS_COMMANDS[kind], ...args].join(" ");
    const request = kind === "stimuli"
      ? " (the images are gated: see https://laion-fmri.hebartlab.com/request)"
      : "";
    throw new StimuliNotDownloadedError(
      `${what} not found at ${path}. Run \`${cliCommand}\` first${request}.`,
      { path, cliCommand },
    );
  }
}
