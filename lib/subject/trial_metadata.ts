/**
 * A subject's per-trial stimulus table (upstream's `sub.metadata`): every
 * session's trial table in session order, with `session`, `session_trial`,
 * `image_name`, `stim_idx`, `unique_or_shared` and `dataset` appended. Row
 * `i` is global trial `i`, the order of the sessions' betas one after
 * another. Also the trial names alone, which need no stimulus metadata.
 * @module
 */
import { LaionFmriError } from "../core/errors.ts";
import { checkSession, type SessionId } from "../core/ids.ts";
import type { DataFrame } from "../frames/polars.ts";
import { loadPolars } from "../frames/polars.ts";
import { readStimulusMetadata } from "../stimuli/stimuli.ts";
import { textColumn } from "../stimuli/csv.ts";

/** The columns added to the trial tables. */
export const TRIAL_STIMULUS_COLUMNS = [
  "session",
  "session_trial",
  "image_name",
  "stim_idx",
  "unique_or_shared",
  "dataset",
] as const;

/** What the table is built from (a Subject's loaders). */
export interface TrialTableSource {
  /** Sorted sessions on disk. */
  sessions: (signal?: AbortSignal) => Promise<string[]>;
  /** One session's trial table; throws a DataNotDownloadedError naming the session when absent. */
  trialInfo: (session: string, signal?: AbortSignal) => Promise<DataFrame>;
}

/** Every session's trial table and image names, in session order. */
export interface TrialNames {
  /** Session of each global trial. */
  sessions: string[];
  /** Image name of each global trial. */
  names: string[];
  /** The trial tables, one per session. */
  tables: { session: string; table: DataFrame }[];
}

/**
 * The image names of every trial, from the trial tables alone (the
 * `label` column, else `stimulus_id`).
 *
 * @throws {DataNotDownloadedError} when a session folder lacks its trial table (names it)
 * @throws {LaionFmriError} when a table has neither `label` nor `stimulus_id`
 * @example
 * ```ts
 * import { readTrialNames, type TrialTableSource } from "./trial_metadata.ts";
 * declare const source: TrialTableSource; // e.g. a Subject's sessions and trial tables
 * const { names } = await readTrialNames(source);
 * ```
 */
export async function readTrialNames(
  source: TrialTableSource,
  signal?: AbortSignal,
): Promise<TrialNames> {
  const out: TrialNames = { sessions: [], names: [], tables: [] };
  for (const session of await source.sessions(signal)) {
    const table = await source.trialInfo(session, signal);
    const names = trialImageNames(session, table);
    out.tables.push({ session, table });
    for (const n of names) {
      out.names.push(n);
      out.sessions.push(session);
    }
  }
  return out;
}

/**
 * The image name of each trial of one session's trial table: its `label`
 * column, else `stimulus_id` (a null is `""`).
 *
 * @throws {LaionFmriError} when the table has neither column
 * @example
 * ```ts
 * import { trialImageNames } from "./trial_metadata.ts";
 * import type { DataFrame } from "@laion/fmri";
 * declare const table: DataFrame; // a Subject's getTrialInfo({ session: "ses-01" })
 * const names = trialImageNames("ses-01", table);
 * ```
 */
export function trialImageNames(session: string, table: DataFrame): string[] {
  const column = ["label", "stimulus_id"].find((c) => table.columns.includes(c));
  if (!column) {
    throw new LaionFmriError(
      `Trial info for ${session} has neither 'label' nor 'stimulus_id' (columns: ` +
        `${JSON.stringify(table.columns)}); cannot map trials to stimuli.`,
    );
  }
  return table.getColumn(column).toArray().map((v) => v === null ? "" : String(v));
}

/**
 * The per-trial table (see the module notes). Unknown image names give
 * null `stim_idx` / `unique_or_shared` / `dataset` (`stim_idx` stays Int32).
 *
 * @throws {StimuliNotDownloadedError} when the stimulus metadata CSV is missing
 * @example
 * ```ts
 * import { buildTrialMetadata, readTrialNames, type TrialTableSource } from "./trial_metadata.ts";
 * declare const source: TrialTableSource;
 * const df = await buildTrialMetadata("/data", await readTrialNames(source));
 * ```
 */
export async function buildTrialMetadata(
  dataDir: string,
  trials: TrialNames,
  signal?: AbortSignal,
): Promise<DataFrame> {
  const stim = await readStimulusMetadata(dataDir, { signal });
  const pl = await loadPolars();
  const stimNames = textColumn(stim, "image_name");
  const index = new Map(stimNames.map((n, i) => [n, i]));
  const col = (c: string) => stim.columns.includes(c) ? textColumn(stim, c) : undefined;
  const kind = col("unique_or_shared");
  const dataset = col("dataset");
  const parts: DataFrame[] = [];
  let at = 0;
  for (const { session, table } of trials.tables) {
    const names = trials.names.slice(at, at + table.height);
    at += table.height;
    const rows = names.map((n) => index.get(n) ?? null);
    const added = pl.DataFrame({
      session: pl.Series("session", names.map(() => session), pl.String),
      session_trial: pl.Series("session_trial", Int32Array.from(names, (_, i) => i)),
      image_name: pl.Series("image_name", names, pl.String),
      // pl.Series(name, values, Int32) turns null into 0 (nodejs-polars 0.25.2): cast instead.
      stim_idx: pl.Series("stim_idx", rows).cast(pl.Int32),
      unique_or_shared: pl.Series(
        "unique_or_shared",
        rows.map((r) => r === null || !kind ? null : kind[r]),
        pl.String,
      ),
      dataset: pl.Series(
        "dataset",
        rows.map((r) => r === null || !dataset ? null : dataset[r]),
        pl.String,
      ),
    });
    // The TSV's columns first (`session` keeps its place, with the folder's id).
    const own = table.columns.filter((c) =>
      !(TRIAL_STIMULUS_COLUMNS as readonly string[]).includes(c) || c === "session"
    );
    const kept = table.select(...own.filter((c) => c !== "session"));
    const merged = kept.hstack(added);
    const order = [...own, ...TRIAL_STIMULUS_COLUMNS.filter((c) => !own.includes(c))];
    parts.push(merged.select(...order));
  }
  if (parts.length === 0) {
    return pl.DataFrame({
      session: pl.Series("session", [], pl.String),
      session_trial: pl.Series("session_trial", [], pl.Int32),
      image_name: pl.Series("image_name", [], pl.String),
      stim_idx: pl.Series("stim_idx", [], pl.Int32),
      unique_or_shared: pl.Series("unique_or_shared", [], pl.String),
      dataset: pl.Series("dataset", [], pl.String),
    });
  }
  return parts.length === 1 ? parts[0] : pl.concat(parts, { how: "diagonal" }) as DataFrame;
}

/**
 * A Subject's trial names and metadata, each read once and shared by every
 * caller (a failure is not kept, so a retry reads again).
 *
 * @example
 * ```ts
 * import { TrialMetadataCache, type TrialTableSource } from "./trial_metadata.ts";
 * declare const source: TrialTableSource;
 * const cache = new TrialMetadataCache("sub-01", "/data", source);
 * const meta = await cache.metadata({ session: "ses-01" });
 * ```
 */
export class TrialMetadataCache {
  readonly #subjectId: string;
  readonly #dataDir: string;
  readonly #source: TrialTableSource;
  #names?: Promise<TrialNames>;
  #metadata?: Promise<DataFrame>;

  /** Created by Subject. */
  constructor(subjectId: string, dataDir: string, source: TrialTableSource) {
    this.#subjectId = subjectId;
    this.#dataDir = dataDir;
    this.#source = source;
  }

  /** Every session's trial table and image names. */
  names(signal?: AbortSignal): Promise<TrialNames> {
    this.#names ??= readTrialNames(this.#source, signal).catch((e) => {
      this.#names = undefined;
      throw e;
    });
    return this.#names;
  }

  /** `Subject.getMetadata`: every trial, or one session's (checked against the trials'). */
  async metadata(options: { session?: SessionId; signal?: AbortSignal } = {}): Promise<DataFrame> {
    const { signal } = options;
    this.#metadata ??= this.names(signal)
      .then((t) => buildTrialMetadata(this.#dataDir, t, signal))
      .catch((e) => {
        this.#metadata = undefined;
        throw e;
      });
    if (options.session === undefined) return this.#metadata;
    const valid = (await this.names(signal)).tables.map((t) => t.session);
    const id = checkSession(options.session, valid, `of ${this.#subjectId}'s trials`);
    const meta = await this.#metadata;
    const pl = await loadPolars();
    return meta.filter(pl.col("session").eq(pl.lit(id)));
  }
}
