/**
 * Upstream's key selection filters (`_matches_filters`), reproduced exactly:
 * strict `session` (alias `ses`; `averages` for subject-level files), permissive
 * `task`/`space`/`desc`/`stat`, and the `suffix`/`extension` rules.
 * @module
 */

/**
 * One filter value: a string, a list of strings (any may match), or `undefined` (inactive).
 *
 * @example
 * ```ts
 * import type { FilterValue } from "@laion/fmri/download";
 * const session: FilterValue = ["01", "ses-02"];
 * ```
 */
export type FilterValue = string | readonly string[] | undefined;

/**
 * The entity filters of a download. Values may be bare (`"04"`) or carry the
 * entity (`"ses-04"`); every active filter must pass (AND).
 *
 * @example
 * ```ts
 * import type { DownloadFilters } from "@laion/fmri";
 * const f: DownloadFilters = { session: "01", suffix: ["statmap", "trials"] };
 * ```
 */
export interface DownloadFilters {
  /**
   * Sessions, strict: a key with a `ses-` token passes only when it names one
   * of the values; a key without one (subject-level files) passes only when
   * the list holds `"averages"`.
   */
  session?: FilterValue;
  /**
   * Upstream's name of {@linkcode DownloadFilters.session} (`ses=` in
   * `fetch_laion_fmri`), kept as an alias. Give one of the two, not both.
   */
  ses?: FilterValue;
  /** Task; permissive: a key without a `task-` token passes. */
  task?: FilterValue;
  /** Space; permissive: a key without a `space-` token passes. */
  space?: FilterValue;
  /** Description; permissive: a key without a `desc-` token passes. */
  desc?: FilterValue;
  /** Statistic; permissive: a key without a `stat-` token passes. */
  stat?: FilterValue;
  /** File-name suffix: the last `_` token before the first `.` (`statmap`, `trials`, `mask`). */
  suffix?: FilterValue;
  /** Extension: everything after the first `.` of the file name (`nii.gz`, `tsv`); a leading dot is ignored. */
  extension?: FilterValue;
}

/**
 * The entity filters of {@linkcode downloadRaw} (raw BIDS keys): `session`
 * (alias `ses`) strict, `task`/`run`/`echo`/`part` permissive, and
 * `suffix`/`extension` as in {@linkcode DownloadFilters}.
 *
 * @example
 * ```ts
 * import type { RawDownloadFilters } from "@laion/fmri/download";
 * const f: RawDownloadFilters = { session: "01", run: "01", echo: ["1", "2"], part: "mag" };
 * ```
 */
export interface RawDownloadFilters {
  /** Sessions, strict (see {@linkcode DownloadFilters.session}). */
  session?: FilterValue;
  /** Upstream's name of `session`; give one of the two, not both. */
  ses?: FilterValue;
  /** Task; permissive: a key without a `task-` token passes. */
  task?: FilterValue;
  /** Run (`"01"` or `"run-01"`, two digits as in the keys); permissive. */
  run?: FilterValue;
  /** Echo (`"1"`..`"3"`); permissive. */
  echo?: FilterValue;
  /** Part (`"mag"` or `"phase"`); permissive. */
  part?: FilterValue;
  /** File-name suffix (`bold`, `sbref`, `events`, `magnitude1`, ...). */
  suffix?: FilterValue;
  /** Extension (`nii.gz`, `json`, `tsv`); a leading dot is ignored. */
  extension?: FilterValue;
}

/** Every filter {@linkcode matchesFilters} reads. */
export type AnyFilters = DownloadFilters & RawDownloadFilters;

/** The permissive entities, in upstream's order (`BIDS_ENTITIES` without `ses`). */
export const PERMISSIVE_ENTITIES = [
  "task",
  "space",
  "desc",
  "stat",
  "run",
  "echo",
  "part",
] as const;

/** Normalizes a filter value to a list (`undefined` stays `undefined`). */
export function filterList(value: FilterValue): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `a filter value must be a string or a list of strings, got ${typeof value}`,
    );
  }
  for (const v of value) {
    if (typeof v !== "string") {
      throw new TypeError(`a filter value must be a string or a list of strings, got ${typeof v}`);
    }
  }
  return [...value];
}

function stripEntity(entity: string, value: string): string {
  return value.startsWith(`${entity}-`) ? value.slice(entity.length + 1) : value;
}

/**
 * Every value of the `entity-VALUE` tokens of a key (directory components count).
 *
 * @example
 * ```ts
 * import { entityValues } from "./filters.ts";
 * entityValues("sub-01/ses-02/func/sub-01_ses-02_bold.nii.gz", "ses"); // ["02", "02"]
 * ```
 */
export function entityValues(key: string, entity: string): string[] {
  const re = new RegExp(`(?:^|[/_])${entity}-([A-Za-z0-9]+)(?=[_./]|$)`, "g");
  return [...key.matchAll(re)].map((m) => m[1]);
}

/**
 * The file name parts upstream filters on: `suffix` (last `_` token of the
 * part before the first `.`) and `extension` (after the first `.`).
 *
 * @example
 * ```ts
 * import { fileParts } from "./filters.ts";
 * fileParts("a/sub-01_desc-R2_statmap.nii.gz"); // { suffix: "statmap", extension: "nii.gz" }
 * ```
 */
export function fileParts(key: string): { suffix: string; extension: string } {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.indexOf(".");
  const base = dot < 0 ? name : name.slice(0, dot);
  const extension = dot < 0 ? "" : name.slice(dot + 1);
  return { suffix: base.slice(base.lastIndexOf("_") + 1), extension };
}

/**
 * The session filter: `session`, or its upstream alias `ses`.
 *
 * @throws {TypeError} when both are given
 * @example
 * ```ts
 * import { sessionFilter } from "./filters.ts";
 * sessionFilter({ ses: "01" }); // "01"
 * ```
 */
export function sessionFilter(filters: AnyFilters): FilterValue {
  if (filters.session !== undefined && filters.ses !== undefined) {
    throw new TypeError(
      `give the sessions as "session" or as its alias "ses", not both ` +
        `(session: ${JSON.stringify(filters.session)}, ses: ${JSON.stringify(filters.ses)})`,
    );
  }
  return filters.session ?? filters.ses;
}

/**
 * Whether a bucket key passes the filters, with upstream's semantics.
 *
 * @example
 * ```ts
 * import { matchesFilters } from "./filters.ts";
 * const key = "derivatives/glmsingle-tedana/sub-03/ses-04/func/" +
 *   "sub-03_ses-04_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz";
 * matchesFilters(key, { session: "04" }); // true
 * matchesFilters(key, { session: "averages" }); // false
 * matchesFilters(key, { suffix: ["statmap", "trials"], extension: ".nii.gz" }); // true
 * ```
 */
export function matchesFilters(key: string, filters: AnyFilters = {}): boolean {
  const ses = filterList(sessionFilter(filters));
  if (ses !== undefined) {
    const wanted = ses.map((v) => stripEntity("ses", v));
    const found = entityValues(key, "ses");
    if (found.length > 0) {
      const sessions = wanted.filter((v) => v !== "averages");
      if (!found.some((v) => sessions.includes(v))) return false;
    } else if (!wanted.includes("averages")) {
      return false;
    }
  }
  for (const entity of PERMISSIVE_ENTITIES) {
    const values = filterList(filters[entity]);
    if (values === undefined) continue;
    const found = entityValues(key, entity);
    if (found.length === 0) continue;
    const wanted = values.map((v) => stripEntity(entity, v));
    if (!found.some((v) => wanted.includes(v))) return false;
  }
  const { suffix, extension } = fileParts(key);
  const suffixes = filterList(filters.suffix);
  if (suffixes !== undefined && !suffixes.includes(suffix)) return false;
  const extensions = filterList(filters.extension);
  if (
    extensions !== undefined && !extensions.map((e) => e.replace(/^\./, "")).includes(extension)
  ) {
    // Upstream keeps the JSON sidecar of a file whose suffix was asked for.
    return suffixes !== undefined && extension === "json";
  }
  return true;
}

/**
 * Whether a session filter names at least one session other than `averages`
 * (then the subject's R2mean brain mask is always downloaded).
 */
export function namesSession(ses: FilterValue): boolean {
  const list = filterList(ses);
  return list !== undefined && list.some((v) => stripEntity("ses", v) !== "averages");
}
