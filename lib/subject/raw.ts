/**
 * Raw BIDS files of a subject (upstream-era-c.md §1.7, §4.8): whether they
 * are on disk, the events tables (Polars) and the BOLD / sbref paths.
 * Missing files name `downloadRaw(...)` and `laion-fmri download-raw`.
 * @module
 */
import type { DataFrame } from "npm:nodejs-polars@0.25.2";
import { DataNotDownloadedError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import { loadPolars } from "../frames/polars.ts";
import { readTsv } from "../frames/tsv.ts";
import type { CurrentPaths } from "../local/current_paths.ts";
import { type NiftiVolume, readNiftiVolume } from "../formats/nifti.ts";
import { isDir } from "./anatomy.ts";
import { type FileLoadOptions, type SubjectFile, subjectFile } from "./subject_file.ts";

/** Which raw run file: a session, run, echo and part. */
export interface RawRunQuery {
  /** The session: `"ses-01"`, `"ses-1"`, `"01"`, `"1"` or `1`. */
  session: SessionId;
  /** The run number. */
  run: number | string;
  /** The echo (1-3). @default 1 */
  echo?: number;
  /** `mag` or `phase`. @default "mag" */
  part?: "mag" | "phase";
  /** Cancels the existence check. */
  signal?: AbortSignal;
}

/**
 * Whether raw BIDS data of the subject (of one session) is on disk.
 *
 * @example
 * ```ts
 * import { hasRaw } from "./raw.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * await hasRaw(new CurrentPaths("/data", "sub-01"), "ses-01");
 * ```
 */
export async function hasRaw(paths: CurrentPaths, session?: SessionId): Promise<boolean> {
  if (session !== undefined) return await isDir(paths.rawDir(resolveSessionId(session), "func"));
  if (!(await isDir(`${paths.dataDir}/${paths.subject}`))) return false;
  for await (const e of Deno.readDir(`${paths.dataDir}/${paths.subject}`)) {
    if (e.isDirectory && e.name.startsWith("ses-")) return true;
  }
  return false;
}

/**
 * `path`, once it is on disk.
 * @throws {DataNotDownloadedError} naming the `downloadRaw(...)` call and CLI command
 */
export async function requireRaw(
  paths: CurrentPaths,
  path: string,
  what: string,
  q: { session: SessionId; run?: number | string; signal?: AbortSignal },
): Promise<string> {
  q.signal?.throwIfAborted();
  const session = resolveSessionId(q.session);
  if (await pathExists(path)) return path;
  const s = paths.subject;
  const run = q.run === undefined ? "" : `, run: "${String(q.run).padStart(2, "0")}"`;
  const cliRun = q.run === undefined ? "" : ` --run ${String(q.run).padStart(2, "0")}`;
  throw new DataNotDownloadedError(`${what} not found at ${path}.`, {
    subject: s,
    ses: session,
    path,
    downloadCall: `downloadRaw({ subject: "${s}", ses: "${session}"${run}, acceptLicense: true })`,
    cliCommand: `laion-fmri download-raw --subject ${s} --ses ${session}${cliRun} --accept-license`,
  });
}

/**
 * The raw multi-echo BOLD file of a run, once it is on disk.
 *
 * @example
 * ```ts
 * import { rawBoldPath } from "./raw.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * await rawBoldPath(new CurrentPaths("/data", "sub-01"), { session: "ses-01", run: 1, echo: 2 });
 * ```
 */
export function rawBoldPath(paths: CurrentPaths, q: RawRunQuery): Promise<string> {
  const path = paths.rawBold(resolveSessionId(q.session), q.run, q.echo ?? 1, q.part ?? "mag");
  return requireRaw(paths, path, "Raw BOLD run", q);
}

/**
 * The single-band reference of a run, once it is on disk.
 *
 * @example
 * ```ts
 * import { rawSbrefPath } from "./raw.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * await rawSbrefPath(new CurrentPaths("/data", "sub-01"), { session: "ses-01", run: 1 });
 * ```
 */
export function rawSbrefPath(paths: CurrentPaths, q: RawRunQuery): Promise<string> {
  const path = paths.rawSbref(resolveSessionId(q.session), q.run, q.echo ?? 1, q.part ?? "mag");
  return requireRaw(paths, path, "Raw sbref", q);
}

/**
 * The raw BOLD file (`bold`) or single-band reference (`sbref`) of a run as
 * a file handle: `load({ volume })` reads one volume (scaled float32,
 * C-order; volume 0 by default — a BOLD run has one per time point).
 *
 * @throws {DataNotDownloadedError} naming `downloadRaw(...)` / `laion-fmri download-raw`
 * @example
 * ```ts
 * import { rawRunFile } from "./raw.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * const bold = await rawRunFile(new CurrentPaths("/data", "sub-01"), "bold", { session: 1, run: 1 });
 * const first = await bold.load({ volume: 0 });
 * ```
 */
export async function rawRunFile(
  paths: CurrentPaths,
  kind: "bold" | "sbref",
  q: RawRunQuery,
): Promise<SubjectFile<NiftiVolume, RawLoadOptions>> {
  const path = await (kind === "bold" ? rawBoldPath(paths, q) : rawSbrefPath(paths, q));
  return subjectFile(path, (p, o: RawLoadOptions) => readNiftiVolume(p, { volume: 0, ...o }));
}

/** Options of loading a raw run's file. */
export interface RawLoadOptions extends FileLoadOptions {
  /** The volume (time point) of a 4-D run. @default 0 */
  volume?: number;
}

/** Run numbers of the events tables of a session on disk, sorted. */
async function eventRuns(paths: CurrentPaths, session: string): Promise<string[]> {
  const dir = paths.rawDir(session, "func");
  const runs: string[] = [];
  if (!(await isDir(dir))) return runs;
  for await (const e of Deno.readDir(dir)) {
    const m = e.name.match(/_run-(\d+)_events\.tsv$/);
    if (m) runs.push(m[1]);
  }
  return runs.sort();
}

/**
 * The events table of a run, or of every run of the session concatenated
 * with a leading `run` column (two-digit string) when `run` is omitted.
 *
 * @throws {DataNotDownloadedError} when the table (or any, for a session) is not on disk
 * @example
 * ```ts
 * import { readEvents } from "./raw.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * const ev = await readEvents(new CurrentPaths("/data", "sub-01"), { session: "ses-01" });
 * ```
 */
export async function readEvents(
  paths: CurrentPaths,
  q: { session: SessionId; run?: number | string; signal?: AbortSignal },
): Promise<DataFrame> {
  const { signal } = q;
  const session = resolveSessionId(q.session);
  if (q.run !== undefined) {
    const path = await requireRaw(paths, paths.rawEvents(session, q.run), "Events table", q);
    return readTsv(path, { signal });
  }
  const runs = await eventRuns(paths, session);
  if (runs.length === 0) {
    await requireRaw(paths, paths.rawDir(session, "func"), `Events tables of ${session}`, q);
    await requireRaw(paths, paths.rawEvents(session, 1), `Events tables of ${session}`, q);
  }
  const pl = await loadPolars();
  const frames: DataFrame[] = [];
  for (const run of runs) {
    const df = await readTsv(paths.rawEvents(session, run), { signal });
    frames.push(
      df.select(pl.lit(run).alias("run"), ...df.columns.map((c) => pl.col(c))) as DataFrame,
    );
  }
  return frames.length === 1 ? frames[0] : pl.concat(frames, { how: "vertical" }) as DataFrame;
}
