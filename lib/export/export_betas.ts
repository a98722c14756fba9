/**
 * Betas out to files for engines beyond one machine (Spark, Dask, Ray,
 * DuckDB): one file per subject and session, Hive-partitioned as
 * `subject=.../session=.../part.parquet` (or `part.arrow`), with the voxel
 * identity in a sidecar table under `_voxels/` (a leading underscore keeps
 * it out of engines' partition discovery).
 * @module
 */
import { join } from "node:path";
import type { DataFrame } from "nodejs-polars";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { pathExists, writeFileAtomic } from "../core/fs.ts";
import type { RoiQuery } from "../subject/roi_grammar.ts";
import { loadSubject, type LoadSubjectOptions, type Subject } from "../subject/subject.ts";

/** Options of {@linkcode exportBetas}. */
export interface ExportBetasOptions extends LoadSubjectOptions {
  /** Subject ids (`"sub-01"` or `"01"`). */
  subjects: readonly string[];
  /** Sessions to export. @default every session each subject has on disk */
  sessions?: readonly string[];
  /** ROI query applied to every subject. @default all brain voxels */
  roi?: RoiQuery;
  /** `"parquet"` or `"arrow"` (Arrow IPC file). @default "parquet" */
  format?: "parquet" | "arrow";
  /** Output folder (created). */
  outDir: string;
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
 * temp file and renamed into place.
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
    for (const session of options.sessions ?? onDisk) {
      if (!onDisk.includes(session)) {
        throw new InvalidChoiceError(`session of ${subject.subjectId}`, session, onDisk);
      }
      jobs.push({ subject, session });
    }
  }
  const summary: ExportSummary = { written: [], skipped: [] };
  let done = 0;
  for (const { subject, session } of jobs) {
    signal?.throwIfAborted();
    const dir = join(options.outDir, `subject=${subject.subjectId}`, `session=${session}`);
    const file = join(dir, `part.${ext}`);
    const exists = await pathExists(file);
    if (exists) {
      summary.skipped.push(file);
    } else {
      const matrix = await subject.getBetaMatrix({
        session,
        roi: options.roi,
        signal,
      });
      const frame = await matrix.toDataFrame();
      const voxels = await matrix.voxels();
      const sidecarDir = join(options.outDir, "_voxels");
      await Deno.mkdir(sidecarDir, { recursive: true });
      await Deno.mkdir(dir, { recursive: true });
      const write = (df: DataFrame) => (tmp: string): Promise<void> => {
        if (ext === "parquet") df.writeParquet(tmp);
        else df.writeIPC(tmp);
        return Promise.resolve();
      };
      // The sidecar first: a partition file only appears once all it needs exists.
      await writeFileAtomic(
        join(sidecarDir, `${subject.subjectId}_${session}.${ext}`),
        write(voxels),
        { signal },
      );
      await writeFileAtomic(file, write(frame), { signal });
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
