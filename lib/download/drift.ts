/**
 * Upstream's data-directory drift warning (`_check_data_dir_drift`): two
 * downloads into different configured data directories leave two trees.
 * @module
 */
import { warn } from "../core/warnings.ts";

// The configured data directory of the previous download() or downloadRaw() call.
let lastDataDir: string | undefined;

/**
 * Warns when `dataDir` differs from the one of the previous call, then
 * remembers it. Called by `download` and `downloadRaw` when they use the
 * configured data directory (an explicit `dataDir` option is deliberate).
 *
 * @example
 * ```ts
 * import { checkDataDirDrift } from "./drift.ts";
 * checkDataDirDrift("/data/a");
 * checkDataDirDrift("/data/b"); // warns: "The configured data directory changed ..."
 * ```
 */
export function checkDataDirDrift(dataDir: string): void {
  if (lastDataDir !== undefined && lastDataDir !== dataDir) {
    warn(
      `The configured data directory changed between download() calls (was '${lastDataDir}', ` +
        `now '${dataDir}'). Files from the earlier call live under the old path; rerun ` +
        `datasetInitialize(...) and re-download if you want one consolidated tree.`,
    );
  }
  lastDataDir = dataDir;
}

/**
 * Forgets the previous data directory (the next call never warns), as
 * upstream's tests reset `_LAST_DATA_DIR`.
 *
 * @example
 * ```ts
 * import { resetDataDirDrift } from "./drift.ts";
 * resetDataDirDrift();
 * ```
 */
export function resetDataDirDrift(): void {
  lastDataDir = undefined;
}
