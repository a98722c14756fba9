/**
 * What a download fetches: upstream's key selection (root files, the
 * filtered GLMsingle prefix with the pinned brain mask, the ROI prefix
 * without the session filter, `stimuli/`), held-out keys removed first, local paths
 * bidsified and confined to the data directory.
 * @module
 */
import { join, resolve } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { getBucketLayout } from "../bucket/layout.ts";
import {
  ANATOMICAL_PREFIX,
  FREESURFER_PREFIX,
  GLMSINGLE_PREFIX,
  LOCALIZERS_PREFIX,
  ROIS_PREFIX,
  STIMULI_PREFIX,
} from "../core/constants.ts";
import { NoMatchingDataError } from "../core/errors.ts";
import { bidsifyLocalKey } from "../core/ids.ts";
import { warn } from "../core/warnings.ts";
import { type DownloadFilters, matchesFilters, namesSession, sessionFilter } from "./filters.ts";
import { activeFilters, type DownloadPlan, PlanBuilder, planSubjects } from "./plan_builder.ts";
import { type CheckedSession, checkSessionFilter } from "./session_check.ts";

export {
  type DownloadPlan,
  localPathFor,
  type PlannedFile,
  type PrefixPlan,
  STATE_DIR,
} from "./plan_builder.ts";

/**
 * Options of {@linkcode planDownload}.
 *
 * @example
 * ```ts
 * import type { PlanOptions } from "@laion/fmri/download";
 * const o: PlanOptions = { subject: "all", suffix: "trials", dataDir: "/data" };
 * ```
 */
export interface PlanOptions extends DownloadFilters, BucketOptions {
  /** A subject id (`"sub-01"`), a bare value (`"01"`) or `"all"`. */
  subject: string;
  /** Also select `stimuli/` (seed layout only: now the access service serves the images). @default false */
  includeStimuli?: boolean;
  /** Also select the subject's whole `derivatives/anatomical/{sub}/` (T1w, T2w, brain masks; unfiltered). @default false */
  includeAnatomical?: boolean;
  /** Also select the subject's FreeSurfer recon, `derivatives/freesurfer/{sub}/` (unfiltered). @default false */
  includeFreesurfer?: boolean;
  /** Also select the subject's raw BIDS tree `{sub}/` with the same filters (`session` strict). @default false */
  includeRaw?: boolean;
  /** Also select the subject's localizer maps, `derivatives/localizers/{sub}/` (unfiltered). @default false */
  includeLocalizers?: boolean;
  /** Absolute or relative data directory (resolved). */
  dataDir: string;
}

/** The `include*` flags that widen a download to another prefix of the subject. */
const INCLUDES = [
  "includeAnatomical",
  "includeFreesurfer",
  "includeRaw",
  "includeLocalizers",
] as const satisfies readonly (keyof PlanOptions)[];

/** The filters of a download, in upstream's order (`ses` stands for `session` too). */
const FILTER_NAMES = ["ses", "task", "space", "desc", "stat", "suffix", "extension"] as const;
const DOWNLOAD_FILTERS = ["session", ...FILTER_NAMES] as const;

/**
 * The anatomical brain mask on the functional grid: the default brain mask
 * of the current layout, always downloaded there.
 *
 * @example
 * ```ts
 * import { anatomicalMaskKey } from "./plan.ts";
 * anatomicalMaskKey("sub-01");
 * // derivatives/anatomical/sub-01/ses-PrismaAnat/anat/sub-01_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz
 * ```
 */
export function anatomicalMaskKey(subject: string): string {
  return `${ANATOMICAL_PREFIX}${subject}/ses-PrismaAnat/anat/` +
    `${subject}_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz`;
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
 * Chooses the files of a download, as upstream's `fetch_laion_fmri` does
 * (with its `ses`-drops-stimuli bug fixed; `session` is our name of `ses`):
 * the root files, the GLMsingle prefix (filtered; the R2mean map pinned when
 * `session` names a session), the ROI prefix (filtered without `session`)
 * and, per `include*` flag, the anatomical, FreeSurfer, raw and localizer
 * prefixes. On the current layout the `res-1pt8` anatomical brain mask is
 * always selected (upstream's default download missed it). Held-out keys are
 * dropped first (the `oloc` localizer maps of ses-31 are public). Listings go
 * through `getSource(...).list`, so repeated plans reuse them. Warns "No
 * objects matching the requested filters under s3://laion-fmri/{prefix}."
 * for a filtered prefix that matched nothing when nothing is on disk there.
 *
 * @throws {NoMatchingDataError} when neither the GLMsingle nor the ROI prefix matches and no `include*` flag is set
 * @throws {SubjectNotFoundError} for an empty or unknown subject, or `"all"` when the bucket has no subjects
 * @throws {UnknownSessionError} for a session the bucket does not list for the subject (lists the valid ones)
 * @throws {HeldOutSessionError} for a held-out session (ses-31…ses-34; with `includeLocalizers`, ses-31's public maps are allowed)
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @example
 * ```ts
 * import { planDownload } from "@laion/fmri/download";
 * const plan = await planDownload({ subject: "01", session: "01", dataDir: "/data" });
 * console.log(plan.files.length);
 * ```
 */
export function planDownload(options: PlanOptions): Promise<DownloadPlan> {
  return planCheckedDownload(options);
}

/**
 * {@linkcode planDownload}, given the session filter `download()` checked
 * before the license prompt (its listings are not read a second time).
 * @internal
 */
export async function planCheckedDownload(
  options: PlanOptions,
  checked?: CheckedSession,
): Promise<DownloadPlan> {
  const source = getSource(options);
  const dataDir = resolve(options.dataDir);
  const signal = options.signal;
  sessionFilter(options); // a bad combination fails before any request
  // An id the bucket does not list would match nothing: say so, listing the valid ids.
  const subjects = await planSubjects(options.subject, source, signal);
  // So would an unknown or held-out session (only the ROI masks would come): the same.
  const session = checked ? checked.session : await checkSessionFilter({
    ...options,
    source,
    raw: options.includeRaw,
    localizers: options.includeLocalizers,
  });
  const layout = await getBucketLayout({ ...options, source });
  const asked: DownloadFilters = pick(options, DOWNLOAD_FILTERS);
  const filters: DownloadFilters = { ...asked, session, ses: undefined };
  const noSession: DownloadFilters = { ...filters, session: undefined, ses: undefined };
  const builder = new PlanBuilder(source, dataDir, subjects, signal);
  await builder.addRoot();
  const anyInclude = INCLUDES.some((name) => options[name] === true);
  const all = () => true;

  for (const subject of subjects) {
    const glmPrefix = `${GLMSINGLE_PREFIX}${subject}/`;
    const roiPrefix = `${ROIS_PREFIX}${subject}/`;
    const force = new Set(namesSession(session) ? [brainMaskKey(subject)] : []);
    // The pinned brain mask alone does not count as a match of the filters.
    const glm = await builder.addPrefix(glmPrefix, (k) => matchesFilters(k, filters), force);
    const rois = await builder.addPrefix(roiPrefix, (k) => matchesFilters(k, noSession));
    if (glm + rois === 0 && !anyInclude) {
      throw new NoMatchingDataError(
        `No LAION-fMRI files matched subject='${subject}' with filters ` +
          `(${activeFilters(asked, FILTER_NAMES)}) under s3://${source.bucket}/${glmPrefix} ` +
          `or s3://${source.bucket}/${roiPrefix}. Check the subject ID and BIDS filters.`,
      );
    }
    for (const [prefix, n] of [[glmPrefix, glm], [roiPrefix, rois]] as const) {
      if (n === 0 && !(await hasLocalData(join(dataDir, bidsifyLocalKey(prefix))))) {
        warn(`No objects matching the requested filters under s3://${source.bucket}/${prefix}.`);
      }
    }
    if (options.includeFreesurfer) await builder.addPrefix(`${FREESURFER_PREFIX}${subject}/`, all);
    const anatomical = `${ANATOMICAL_PREFIX}${subject}/`;
    // Upstream's bug fixed: the default loader of the current layout needs this mask.
    const anatomicalMask = new Set(layout === "current" ? [anatomicalMaskKey(subject)] : []);
    if (options.includeAnatomical) await builder.addPrefix(anatomical, all);
    else if (anatomicalMask.size) await builder.addPrefix(anatomical, () => false, anatomicalMask);
    if (options.includeRaw) {
      await builder.addPrefix(`${subject}/`, (k) => matchesFilters(k, filters));
    }
    if (options.includeLocalizers) await builder.addPrefix(`${LOCALIZERS_PREFIX}${subject}/`, all);
  }
  // On the current layout the images are gated: download() fetches them through the access service.
  if (options.includeStimuli && layout === "seed") {
    const n = await builder.addPrefix(STIMULI_PREFIX, (k) => matchesFilters(k, noSession));
    if (n === 0 && !(await hasLocalData(join(dataDir, STIMULI_PREFIX)))) {
      warn(
        `No objects matching the requested filters under s3://${source.bucket}/${STIMULI_PREFIX}.`,
      );
    }
  }
  return builder.plan;
}

async function hasLocalData(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return true;
  } catch {
    return false;
  }
  return false;
}

function pick<T extends object>(o: T, names: readonly (keyof T)[]): T {
  const out = {} as T;
  for (const n of names) if (o[n] !== undefined) out[n] = o[n];
  return out;
}
