/**
 * What a download fetches: upstream's key selection (root files, the
 * filtered GLMsingle prefix with the pinned brain mask, the ROI prefix
 * without the session filter, `stimuli/`), held-out keys removed first, local paths
 * bidsified and confined to the data directory.
 * @module
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { checkSubject, getSubjects } from "../bucket/discovery.ts";
import type { BucketObject } from "../bucket/source.ts";
import { GLMSINGLE_PREFIX, ROIS_PREFIX, ROOT_KEYS, STIMULI_PREFIX } from "../core/constants.ts";
import { SubjectNotFoundError } from "../core/errors.ts";
import { bidsifyLocalKey, isHeldOutKey } from "../core/ids.ts";
import { warn } from "../core/warnings.ts";
import { type DownloadFilters, matchesFilters, namesSession, sessionFilter } from "./filters.ts";

/** Folder inside the data directory that holds markers and the manifest. */
export const STATE_DIR = ".laion_fmri";

/**
 * One file a download will fetch (or find already complete).
 *
 * @example
 * ```ts
 * import { planDownload, type PlannedFile } from "@laion/fmri";
 * const files: PlannedFile[] = (await planDownload({ subject: "01", dataDir: "/data" })).files;
 * ```
 */
export interface PlannedFile {
  /** Bucket key, verbatim. */
  key: string;
  /** Listed size in bytes. */
  size: number;
  /** Listed ETag without quotes. */
  etag?: string;
  /** Absolute local destination (bidsified key under the data directory). */
  path: string;
}

/**
 * The result of {@linkcode planDownload}.
 *
 * @example
 * ```ts
 * import { type DownloadPlan, planDownload } from "@laion/fmri";
 * const plan: DownloadPlan = await planDownload({ subject: "01", session: "01", dataDir: "/data" });
 * ```
 */
export interface DownloadPlan {
  /** Absolute data directory. */
  dataDir: string;
  /** Subjects planned (normalized ids). */
  subjects: string[];
  /** Files to fetch, unique by key, in plan order. */
  files: PlannedFile[];
  /** Keys that could not be planned (outside the data dir, missing root files), with why. */
  refused: { key: string; error: string }[];
  /** Prefixes that matched nothing. */
  emptyPrefixes: string[];
}

/**
 * Options of {@linkcode planDownload}.
 *
 * @example
 * ```ts
 * import type { PlanOptions } from "@laion/fmri";
 * const o: PlanOptions = { subject: "all", suffix: "trials", dataDir: "/data" };
 * ```
 */
export interface PlanOptions extends DownloadFilters, BucketOptions {
  /** A subject id (`"sub-01"`), a bare value (`"01"`) or `"all"`. */
  subject: string;
  /** Also select `stimuli/`. @default false */
  includeStimuli?: boolean;
  /** Absolute or relative data directory (resolved). */
  dataDir: string;
}

/**
 * The pinned brain mask of a subject (R2mean map), always fetched when `session` names a session.
 *
 * @example
 * ```ts
 * import { brainMaskKey } from "./plan.ts";
 * brainMaskKey("sub-01"); // derivatives/glmsingle-tedana/sub-01/sub-01_..._desc-R2mean_statmap.nii.gz
 * ```
 */
export function brainMaskKey(subject: string): string {
  return `${GLMSINGLE_PREFIX}${subject}/${subject}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`;
}

/**
 * The local path of a key under `dataDir` (bidsified), or `undefined` when
 * it would resolve outside `dataDir` or into its `.laion_fmri/` folder.
 *
 * @example
 * ```ts
 * import { localPathFor } from "./plan.ts";
 * localPathFor("/data", "derivatives/rois/sub-01/face/sub-01_label-FFA-1_mask.nii.gz");
 * // "/data/derivatives/rois/sub-01/face/sub-01_label-FFA1_mask.nii.gz"
 * localPathFor("/data", "../etc/passwd"); // undefined
 * ```
 */
export function localPathFor(dataDir: string, key: string): string | undefined {
  const local = bidsifyLocalKey(key);
  if (
    local === "" || local.endsWith("/") || local.includes("\\") || local.includes("\0") ||
    isAbsolute(local) || local.split("/").some((p) => p === ".." || p === "." || p === "")
  ) return undefined;
  const root = resolve(dataDir);
  const path = resolve(root, local);
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  if (rel === STATE_DIR || rel.startsWith(STATE_DIR + sep)) return undefined;
  return path;
}

async function hasLocalData(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return true;
  } catch {
    return false;
  }
  return false;
}

/**
 * Chooses the files of a download, as upstream's `fetch_laion_fmri` does
 * (with its `ses`-drops-stimuli bug fixed; `session` is our name of `ses`). Listings go through
 * `getSource(...).list`, so repeated plans reuse them. Warns "No objects
 * matching the requested filters under s3://laion-fmri/{prefix}." for a
 * prefix that matched nothing when nothing is on disk there.
 *
 * @throws {SubjectNotFoundError} for an empty or unknown subject, or `"all"` when the bucket has no subjects
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @example
 * ```ts
 * import { planDownload } from "@laion/fmri";
 * const plan = await planDownload({ subject: "01", session: "01", dataDir: "/data" });
 * console.log(plan.files.length);
 * ```
 */
export async function planDownload(options: PlanOptions): Promise<DownloadPlan> {
  const source = getSource(options);
  const dataDir = resolve(options.dataDir);
  const signal = options.signal;
  const session = sessionFilter(options); // a bad combination fails before any request
  let subjects: string[];
  if (options.subject === "all") {
    subjects = await getSubjects({ source, signal });
    if (subjects.length === 0) {
      throw new SubjectNotFoundError(
        `subject "all": no subjects found in s3://${source.bucket}/ (under ` +
          `${GLMSINGLE_PREFIX} or ${ROIS_PREFIX}); nothing to download. Check the endpoint ` +
          `(${source.endpoint}).`,
      );
    }
  } else {
    // An id the bucket does not list would match nothing: say so, listing the valid ids.
    subjects = [await checkSubject(options.subject, { source, signal })];
  }
  // matchesFilters reads only the filter fields of the options.
  const filters: DownloadFilters = options;
  const noSession: DownloadFilters = { ...options, session: undefined, ses: undefined };
  const plan: DownloadPlan = { dataDir, subjects, files: [], refused: [], emptyPrefixes: [] };
  const seen = new Set<string>();
  const add = (o: BucketObject) => {
    if (seen.has(o.key)) return;
    seen.add(o.key);
    const path = localPathFor(dataDir, o.key);
    if (path === undefined) {
      plan.refused.push({
        key: o.key,
        error: `refused: s3://${source.bucket}/${o.key} would be written outside the data ` +
          `directory ${dataDir}`,
      });
      return;
    }
    plan.files.push({ key: o.key, size: o.size, etag: o.etag, path });
  };

  // Root files: always, unfiltered (sizes and ETags from the root listing).
  const root = await source.list("", { delimiter: "/", signal });
  for (const key of ROOT_KEYS) {
    const o = root.objects.find((x) => x.key === key);
    if (o) add(o);
    else {
      seen.add(key);
      plan.refused.push({
        key,
        error: `s3://${source.bucket}/${key} is not in the bucket listing`,
      });
    }
  }

  const filtered = async (prefix: string, f: DownloadFilters, force: Set<string>) => {
    const { objects } = await source.list(prefix, { signal });
    const usable = objects.filter((o) => !o.key.endsWith("/") && !isHeldOutKey(o.key));
    const matched = usable.filter((o) => matchesFilters(o.key, f));
    const kept = usable.filter((o) => force.has(o.key) || matched.includes(o));
    // The pinned brain mask alone does not count as a match of the filters.
    if (matched.length === 0) {
      plan.emptyPrefixes.push(prefix);
      if (!(await hasLocalData(join(dataDir, bidsifyLocalKey(prefix))))) {
        warn(`No objects matching the requested filters under s3://${source.bucket}/${prefix}.`);
      }
    }
    kept.forEach(add);
  };

  for (const subject of subjects) {
    const force = new Set(namesSession(session) ? [brainMaskKey(subject)] : []);
    await filtered(`${GLMSINGLE_PREFIX}${subject}/`, filters, force);
    await filtered(`${ROIS_PREFIX}${subject}/`, noSession, new Set());
  }
  if (options.includeStimuli) await filtered(STIMULI_PREFIX, noSession, new Set());
  return plan;
}
