/**
 * `download()`: consent, then upstream's key selection, then parallel,
 * resumable, verified transfers, with a progress bar or callback.
 * @module
 */
import {
  downloadStimuli,
  type DownloadStimuliOptions,
  type StimulusFileName,
} from "../access/stimuli.ts";
import { getBucketLayout } from "../bucket/layout.ts";
import type { BucketLayout } from "../core/constants.ts";
import { type DownloadBaseOptions, executeDownload } from "./execute.ts";
import type { DownloadFilters } from "./filters.ts";
import { sessionFilter } from "./filters.ts";
import { planCheckedDownload, type PlanOptions } from "./plan.ts";
import { checkSessionFilter } from "./session_check.ts";
import {
  downloadEmbeddings,
  type EmbeddingModel,
  resolveEmbeddingModels,
} from "./stimulus_side.ts";
import type { DownloadSummary } from "./transfer/options.ts";

/**
 * Options of {@linkcode download}: the filters, the bucket, the transfer
 * tuning, and what only a whole download has (subject, consent, progress).
 *
 * @example
 * ```ts
 * import { download, type DownloadOptions } from "@laion/fmri";
 * const o: DownloadOptions = { subject: "all", session: "averages", acceptLicense: true };
 * await download(o);
 * ```
 */
export interface DownloadOptions extends
  DownloadBaseOptions,
  DownloadFilters,
  Pick<
    PlanOptions,
    "includeAnatomical" | "includeFreesurfer" | "includeRaw" | "includeLocalizers"
  > {
  /**
   * Also download the stimuli: on the current layout the gated images and
   * their metadata through the access service, as {@linkcode downloadStimuli}
   * does (its form runs when no request id is cached); on the seed layout
   * the `stimuli/` prefix, after the stimulus terms. Paths in `summary.stimuli`.
   * @default false
   */
  includeStimuli?: boolean;
  /**
   * Also download image embeddings, as {@linkcode downloadEmbeddings}:
   * `true` for all four models, or the models to fetch. Paths in
   * `summary.embeddings`.
   * @default false
   */
  includeEmbeddings?: boolean | EmbeddingModel | readonly EmbeddingModel[];
  /**
   * How `includeStimuli` reaches the access service on the current layout:
   * its URL, the request-id file, form answers, a prompt.
   * @default the access service's defaults (`LAION_FMRI_ACCESS_URL`, a terminal form)
   */
  stimulusAccess?: Omit<DownloadStimuliOptions, "dataDir" | "signal" | "quiet">;
}

/** What {@linkcode download} did: the transfers, and the stimulus-side files it fetched. */
export interface DownloadResult extends DownloadSummary {
  /** With `includeStimuli` on the current layout: each stimulus file's local path, by name. */
  stimuli?: Partial<Record<StimulusFileName, string>>;
  /** With `includeEmbeddings`: each model's local path. */
  embeddings?: Partial<Record<EmbeddingModel, string>>;
}

/**
 * Downloads a subject's files (or every subject's, with `"all"`) into the
 * data directory, selected as upstream does: the root files, the subject's
 * GLMsingle outputs filtered by `session` (upstream: `ses`)/`task`/`space`/
 * `desc`/`stat`/`suffix`/`extension` (with the R2mean brain mask when
 * `session` names a session), its ROIs (every filter but `session`), on the
 * current layout the `res-1pt8` anatomical brain mask (the default loader
 * needs it), and per flag: `includeAnatomical`, `includeFreesurfer`,
 * `includeLocalizers` (whole prefixes), `includeRaw` (the raw BIDS tree,
 * filtered); then, as upstream does, `includeStimuli` (the access service's
 * gated images and metadata, or the seed's `stimuli/` prefix) and
 * `includeEmbeddings`. `summary.prefixes` says what happened under each
 * listed prefix.
 * Held-out sessions are never requested (the `oloc` localizer maps of
 * ses-31 are public and are). Nothing is fetched before consent.
 * Files are verified before they appear at their final path; complete files
 * (right size, recorded in the manifest) are skipped, partial ones resumed.
 * `verify: true` re-hashes the skipped ones and fetches again those whose
 * bytes differ (a same-size corruption); `force: true` fetches everything again.
 *
 * @throws {NoMatchingDataError} when the filters match nothing (and no `include*` flag widens the download)
 * @throws {LicenseNotAcceptedError} when consent is refused or cannot be asked
 * @throws {SubjectNotFoundError} for an empty subject id, or `"all"` with no subjects
 * @throws {DataDirNotSetError} when no data directory is configured or given
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @throws {UnknownSessionError} for a session the bucket does not list (before the license prompt)
 * @throws {HeldOutSessionError} for a held-out session, ses-31…ses-34 (before the license prompt)
 * @throws {PermissionMissingError} when `--allow-write` does not cover the data directory
 * @throws {DataDirNotWritableError} when the system refuses writes into the data directory
 * @example
 * ```ts
 * import { download } from "@laion/fmri";
 * const summary = await download({
 *   subject: "sub-01",
 *   session: "ses-01",
 *   suffix: ["statmap", "trials", "mask"],
 *   acceptLicense: true,
 * });
 * console.log(`${summary.downloaded} downloaded, ${summary.skipped} already there`);
 * ```
 */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  sessionFilter(options); // both `session` and `ses`: a TypeError before anything else
  const { includeEmbeddings: wanted } = options;
  // Unknown models are refused before any prompt or request.
  const models = wanted ? resolveEmbeddingModels(wanted === true ? "all" : wanted) : [];
  // An unknown or held-out session is refused from the bucket's listing, before the license prompt.
  const session = await checkSessionFilter({
    ...options,
    raw: options.includeRaw,
    localizers: options.includeLocalizers,
  });
  let layout: BucketLayout | undefined;
  let dataDir = "";
  const result: DownloadResult = await executeDownload(options, async (source, dir) => {
    dataDir = dir;
    layout = await getBucketLayout({ ...options, source });
    // The session filter is checked already: the planner does not list the sessions again.
    return await planCheckedDownload({ ...options, source, dataDir: dir }, { session });
  });
  // Upstream's order: the subjects, then the stimuli, then the embeddings.
  if (options.includeStimuli && layout === "current") {
    result.stimuli = await downloadStimuli({
      ...options.stimulusAccess,
      dataDir,
      signal: options.signal,
      quiet: options.quiet,
    });
  }
  if (models.length) {
    // The license is accepted by now; the stimulus terms are no business of the public embeddings.
    const { includeStimuli: _, ...rest } = options;
    result.embeddings = await downloadEmbeddings({ ...rest, dataDir, models });
  }
  return result;
}

/**
 * A one-paragraph text of a summary, as the CLI prints it.
 *
 * @example
 * ```ts
 * import { formatSummary } from "@laion/fmri";
 * console.log(formatSummary({ matched: 3, downloaded: 2, skipped: 1, resumed: 0, bytes: 2048, repaired: [], accessDenied: [], failures: [], prefixes: [] }));
 * ```
 */
export function formatSummary(s: DownloadSummary): string {
  const lines = [
    `Matched ${s.matched} file(s): ${s.downloaded} downloaded (${s.resumed} resumed), ` +
    `${s.skipped} already complete; ${(s.bytes / 1e6).toFixed(1)} MB transferred.`,
  ];
  if (s.repaired.length) {
    lines.push(`Repaired (local bytes differed from the bucket): ${s.repaired.length}`);
    for (const key of s.repaired) lines.push(`Repaired: ${key}`);
  }
  if (s.accessDenied.length) lines.push(`Access denied (skipped): ${s.accessDenied.length}`);
  for (const f of s.failures) lines.push(`Failed: ${f.key}: ${f.error}`);
  return lines.join("\n");
}
