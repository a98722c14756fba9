/**
 * `downloadRaw()`: upstream's `download_raw` / `fetch_laion_fmri_raw`, the
 * raw BIDS tree `{sub}/` filtered by session, task, run, echo, part, suffix
 * and extension.
 * @module
 */
import { resolve } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { NoMatchingDataError } from "../core/errors.ts";
import { type DownloadBaseOptions, executeDownload } from "./execute.ts";
import { matchesFilters, type RawDownloadFilters, sessionFilter } from "./filters.ts";
import { activeFilters, type DownloadPlan, PlanBuilder, planSubjects } from "./plan_builder.ts";
import { type CheckedSession, checkSessionFilter } from "./session_check.ts";
import type { DownloadSummary } from "./transfer/options.ts";

/** The raw filters, in upstream's order (`ses` stands for `session` too). */
const RAW_FILTERS = ["ses", "task", "run", "echo", "part", "suffix", "extension"] as const;

/**
 * Options of {@linkcode planRawDownload}.
 *
 * @example
 * ```ts
 * import type { RawPlanOptions } from "@laion/fmri/download";
 * const o: RawPlanOptions = { subject: "01", session: "01", suffix: "events", dataDir: "/data" };
 * ```
 */
export interface RawPlanOptions extends RawDownloadFilters, BucketOptions {
  /** A subject id (`"sub-01"`), a bare value (`"01"`) or `"all"`. */
  subject: string;
  /** Absolute or relative data directory (resolved). */
  dataDir: string;
}

/**
 * Chooses the files of a raw download: the root files and the public keys
 * of each subject's `{sub}/` tree that pass the filters.
 *
 * @throws {NoMatchingDataError} when a subject's raw tree has no matching key
 * @throws {SubjectNotFoundError} for an empty or unknown subject
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @example
 * ```ts
 * import { planRawDownload } from "@laion/fmri/download";
 * const plan = await planRawDownload({ subject: "01", session: "01", run: "01", dataDir: "/data" });
 * console.log(plan.files.length);
 * ```
 */
export function planRawDownload(options: RawPlanOptions): Promise<DownloadPlan> {
  return planCheckedRawDownload(options);
}

/**
 * {@linkcode planRawDownload}, given the session filter `downloadRaw()`
 * checked before the license prompt (its listings are not read a second time).
 */
async function planCheckedRawDownload(
  options: RawPlanOptions,
  checked?: CheckedSession,
): Promise<DownloadPlan> {
  sessionFilter(options);
  const source = getSource(options);
  const subjects = await planSubjects(options.subject, source, options.signal);
  const asked: RawDownloadFilters = {};
  for (const name of ["session", ...RAW_FILTERS] as const) {
    if (options[name] !== undefined) asked[name] = options[name];
  }
  const session = checked
    ? checked.session
    : await checkSessionFilter({ ...options, source, rawOnly: true });
  const filters: RawDownloadFilters = { ...asked, session, ses: undefined };
  const builder = new PlanBuilder(source, resolve(options.dataDir), subjects, options.signal);
  await builder.addRoot();
  for (const subject of subjects) {
    const n = await builder.addPrefix(`${subject}/`, (k) => matchesFilters(k, filters));
    if (n === 0) {
      throw new NoMatchingDataError(
        `No LAION-fMRI files matched subject='${subject}' with filters ` +
          `(${activeFilters(asked, RAW_FILTERS)}) under s3://${source.bucket}/${subject}/. ` +
          `Check the subject ID and BIDS filters.`,
      );
    }
  }
  return builder.plan;
}

/**
 * Options of {@linkcode downloadRaw}: the raw filters plus what every
 * download takes (subject, consent, progress, data directory, bucket, tuning).
 *
 * @example
 * ```ts
 * import type { DownloadRawOptions } from "@laion/fmri";
 * const o: DownloadRawOptions = { subject: "01", session: "01", suffix: "events", acceptLicense: true };
 * ```
 */
export interface DownloadRawOptions extends DownloadBaseOptions, RawDownloadFilters {}

/**
 * Downloads raw BIDS files (upstream's `download_raw`): the root files and
 * the subject's `{sub}/ses-*` keys that pass `session` (alias `ses`, strict),
 * `task`, `run`, `echo`, `part` (permissive), `suffix` and `extension` (a
 * `.json` sidecar of a matching suffix passes any extension). Held-out
 * sessions are never requested. Transfers, consent and the summary are
 * those of {@linkcode download}.
 *
 * @throws {NoMatchingDataError} when the filters match nothing in a subject's raw tree
 * @throws {LicenseNotAcceptedError} when consent is refused or cannot be asked
 * @throws {SubjectNotFoundError} for an empty or unknown subject id
 * @throws {TypeError} when both `session` and its alias `ses` are given
 * @throws {UnknownSessionError} / {HeldOutSessionError} for a session the raw tree does not list (before the license prompt)
 * @example
 * ```ts
 * import { downloadRaw } from "@laion/fmri";
 * const summary = await downloadRaw({
 *   subject: "sub-01",
 *   session: "01",
 *   run: "01",
 *   echo: "1",
 *   part: "mag",
 *   suffix: "bold",
 *   acceptLicense: true,
 * });
 * console.log(summary.prefixes[0].downloaded);
 * ```
 */
export async function downloadRaw(options: DownloadRawOptions): Promise<DownloadSummary> {
  sessionFilter(options); // both `session` and `ses`: a TypeError before anything else
  // An unknown or held-out session is refused from the bucket's listing, before the license prompt.
  const session = await checkSessionFilter({ ...options, rawOnly: true });
  return await executeDownload(
    options,
    (source, dataDir) => planCheckedRawDownload({ ...options, source, dataDir }, { session }),
  );
}
