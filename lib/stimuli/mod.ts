/**
 * The stimulus side in full: the gated images with their metadata
 * (`Stimuli`, `StimulusImages`, `StimulusImage`), the embeddings, captions and
 * segmentations, and image decoding composited the way the images were shown
 * (on grey, as Pillow does). The loaders themselves are also in the main
 * module.
 *
 * @example
 * ```ts
 * import { decodeImage, PRESENTATION_BACKGROUND_RGB8 } from "@laion/fmri/stimuli";
 * const bytes = await Deno.readFile("shared_0001.png");
 * const pixels = await decodeImage(bytes); // transparent pixels on grey, as shown
 * console.log(pixels.width, pixels.height, PRESENTATION_BACKGROUND_RGB8);
 * ```
 * @module
 */
export { EMBEDDING_MODELS, type EmbeddingModel } from "../core/constants.ts";
export {
  type ImageBatch,
  type ImageOptions,
  loadStimuli,
  type LoadStimuliOptions,
  readStimulusMetadata,
  Stimuli,
  StimulusImages,
  type StimulusKey,
  type StimulusSet,
} from "./stimuli.ts";
export {
  type EmbeddingArray,
  type EmbeddingDtype,
  type EmbeddingGetOptions,
  type EmbeddingMatrix,
  Embeddings,
  loadEmbeddings,
  type LoadEmbeddingsOptions,
} from "./embeddings.ts";
export { CAPTION_SOURCES, Captions, type CaptionSource, loadCaptions } from "./captions.ts";
export { loadSegmentations, type Mask, Segmentations } from "./segmentations.ts";
export { type Pixels, StimulusImage } from "./image.ts";
export { decodeImage, type DecodeOptions } from "./decode.ts";
export { AVAILABLE_MODELS, PRESENTATION_BACKGROUND_RGB8 } from "./paths.ts";
