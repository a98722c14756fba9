/**
 * Betas out to files for engines beyond one machine (Spark, Dask, Ray,
 * DuckDB): one file per subject and session, Hive-partitioned as
 * `subject=.../session=.../part.parquet` (or `part.arrow`), with the voxel
 * identity in a sidecar table under `_voxels/` (a leading underscore keeps
 * it out of engines' partition discovery).
 * @module
 */
import { dirname, join } from "node:path";
import type { DataFrame } from "../frames/polars.ts";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { pathExists, writeFileAtomic } from "../core/fs.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import type { RoiQuery } from "../subject/roi_grammar.ts";
import {
  EXPORT_RECORD,
  type ExportRecord,
  holdsExportFiles,
  LIBRARY_VERSION,
  readExportRecord,
  recordDifferences,
  type RecordedPartition,
  removeExport,
  sourceIdentity,
  writeExportRecord,
} from "./export_record.ts";
import { loadSubject, type LoadSubjectOptions, type Subject } from "../subject/subject.ts";

/** Options of {@linkcode exportBetas}. */
export interface ExportBetasOptions extends LoadSubjectOptions {
  /** Subject ids (`"sub-01"` or `"01"`). */
  subjects: readonly string[];
  /** Sessions to export. @default every session each subject has on disk */
  sessions?: readonly SessionId[];
  /** ROI query applied to every subject. @default all brain voxels */
  roi?: RoiQuery;
  /**
   * Keep voxels whose per-session noise ceiling (percent, 0-100) is at
   * least this. @default no threshold
   */
  ncThreshold?: number;
  /** `"parquet"` or `"arrow"` (Arrow IPC file). @default "parquet" */
  format?: "parquet" | "arrow";
  /** Output folder (created). */
  outDir: string;
  /**
   * Replace an export made with other options (or another library version,
   * or from changed source files) in `outDir`: its files are removed first.
   * Without it such a folder is refused. @default false
   */
  overwrite?: boolean;
  /** Called after each partition, written or skipped. */
  onProgress?: (event: ExportProgress) => void;
  /** Cancels between and during partitions; nothing half-written is left. */
  signal?: AbortSignal;
}

/** One step of {@linkcode exportBetas}. */
export interface ExportProgress {
  /** Partitions finished so far (written or skipped). */
  done: number;
  /** All partitions. */
  total: number;
  /** Subject of this partition. */
  subject: string;
  /** Session of this partition. */
  session: string;
  /** Whether it already existed and was skipped. */
  skipped: boolean;
}

/** What {@linkcode exportBetas} did. */
export interface ExportSummary {
  /** Partition files written. */
  written: string[];
  /** Partition files that already existed. */
  skipped: string[];
}

/**
 * Writes betas as one file per subject and session; finished partitions
 * are skipped, so an interrupted export resumes. Each file is written to a
 * temp file and renamed into place. `_export.json` beside the partitions
 * records what made them (options, library version, source files): a rerun
 * continues only the same export, and two exports never mix in one folder.
 *
 * @throws {LaionFmriError} when `outDir` holds another export and
 *   `overwrite` is not set (names the differences and `overwrite: true`)
 *
 * @example
 * ```ts
 * import { exportBetas } from "@laion/fmri";
 * await exportBetas({ subjects: ["sub-01"], roi: "face", outDir: "export" });
 * // duckdb: SELECT * FROM read_parquet('export/*\/*\/part.parquet', hive_partitioning = true)
 * ```
 */
export async function exportBetas(options: ExportBetasOptions): Promise<ExportSummary> {
  const format = options.format ?? "parquet";
  if (format !== "parquet" && format !== "arrow") {
    throw new InvalidChoiceError("format", format, ["arrow", "parquet"]);
  }
  if (!options.subjects?.length) {
    throw new LaionFmriError("exportBetas needs at least one subject.");
  }
  const ext = format === "parquet" ? "parquet" : "arrow";
  const { signal } = options;
  const jobs: { subject: Subject; session: string }[] = [];
  for (const id of options.subjects) {
    const subject = await loadSubject(id, options);
    const onDisk = await subject.getSessions({ signal });
    for (const session of options.sessions?.map(resolveSessionId) ?? onDisk) {
      if (!onDisk.includes(session)) {
        throw new InvalidChoiceError(`session of ${subject.subjectId}`, session, onDisk);
      }
      jobs.push({ subject, session });
    }
  }
  const wanted: ExportRecord = {
    version: LIBRARY_VERSION,
    options: {
      roi: options.roi ?? null,
      ncThreshold: options.ncThreshold ?? null,
      format,
      nanInMask: options.nanInMask ?? true,
    },
    partitions: {},
  };
  const sources = new Map<string, RecordedPartition["sources"]>();
  for (const { subject, session } of jobs) {
    const key = `${subject.subjectId}/${session}`;
    const ids = await sourceIdentity([subject.paths.betas(session), subject.paths.trials(session)])
      .catch(() => []);
    sources.set(key, ids);
    // the voxel axis, resolved (the default depends on the files on disk)
    wanted.partitions[key] = { files: [], sources: ids, maskSource: subject.maskSource };
  }
  const record = await prepareOutDir(options.outDir, wanted, options.overwrite ?? false);
  const summary: ExportSummary = { written: [], skipped: [] };
  let done = 0;
  for (const { subject, session } of jobs) {
    signal?.throwIfAborted();
    const key = `${subject.subjectId}/${session}`;
    const rel = join(`subject=${subject.subjectId}`, `session=${session}`, `part.${ext}`);
    const file = join(options.outDir, rel);
    // A partition counts as done only once the record lists it.
    const exists = key in record.partitions && await pathExists(file);
    if (exists) {
      summary.skipped.push(file);
    } else {
      const matrix = await subject.getBetaMatrix({
        session,
        roi: options.roi,
        ncThreshold: options.ncThreshold,
        signal,
      });
      const frame = await matrix.toDataFrame();
      const voxels = await matrix.voxels();
      const sidecarRel = join("_voxels", `${subject.subjectId}_${session}.${ext}`);
      await Deno.mkdir(join(options.outDir, "_voxels"), { recursive: true });
      await Deno.mkdir(dirname(file), { recursive: true });
      const write = (df: DataFrame) => (tmp: string): Promise<void> => {
        if (ext === "parquet") df.writeParquet(tmp);
        else df.writeIPC(tmp);
        return Promise.resolve();
      };
      // The sidecar first: a partition file only appears once all it needs exists.
      await writeFileAtomic(join(options.outDir, sidecarRel), write(voxels), { signal });
      await writeFileAtomic(file, write(frame), { signal });
      record.partitions[key] = {
        files: [sidecarRel, rel],
        sources: sources.get(key) ?? [],
        maskSource: subject.maskSource,
      };
      await writeExportRecord(options.outDir, record);
      summary.written.push(file);
    }
    done++;
    options.onProgress?.({
      done,
      total: jobs.length,
      subject: subject.subjectId,
      session,
      skipped: exists,
    });
  }
  return summary;
}

/**
 * The record to continue: the folder's own when it is the same export, a
 * fresh one (written now) when the folder holds no export or `overwrite`
 * removed the old one.
 */
async function prepareOutDir(
  outDir: string,
  wanted: ExportRecord,
  overwrite: boolean,
): Promise<ExportRecord> {
  const fresh: ExportRecord = { ...wanted, partitions: {} };
  const held = await holdsExportFiles(outDir);
  if (held && !overwrite) {
    const record = await readExportRecord(outDir);
    const diff = record
      ? recordDifferences(record, wanted)
      : [`it has no ${EXPORT_RECORD} saying what made it`];
    if (diff.length === 0) return record!;
    throw new LaionFmriError(
      `${outDir} holds another export (${diff.join("; ")}). Pass overwrite: true ` +
        `(CLI: --overwrite) to replace it, or choose another folder.`,
    );
  }
  if (held) await removeExport(outDir);
  await Deno.mkdir(outDir, { recursive: true });
  await writeExportRecord(outDir, fresh);
  return fresh;
}
