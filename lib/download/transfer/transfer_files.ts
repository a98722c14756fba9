/**
 * Transfers a plan's files with bounded concurrency, collecting a summary
 * and progress; the manifest is saved as files complete and at the end.
 * @module
 */
import { dirname, join } from "node:path";
import type { BucketSource } from "../../bucket/source.ts";
import { AccessDeniedError } from "../../core/errors.ts";
import { mapPool } from "../../core/pool.ts";
import { warn } from "../../core/warnings.ts";
import { openManifest } from "../manifest.ts";
import { type PlannedFile, STATE_DIR } from "../plan.ts";
import { type Counters, FileTransfer, type RunContext } from "./file_transfer.ts";
import {
  type DownloadSummary,
  resolveTuning,
  type TransferOptions,
  type TransferProgress,
} from "./options.ts";
import { notWritable } from "./not_writable.ts";
import { errorMessage } from "./retry_class.ts";
import { FolderCache } from "./temp_files.ts";

/** The manifest is saved at most this often while files complete (ms). */
const MANIFEST_SAVE_MS = 1000;

/**
 * Transfers the planned files into place: skips complete ones without a GET
 * (re-hashed first with `verify`; none skipped with `force`),
 * resumes partial temp files of dead processes, verifies every file before
 * renaming it into place. Access-denied keys warn and are skipped; a failed
 * file does not stop the others, but a data directory that cannot be
 * written stops them all.
 *
 * @throws the abort reason when `signal` aborts (after every running file settled)
 * @throws {PermissionMissingError} when `--allow-write` does not cover `dataDir`
 * @throws {DataDirNotWritableError} when the system refuses writes under `dataDir`
 * @example
 * ```ts
 * import { getSource } from "@laion/fmri/bucket";
 * import { planDownload } from "@laion/fmri/download";
 * import { transferFiles } from "./transfer_files.ts";
 * const plan = await planDownload({ subject: "01", session: "01", dataDir: "/data" });
 * const summary = await transferFiles(getSource(), plan.dataDir, plan.files);
 * console.log(summary.downloaded, summary.bytes);
 * ```
 */
export async function transferFiles(
  source: BucketSource,
  dataDir: string,
  files: readonly PlannedFile[],
  options: TransferOptions = {},
): Promise<DownloadSummary> {
  const { signal, onProgress } = options;
  const tuning = resolveTuning(options);
  const summary: DownloadSummary = {
    matched: files.length,
    downloaded: 0,
    skipped: 0,
    repaired: [],
    resumed: 0,
    bytes: 0,
    accessDenied: [],
    failures: [],
    prefixes: [],
  };
  const progress: TransferProgress = {
    totalFiles: files.length,
    doneFiles: 0,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    doneBytes: 0,
    receivedBytes: 0,
  };
  const counters: Counters = { summary, progress, emit: () => onProgress?.({ ...progress }) };
  const manifest = await openManifest(dataDir, { signal }).catch((e) => {
    throw notWritable(e, dataDir, join(dataDir, STATE_DIR)) ?? e;
  });
  const run: RunContext = { source, manifest, tuning, counters, folders: new FolderCache() };
  let lastSave = Date.now();
  const transferOne = async (file: PlannedFile) => {
    const transfer = new FileTransfer(file, run);
    try {
      const outcome = await transfer.run();
      if (outcome === "skipped") summary.skipped++;
      else summary.downloaded++;
      options.onFileDone?.(file.key, outcome === "skipped" ? "skipped" : "downloaded");
      if (outcome === "resumed") summary.resumed++;
      if (transfer.repaired) summary.repaired.push(file.key);
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      // Stops the pool: no other file can be written either, and rerunning cannot help.
      const fatal = notWritable(e, dataDir, dirname(file.path));
      if (fatal) throw fatal;
      if (e instanceof AccessDeniedError) {
        summary.accessDenied.push(file.key);
        options.onFileDone?.(file.key, "accessDenied");
        warn(
          `Access denied for s3://${source.bucket}/${file.key}; skipping (the bucket's deny ` +
            `rule blocks public GET on this key).`,
        );
      } else {
        summary.failures.push({ key: file.key, error: errorMessage(e) });
        options.onFileDone?.(file.key, "failed");
      }
    }
    progress.doneFiles++;
    counters.emit();
    if (Date.now() - lastSave > MANIFEST_SAVE_MS) {
      lastSave = Date.now();
      manifest.save();
    }
  };
  try {
    // Every running file settles (temp files closed, maps saved) before an abort is reported.
    await mapPool(files, transferOne, { limit: tuning.concurrency, signal });
  } finally {
    await manifest.save();
  }
  return summary;
}
