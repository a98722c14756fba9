/**
 * Predefined train/test splits of the LAION-fMRI stimulus set
 * (upstream `laion_fmri.splits`): the catalogue (names, pools, OOD types),
 * loading, train/test ids and per-trial masks. The everyday calls are also in
 * the main module. Re-exports only.
 *
 * @example
 * ```ts
 * import { listOodTypes, listPools, loadSplit } from "@laion/fmri/splits";
 * console.log(listPools(), listOodTypes());
 * const split = await loadSplit("tau", { pool: "shared" });
 * console.log(split.nTest);
 * ```
 * @module
 */
export {
  listOodTypes,
  listPools,
  listSplits,
  type ListSplitsOptions,
  OOD_TYPES,
  type OodType,
  oodTypeOf,
  POOLED_POOL,
  POOLED_SPLIT_NAMES,
  type PooledSplitName,
  SPLIT_NAMES,
  SPLIT_POOLS,
  type SplitFamily,
  splitFamilyOf,
  type SplitName,
  type SplitPool,
} from "./catalogue.ts";
export {
  getTrainTestIds,
  loadAllSplits,
  loadSplit,
  type LoadSplitOptions,
  type SplitSelectOptions,
  type TrainTestIds,
} from "./api.ts";
export { SplitNotInPoolError } from "./api.ts";
export { getSplitMasks, type SplitMaskInput, SplitMasks } from "./masks.ts";
export { Split, type SplitInit, SplitVariant } from "./split.ts";
export { clearSplitCache, SPLITS_DIR_ENV, SplitsNotInstalledError } from "./source.ts";
