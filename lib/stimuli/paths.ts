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
/** Embedding models, as the `desc-` token of their file names (upstream's name). */
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
