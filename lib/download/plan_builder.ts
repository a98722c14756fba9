/**
 * The parts of a download plan that `planDownload` and `planRawDownload`
 * share: the plan types, local paths confined to the data directory, the
 * subjects of a request, the root files, and one prefix's selection with
 * the held-out rule applied first.
 * @module
 */
import { isAbsolute, relative, resolve, sep } from "node:path";
import { checkSubject, getSubjects } from "../bucket/discovery.ts";
import type { BucketObject, BucketSource } from "../bucket/source.ts";
import { GLMSINGLE_PREFIX, ROIS_PREFIX, ROOT_KEYS } from "../core/constants.ts";
import { SubjectNotFoundError } from "../core/errors.ts";
import { bidsifyLocalKey, isPublicKey } from "../core/ids.ts";
import { type AnyFilters, filterList, sessionFilter } from "./filters.ts";

/** Folder inside the data directory that holds markers and the manifest. */
export const STATE_DIR = ".laion_fmri";

/**
 * One file a download will fetch (or find already complete).
 *
 * @example
 * ```ts
 * import { planDownload, type PlannedFile } from "@laion/fmri/download";
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
 * The keys one listed prefix contributed to a plan (matched by the filters,
 * plus pinned keys such as the brain mask).
 *
 * @example
 * ```ts
 * import { planDownload, type PrefixPlan } from "@laion/fmri/download";
 * const p: PrefixPlan[] = (await planDownload({ subject: "01", dataDir: "/data" })).prefixes;
 * ```
 */
export interface PrefixPlan {
  /** The listed prefix, e.g. `derivatives/glmsingle-tedana/sub-01/`. */
  prefix: string;
  /** Keys selected under it, in listing order (held-out keys never appear). */
  keys: string[];
}

/**
 * The result of `planDownload` and `planRawDownload`.
 *
 * @example
 * ```ts
 * import { type DownloadPlan, planDownload } from "@laion/fmri/download";
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
  /** Prefixes whose filters matched nothing. */
  emptyPrefixes: string[];
  /** What each listed prefix contributed, in plan order (the root files are not a prefix). */
  prefixes: PrefixPlan[];
}

/**
 * The local path of a key under `dataDir` (bidsified), or `undefined` when
 * it would resolve outside `dataDir` or into its `.laion_fmri/` folder.
 *
 * @example
 * ```ts
 * import { localPathFor } from "./plan_builder.ts";
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

/**
 * The subjects of a request: the checked id, or every subject for `"all"`.
 *
 * @throws {SubjectNotFoundError} for an unknown id, or `"all"` when the bucket has no subjects
 */
export async function planSubjects(
  subject: string,
  source: BucketSource,
  signal?: AbortSignal,
): Promise<string[]> {
  if (subject !== "all") return [await checkSubject(subject, { source, signal })];
  const subjects = await getSubjects({ source, signal });
  if (subjects.length === 0) {
    throw new SubjectNotFoundError(
      `subject "all": no subjects found in s3://${source.bucket}/ (under ` +
        `${GLMSINGLE_PREFIX} or ${ROIS_PREFIX}); nothing to download. Check the endpoint ` +
        `(${source.endpoint}).`,
    );
  }
  return subjects;
}

/** Python's `repr` of a filter value, as upstream's messages print it. */
function pyRepr(value: string | string[]): string {
  const one = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  return Array.isArray(value) ? `[${value.map(one).join(", ")}]` : one(value);
}

/**
 * Upstream's list of active filters in a `NoMatchingDataError` message
 * (`ses='01', suffix=['bold']`), or `none`.
 */
export function activeFilters(filters: AnyFilters, names: readonly (keyof AnyFilters)[]): string {
  const parts: string[] = [];
  for (const name of names) {
    const raw = name === "ses" ? sessionFilter(filters) : filters[name];
    const list = filterList(raw);
    if (list === undefined) continue;
    parts.push(`${name}=${pyRepr(typeof raw === "string" ? raw : list)}`);
  }
  return parts.length ? parts.join(", ") : "none";
}

/** Collects the files of a plan: unique by key, paths confined to the data directory. */
export class PlanBuilder {
  /** The plan being built. */
  readonly plan: DownloadPlan;
  #seen = new Set<string>();

  /** Creates an empty plan for `subjects` under `dataDir`, reading `source`. */
  constructor(
    readonly source: BucketSource,
    dataDir: string,
    subjects: string[],
    readonly signal?: AbortSignal,
  ) {
    this.plan = {
      dataDir: resolve(dataDir),
      subjects,
      files: [],
      refused: [],
      emptyPrefixes: [],
      prefixes: [],
    };
  }

  /** Adds one listed object (once); refuses keys that would land outside the data directory. */
  add(o: BucketObject): void {
    if (this.#seen.has(o.key)) return;
    this.#seen.add(o.key);
    const path = localPathFor(this.plan.dataDir, o.key);
    if (path === undefined) {
      this.plan.refused.push({
        key: o.key,
        error: `refused: s3://${this.source.bucket}/${o.key} would be written outside the data ` +
          `directory ${this.plan.dataDir}`,
      });
      return;
    }
    this.plan.files.push({ key: o.key, size: o.size, etag: o.etag, path });
  }

  /** Adds the root files, unfiltered (sizes and ETags from the root listing). */
  async addRoot(): Promise<void> {
    const root = await this.source.list("", { delimiter: "/", signal: this.signal });
    for (const key of ROOT_KEYS) {
      const o = root.objects.find((x) => x.key === key);
      if (o) this.add(o);
      else {
        this.#seen.add(key);
        this.plan.refused.push({
          key,
          error: `s3://${this.source.bucket}/${key} is not in the bucket listing`,
        });
      }
    }
  }

  /**
   * Lists `prefix` and adds its public keys that `match` accepts, plus the
   * `pinned` ones (which do not count as matches). Returns how many matched.
   */
  async addPrefix(
    prefix: string,
    match: (key: string) => boolean,
    pinned: ReadonlySet<string> = new Set(),
  ): Promise<number> {
    const { objects } = await this.source.list(prefix, { signal: this.signal });
    // The held-out rule comes first: a held-out key is never planned, even when named.
    const usable = objects.filter((o) => !o.key.endsWith("/") && isPublicKey(o.key));
    let matched = 0;
    const kept = usable.filter((o) => {
      const m = match(o.key);
      if (m) matched++;
      return m || pinned.has(o.key);
    });
    kept.forEach((o) => this.add(o));
    if (matched === 0) this.plan.emptyPrefixes.push(prefix);
    this.plan.prefixes.push({ prefix, keys: kept.map((o) => o.key) });
    return matched;
  }
}
