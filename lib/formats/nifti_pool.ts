/**
 * Decodes several 4-D NIfTI files at once: up to `workers` in worker
 * threads plus one in the calling thread, so on a machine with `n` cores
 * the default (`n - 1` workers) keeps every core busy.
 * @module
 */
import { mapPool } from "../core/pool.ts";
import { getInflater } from "./inflate_isal.ts";
import { type NiftiMasked4d, readNifti4dMasked } from "./nifti.ts";

/** One file to decode at the voxels of a full-grid mask. */
export interface DecodeJob {
  /** The 4-D `.nii` / `.nii.gz` file. */
  path: string;
  /** Full-grid C-order mask (non-zero = keep). */
  mask: Uint8Array;
  /** Named in errors: how to refetch the file. */
  refetch?: string;
}

/** Options of {@linkcode decodeNiftiFiles}. */
export interface DecodePoolOptions {
  /**
   * Worker threads; the calling thread decodes one more file beside them.
   * `0` decodes one file at a time in this thread.
   * @default the number of cores minus one
   */
  workers?: number;
  /** Called after each file with the files done and the total. */
  onFile?: (done: number, total: number) => void;
  /** Stops starting files; workers running are terminated. */
  signal?: AbortSignal;
}

/**
 * The default number of decode workers: the cores minus one, at least 1.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "@laion/fmri/formats";
 * defaultWorkers(); // 1 on a 2-core machine
 * ```
 */
export function defaultWorkers(): number {
  return Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1);
}

function checkWorkers(n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`workers must be a non-negative integer: got ${n}`);
  }
  return n;
}

type Reply = { id: number; data?: Float32Array; nVolumes?: number; nSelected?: number };

/** Decodes one job in a worker; undefined when the worker failed (the caller retries in-thread). */
function inWorker(w: Worker, id: number, job: DecodeJob, signal?: AbortSignal) {
  return new Promise<NiftiMasked4d | undefined>((resolve, reject) => {
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    w.onmessage = (e: MessageEvent) => {
      signal?.removeEventListener("abort", onAbort);
      const r = e.data as Reply;
      if (r.id !== id || !r.data) return resolve(undefined);
      resolve({ data: r.data, nVolumes: r.nVolumes!, nSelected: r.nSelected! });
    };
    w.onerror = (e) => {
      e.preventDefault();
      signal?.removeEventListener("abort", onAbort);
      resolve(undefined);
    };
    // The mask is copied, not transferred: callers may share it between jobs.
    w.postMessage({ id, path: job.path, mask: job.mask, inflater: getInflater() });
  });
}

/**
 * Decodes each job's file at its mask, several at once; results keep the
 * order of `jobs` and equal {@linkcode readNifti4dMasked}'s bit for bit.
 * A file that fails in a worker is decoded again in this thread, so its
 * error is the same typed error as a serial read's.
 *
 * @throws {RangeError} for a `workers` that is not a non-negative integer
 * @example
 * ```ts
 * import { decodeNiftiFiles } from "@laion/fmri/formats";
 * declare const mask: Uint8Array;
 * const [a, b] = await decodeNiftiFiles([
 *   { path: "ses-01_betas.nii.gz", mask },
 *   { path: "ses-02_betas.nii.gz", mask },
 * ], { workers: 1 });
 * ```
 */
export async function decodeNiftiFiles(
  jobs: readonly DecodeJob[],
  options: DecodePoolOptions = {},
): Promise<NiftiMasked4d[]> {
  const { signal, onFile } = options;
  const nWorkers = Math.min(checkWorkers(options.workers ?? defaultWorkers()), jobs.length - 1);
  const idle: Worker[] = [];
  const all: Worker[] = [];
  for (let i = 0; i < nWorkers; i++) {
    const w = new Worker(new URL("./nifti_worker.ts", import.meta.url), { type: "module" });
    all.push(w);
    idle.push(w);
  }
  let done = 0;
  try {
    return await mapPool(jobs, async (job, id) => {
      const w = idle.pop();
      let r: NiftiMasked4d | undefined;
      if (w) {
        try {
          r = await inWorker(w, id, job, signal);
        } finally {
          idle.push(w);
        }
      }
      r ??= await readNifti4dMasked(job.path, job.mask, { signal, refetch: job.refetch });
      onFile?.(++done, jobs.length);
      return r;
    }, { limit: Math.max(1, nWorkers + 1), signal });
  } finally {
    for (const w of all) w.terminate();
  }
}
