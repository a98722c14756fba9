/**
 * The generator's file queues as the current layout uses them.
 * @module
 */
import { writeNifti1 } from "../../lib/formats/nifti_write.ts";
import { writeFileAtomic } from "../../lib/core/fs.ts";
import type { Grid } from "./anatomy.ts";

/** Where the current layout's files go: the generator's queues. */
export interface LayoutSink {
  /** Absolute path of a key (folders made). */
  path(key: string): Promise<string>;
  /** Queues a small file. */
  task(run: () => Promise<void>): void;
  /** Queues a large file (started first). */
  bigTask(run: () => Promise<void>): void;
  signal?: AbortSignal;
}

/** Options of a queued NIfTI file. */
export interface QueuedNifti {
  /** A 4th dimension (volumes); the data then hold them all. */
  dims4?: number;
  description?: string;
  /** Write `scl_slope`/`scl_inter` 0 as the bucket's masks have them. */
  mask?: boolean;
}

/** Queues for NIfTI and plain files. */
export interface FileQueue {
  nifti(
    key: string,
    grid: Grid,
    datatype: "uint8" | "int16" | "float32",
    data: () => Uint8Array | Int16Array | Float32Array,
    extra?: QueuedNifti,
  ): void;
  file(key: string, data: () => string | Uint8Array): void;
}

/**
 * File queues over a sink; the data are made when the file is written.
 *
 * @example
 * ```ts
 * // const { nifti, file } = fileQueue(sink); file("README", () => "text\n");
 * ```
 */
export function fileQueue(sink: LayoutSink): FileQueue {
  const { signal } = sink;
  const nifti = (
    key: string,
    grid: Grid,
    datatype: "uint8" | "int16" | "float32",
    data: () => Uint8Array | Int16Array | Float32Array,
    extra: QueuedNifti = {},
  ) =>
    sink.task(async () =>
      writeNifti1(await sink.path(key), {
        dims: extra.dims4 ? [...grid.dims, extra.dims4] : grid.dims,
        datatype,
        data: data(),
        affine: grid.affine,
        ...(extra.mask ? { sclSlope: 0, sclInter: 0 } : {}),
        description: extra.description ?? "LAION-fMRI synthetic",
        signal,
      })
    );
  const file = (key: string, data: () => string | Uint8Array) =>
    sink.task(async () => writeFileAtomic(await sink.path(key), data(), { signal }));
  return { nifti, file };
}

/** Pretty JSON with a final newline, as sidecars are written. */
export const json = (v: unknown): string => JSON.stringify(v, null, 2) + "\n";
