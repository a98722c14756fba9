/**
 * Queues the `stimuli/` files of the current layout (upstream-era-c.md
 * §1.2) and returns their ground truth (`ground-truth/stimuli.json`).
 * @module
 */
import { writeHdf5 } from "./hdf5/write.ts";
import type { SynthSize } from "./geometry.ts";
import type { LayoutSink } from "./sink.ts";
import { fileQueue } from "./sink.ts";
import type { StimulusPools } from "./trials.ts";
import { familyOf, isOod, metadataCsv, stimulusSet } from "./stimuli_set.ts";
import { EMBEDDING_MODELS, embeddingDatasets } from "./stimuli_embeddings.ts";
import { encodeImages, JPEG_QUALITY, knownPixelImage } from "./stimuli_images.ts";
import { captionCounts, captionsCsv } from "./stimuli_captions.ts";
import { segmentations } from "./stimuli_masks.ts";

/** Keys of the stimulus files. */
export const stimuliKeys = {
  images: "stimuli/task-images_stimuli.h5",
  metadata: "stimuli/task-images_metadata.csv",
  embeddings: (model: string) => `stimuli/task-images_desc-${model}_embeddings.h5`,
  captions: "stimuli/task-images_desc-captions.csv",
  segmentations: "stimuli/task-images_desc-segmentations.h5",
  segmentationsMetadata: "stimuli/task-images_desc-segmentations_metadata.csv",
} as const;

/** Ground truth of the stimulus files (`ground-truth/stimuli.json`). */
export interface StimuliTruth {
  size: SynthSize;
  seed: number;
  keys: string[];
  /** The only key the bucket policy keeps from anonymous readers. */
  gatedKey: string;
  nImages: number;
  nShared: number;
  nUnique: number;
  nOod: number;
  /** Images per family (`shared_12rep_LAION`, ..., `unique_THINGS+`). */
  families: Record<string, number>;
  nPng: number;
  nJpeg: number;
  /** Side of the square images (pixels); the real ones are 1000. */
  imageSize: number;
  jpegQuality: number;
  /** The first PNG (metadata order) with upstream's fixture pixels. */
  knownPixelPng: { name: string; row: number } | null;
  /** Metadata row names in order (small profile) or the first 20 (realistic). */
  names: string[];
  embeddings: {
    models: { name: string; dim: number; normalized: boolean }[];
    /** `embeddingOrder[e]` = metadata row of embedding row `e`. */
    embeddingOrder: number[];
  };
  captions: {
    nRows: number;
    /** Rows per image by kind. */
    perImage: { sharedNonOod: number; sharedOod: number; unique: number };
    nAi: number;
  };
  segmentations: {
    nMasks: number;
    nLocalized: number;
    nImages: number;
    perImage: Record<string, number>;
  };
}

/**
 * Queues the stimulus files on the sink and returns their ground truth.
 *
 * @example
 * ```ts
 * // inside generateDataset: const truth = addStimuliLayout(sink, "small", 1, pools);
 * ```
 */
export function addStimuliLayout(
  sink: LayoutSink,
  size: SynthSize,
  seed: number,
  pools: StimulusPools,
): StimuliTruth {
  const { signal } = sink;
  const { file } = fileQueue(sink);
  const set = stimulusSet(pools, size, seed);
  const names = set.rows.map((r) => r.image_name);

  file(stimuliKeys.metadata, () => metadataCsv(set));
  file(stimuliKeys.captions, () => captionsCsv(set, seed));
  for (const model of EMBEDDING_MODELS) {
    sink.bigTask(async () =>
      writeHdf5(
        await sink.path(stimuliKeys.embeddings(model.name)),
        embeddingDatasets(set, seed, model),
        { signal },
      )
    );
  }
  const seg = segmentations(set, seed, size === "realistic");
  sink.bigTask(async () =>
    writeHdf5(await sink.path(stimuliKeys.segmentations), seg.datasets, { signal })
  );
  file(stimuliKeys.segmentationsMetadata, () => seg.csv);
  sink.bigTask(async () => {
    const images = await encodeImages(set, seed, signal);
    await writeHdf5(await sink.path(stimuliKeys.images), [
      { name: "images", dtype: "vlen-uint8", shape: [images.length], data: images },
    ], { signal });
  });

  const families: Record<string, number> = {};
  for (const n of names) families[familyOf(n)] = (families[familyOf(n)] ?? 0) + 1;
  const known = knownPixelImage(set);
  const nShared = set.rows.filter((r) => r.unique_or_shared === "shared").length;
  const nAi = names.filter((n) => captionCounts(n)[1] > 0).length;
  const nRows = names.reduce((a, n) => a + captionCounts(n)[0] + captionCounts(n)[1], 0);
  return {
    size,
    seed,
    keys: [
      stimuliKeys.images,
      stimuliKeys.metadata,
      ...EMBEDDING_MODELS.map((m) => stimuliKeys.embeddings(m.name)),
      stimuliKeys.captions,
      stimuliKeys.segmentations,
      stimuliKeys.segmentationsMetadata,
    ].sort(),
    gatedKey: stimuliKeys.images,
    nImages: names.length,
    nShared,
    nUnique: names.length - nShared,
    nOod: names.filter(isOod).length,
    families,
    nPng: names.filter((n) => n.endsWith(".png")).length,
    nJpeg: names.filter((n) => !n.endsWith(".png")).length,
    imageSize: set.imageSize,
    jpegQuality: JPEG_QUALITY,
    knownPixelPng: known ? { name: known, row: names.indexOf(known) } : null,
    names: size === "realistic" ? names.slice(0, 20) : names,
    embeddings: {
      models: EMBEDDING_MODELS.map((m) => ({ ...m })),
      embeddingOrder: set.embeddingOrder,
    },
    captions: {
      nRows,
      perImage: { sharedNonOod: 6, sharedOod: 5, unique: 3 },
      nAi,
    },
    segmentations: {
      nMasks: seg.nMasks,
      nLocalized: seg.nLocalized,
      nImages: Object.keys(seg.perImage).length,
      perImage: seg.perImage,
    },
  };
}
