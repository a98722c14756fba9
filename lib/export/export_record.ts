/**
 * The `_export.json` beside an export: what made it (options, library
 * version) and, per partition, the files written and the identity of the
 * source files read. A rerun continues only the same export; anything else
 * is refused, or with `overwrite` removed (only the files an export wrote).
 * @module
 */
import { join } from "node:path";
import { LaionFmriError } from "../core/errors.ts";
import { pathExists, writeFileAtomic } from "../core/fs.ts";

/** The record's file name (a leading underscore keeps engines away). */
export const EXPORT_RECORD = "_export.json";

/**
 * The library version written into every record: `deno.json`'s `version`
 * (kept equal by tests/export_test.ts; importing deno.json from lib would
 * make the package's root a dependency of its own library).
 */
export const LIBRARY_VERSION = "0.1.0";

/** Identity of a source file: path, size and modification time. */
export interface SourceIdentity {
  /** Path read. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Modification time (ms since the epoch), or null when unknown. */
  mtime: number | null;
}

/** One finished partition. */
export interface RecordedPartition {
  /** Files written, relative to the export folder. */
  files: string[];
  /** Source files read, as they were. */
  sources: SourceIdentity[];
  /** The brain mask of the partition's voxel axis (`anatomical` or `rsquare`). */
  maskSource?: string;
}

/** The content of `_export.json`. */
export interface ExportRecord {
  /** The library version that wrote the export. */
  version: string;
  /** The options that decide the content of every partition. */
  options: Record<string, unknown>;
  /** Finished partitions keyed `subject/session`. */
  partitions: Record<string, RecordedPartition>;
}

/**
 * Identity (path, size, mtime) of each file.
 *
 * @example
 * ```ts
 * import { sourceIdentity } from "./export_record.ts";
 * const [id] = await sourceIdentity(["deno.json"]);
 * ```
 */
export async function sourceIdentity(paths: readonly string[]): Promise<SourceIdentity[]> {
  return await Promise.all(paths.map(async (path) => {
    const st = await Deno.stat(path);
    return { path, size: st.size, mtime: st.mtime?.getTime() ?? null };
  }));
}

/**
 * The record in `outDir`, or null when there is none.
 *
 * @throws {LaionFmriError} when the record is not readable JSON (names it)
 * @example
 * ```ts
 * import { readExportRecord } from "./export_record.ts";
 * const rec = await readExportRecord("export"); // null in an empty folder
 * ```
 */
export async function readExportRecord(outDir: string): Promise<ExportRecord | null> {
  const path = join(outDir, EXPORT_RECORD);
  if (!(await pathExists(path))) return null;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as ExportRecord;
  } catch (cause) {
    throw new LaionFmriError(`${path} is not a readable export record.`, { cause });
  }
}

/**
 * Writes the record atomically.
 *
 * @example
 * ```ts
 * import { LIBRARY_VERSION, writeExportRecord } from "./export_record.ts";
 * await writeExportRecord("export", { version: LIBRARY_VERSION, options: {}, partitions: {} });
 * ```
 */
export async function writeExportRecord(outDir: string, record: ExportRecord): Promise<void> {
  await writeFileAtomic(join(outDir, EXPORT_RECORD), JSON.stringify(record, null, 2) + "\n");
}

/**
 * How `record` differs from what is asked now (empty when it is the same
 * export): version, options, and partitions whose source files changed.
 *
 * @example
 * ```ts
 * import { recordDifferences } from "./export_record.ts";
 * recordDifferences(
 *   { version: "0.1.0", options: { roi: "face" }, partitions: {} },
 *   { version: "0.1.0", options: { roi: "FFA1" }, partitions: {} },
 * ); // ['roi: "face" there, "FFA1" now']
 * ```
 */
export function recordDifferences(record: ExportRecord, wanted: ExportRecord): string[] {
  const out: string[] = [];
  if (record.version !== wanted.version) {
    out.push(`library version: ${record.version} there, ${wanted.version} now`);
  }
  const keys = new Set([...Object.keys(record.options ?? {}), ...Object.keys(wanted.options)]);
  for (const k of [...keys].sort()) {
    const [a, b] = [JSON.stringify(record.options?.[k]), JSON.stringify(wanted.options[k])];
    if (a !== b) out.push(`${k}: ${a ?? "unset"} there, ${b ?? "unset"} now`);
  }
  for (const [key, now] of Object.entries(wanted.partitions)) {
    const then = record.partitions?.[key];
    if (then && JSON.stringify(then.sources) !== JSON.stringify(now.sources)) {
      out.push(`source files of ${key} changed since it was exported`);
    }
    if (then && then.maskSource !== now.maskSource) {
      out.push(
        `maskSource of ${key}: ${then.maskSource ?? "unrecorded"} there, ${now.maskSource} now`,
      );
    }
  }
  return out;
}

/** Whether `outDir` holds partitions or sidecars of an export (with or without a record). */
export async function holdsExportFiles(outDir: string): Promise<boolean> {
  if (!(await pathExists(outDir))) return false;
  for await (const e of Deno.readDir(outDir)) {
    if (e.isDirectory && (e.name.startsWith("subject=") || e.name === "_voxels")) return true;
    if (e.name === EXPORT_RECORD) return true;
  }
  return false;
}

/**
 * Removes an export: the files its record lists, or, without a record, only
 * files of the export's own layout (`subject=*\/session=*\/part.*`,
 * `_voxels/*`). Folders are removed only when left empty; other files stay.
 *
 * @example
 * ```ts
 * import { removeExport } from "./export_record.ts";
 * await removeExport("export");
 * ```
 */
export async function removeExport(outDir: string): Promise<void> {
  const record = await readExportRecord(outDir).catch(() => null);
  const files = new Set<string>();
  for (const p of Object.values(record?.partitions ?? {})) p.files.forEach((f) => files.add(f));
  for await (const sub of readDirs(outDir, (n) => n.startsWith("subject="))) {
    for await (const ses of readDirs(join(outDir, sub), (n) => n.startsWith("session="))) {
      for (const ext of ["parquet", "arrow"]) files.add(join(sub, ses, `part.${ext}`));
    }
  }
  for await (const e of readEntries(join(outDir, "_voxels"))) {
    if (e.isFile && /^sub-[^_]+_ses-[^.]+\.(parquet|arrow)$/.test(e.name)) {
      files.add(join("_voxels", e.name));
    }
  }
  for (const f of files) await Deno.remove(join(outDir, f)).catch(ignoreNotFound);
  // Folders deepest first, each only if now empty.
  const dirs = [...new Set([...files].flatMap((f) => parents(f)))]
    .sort((a, b) => b.length - a.length);
  for (const d of dirs) await Deno.remove(join(outDir, d)).catch(() => {});
  await Deno.remove(join(outDir, EXPORT_RECORD)).catch(ignoreNotFound);
}

function parents(rel: string): string[] {
  const parts = rel.split(/[\\/]/).slice(0, -1);
  return parts.map((_, i) => join(...parts.slice(0, i + 1)));
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}

async function* readEntries(dir: string): AsyncGenerator<Deno.DirEntry> {
  if (!(await pathExists(dir))) return;
  yield* Deno.readDir(dir);
}

async function* readDirs(dir: string, keep: (name: string) => boolean): AsyncGenerator<string> {
  for await (const e of readEntries(dir)) if (e.isDirectory && keep(e.name)) yield e.name;
}
