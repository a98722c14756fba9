/**
 * Reading local HDF5 files through h5wasm (the HDF5 C library compiled to
 * WebAssembly). This is the only module that touches h5wasm.
 *
 * h5wasm is imported on first use (it takes about 150 ms to start). Its
 * Emscripten start-up enumerates `process.env`, which under Deno needs an
 * unscoped `--allow-env`; {@linkcode loadH5wasm} hides the environment from
 * that one enumeration so that reading a file needs only `--allow-read` for
 * it. Numeric datasets, float16 included (h5wasm's own accessors stop at
 * float32), are read as raw bytes into the matching typed array.
 *
 * HDF5's own diagnostics (`HDF5-DIAG: Error detected …`, written to fd 2)
 * and Emscripten's `Aborted(…)` never reach the user's terminal: they are
 * caught while each h5wasm call runs, and a call that printed one fails
 * with a {@linkcode MalformedFileError} naming the file, HDF5's innermost
 * message and (when the caller gave one) the call that fetches the file again.
 * Without this, a damaged chunk read as zeros with only the diagnostics as a sign.
 * @module
 */
import fs from "node:fs";
import process from "node:process";
import type { Dataset, File as H5File } from "npm:h5wasm@0.10.3";
import { LaionFmriError, MalformedFileError, PermissionMissingError } from "../core/errors.ts";
import { isPermissionError } from "../core/permissions.ts";
import type { Hdf5Dtype, Hdf5NumericArray } from "./hdf5_types.ts";
import { HDF5_SIGNATURE, superblockEof } from "./hdf5_superblock.ts";

export type { Hdf5Dtype } from "./hdf5_types.ts";

type H5wasm = typeof import("npm:h5wasm@0.10.3").default;
type H5Module = Awaited<H5wasm["ready"]>;

/** The values of a dataset: a typed array, `string[]` (`vlen-str`) or `Uint8Array[]` (`vlen-uint8`). */
export type Hdf5Values = Hdf5NumericArray | string[] | Uint8Array[];

/** Shape and type of a dataset. */
export interface Hdf5DatasetInfo {
  /** Path inside the file, e.g. `betasmd`. */
  name: string;
  /** Element type. */
  dtype: Hdf5Dtype;
  /** Dimensions. */
  shape: number[];
  /** Chunk shape, `null` when contiguous (or compact). */
  chunks: number[] | null;
  /** Filter names in pipeline order, e.g. `["shuffle", "deflate"]`. */
  filters: string[];
}

/** Options of {@linkcode Hdf5File.read}. */
export interface Hdf5ReadOptions {
  /** Rows `[start, end)` of the first axis; all rows when omitted. */
  rows?: readonly [number, number];
}

let loading: Promise<{ h5wasm: H5wasm; module: H5Module }> | undefined;

/** Collects h5wasm's diagnostics while one of its calls runs (see {@linkcode quietly}). */
let sink: string[] | undefined;
/** The file h5wasm aborted on: Emscripten leaves its state undefined, so nothing is read after. */
let abortedOn: string | undefined;

/**
 * Runs a synchronous h5wasm call with its diagnostics caught: HDF5 writes
 * them with `fs.writeSync(2, …)` (Emscripten's NODERAWFS), Emscripten's
 * abort message goes through `console.error` as bound at start-up
 * ({@linkcode start} routes it here).
 */
function quietly<T>(f: () => T): { value?: T; error?: unknown; diag: string } {
  const diag: string[] = [];
  const outer = sink;
  const writeSync = fs.writeSync;
  sink = diag;
  // deno-lint-ignore no-explicit-any
  (fs as any).writeSync = (fd: number, buf: unknown, ...rest: unknown[]): number => {
    if (fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, buf, ...rest);
    if (typeof buf === "string") {
      diag.push(buf);
      return buf.length;
    }
    const bytes = buf as Uint8Array;
    const offset = typeof rest[0] === "number" ? rest[0] : 0;
    const length = typeof rest[1] === "number" ? rest[1] : bytes.length - offset;
    diag.push(new TextDecoder().decode(bytes.subarray(offset, offset + length)));
    return length;
  };
  try {
    return { value: f(), diag: diag.join("") };
  } catch (error) {
    return { error, diag: diag.join("") };
  } finally {
    fs.writeSync = writeSync;
    sink = outer;
  }
}

/** The innermost message of an HDF5 error stack, e.g. `H5Z_pipeline(): filter returned failure`. */
function diagSummary(diag: string): string {
  const abort = /Aborted\((.*)\)\s*$/m.exec(diag);
  if (abort) {
    return `h5wasm aborted: ${abort[1]}; restart the program ` +
      `(or the notebook kernel) before reading other HDF5 files`;
  }
  const frames = [...diag.matchAll(/#\d+: .* in (\S+\(\)): (.*)$/gm)];
  const last = frames.at(-1);
  return last ? `HDF5: ${last[1]}: ${last[2].trim()}` : diag.trim().split("\n")[0];
}

// Imports and starts h5wasm once; later calls share it (a failure is not kept).
function loadH5wasm(): Promise<{ h5wasm: H5wasm; module: H5Module }> {
  loading ??= start().catch((e) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

async function start(): Promise<{ h5wasm: H5wasm; module: H5Module }> {
  // Emscripten copies the whole environment into the module at start-up
  // (`for (x in process.env)`): show it none, but keep reads by name working.
  const real = process.env;
  const hidden = new Proxy({}, {
    get: (_t, key) => typeof key === "string" ? real[key] : undefined,
    ownKeys: () => [],
  });
  const descriptor = Object.getOwnPropertyDescriptor(process, "env");
  Object.defineProperty(process, "env", { value: hidden, configurable: true, writable: true });
  // Emscripten binds `console.error` once, at start-up, for its messages
  // (`Aborted(…)`): bind it to a router that hands them to the running call.
  const consoleError = console.error;
  console.error = (...args: unknown[]) => {
    if (sink) sink.push(args.map(String).join(" ") + "\n");
    else consoleError.apply(console, args);
  };
  try {
    const h5wasm = (await import("npm:h5wasm@0.10.3/node")).default;
    const module = await h5wasm.ready;
    return { h5wasm, module };
  } finally {
    console.error = consoleError;
    if (descriptor) Object.defineProperty(process, "env", descriptor);
  }
}

const FILTER_NAMES: Record<number, string> = { 1: "deflate", 2: "shuffle", 3: "fletcher32" };

/**
 * A local HDF5 file opened read-only. Close it (or use `using`) when done.
 *
 * @example
 * ```ts
 * import { Hdf5File } from "@laion/fmri/formats";
 * using file = await Hdf5File.open("sub-01_ses-01_task-images_space-T1w_desc-GLMsingle_model.h5");
 * const info = file.info("betasmd"); // { dtype: "float32", shape: [n, 1, 1, t], ... }
 * const firstRows = file.read("betasmd", { rows: [0, 10] }) as Float32Array;
 * ```
 */
export class Hdf5File {
  readonly #file: H5File;
  readonly #module: H5Module;
  readonly #h5: H5wasm;
  /** The path the file was opened from. */
  readonly path: string;
  /** The call that fetches the file again, named in its errors (as given to {@linkcode Hdf5File.open}). */
  readonly refetch?: string;

  private constructor(
    path: string,
    file: H5File,
    h5: H5wasm,
    module: H5Module,
    refetch?: string,
  ) {
    this.path = path;
    this.#h5 = h5;
    this.#file = file;
    this.#module = module;
    this.refetch = refetch;
  }

  /**
   * Runs an h5wasm call on this file; an exception or an HDF5 diagnostic
   * becomes a {@linkcode MalformedFileError} saying what failed.
   */
  #run<T>(what: string, f: () => T): T {
    const r = quietly(f);
    if (r.error === undefined && r.diag === "") return r.value as T;
    if (r.error instanceof RangeError || r.error instanceof MalformedFileError) throw r.error;
    throw damaged(this.path, what, r, this.refetch);
  }

  /**
   * Opens `path` read-only.
   *
   * @throws {MalformedFileError} when the file is not HDF5 (or is truncated or damaged);
   *   names `options.refetch`, the call that fetches the file again
   * @throws {PermissionMissingError} without `--allow-read` for the path
   * @example
   * ```ts
   * import { Hdf5File } from "@laion/fmri/formats";
   * using f = await Hdf5File.open("/tmp/model.h5");
   * console.log(f.datasets());
   * ```
   */
  static async open(
    path: string,
    options: { signal?: AbortSignal; refetch?: string } = {},
  ): Promise<Hdf5File> {
    options.signal?.throwIfAborted();
    const refetch = options.refetch;
    // Stat first: h5wasm reports a missing file or a refused permission only as "open failed".
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (e) {
      if (isPermissionError(e)) {
        throw new PermissionMissingError(`read ${path}`, `--allow-read=${path}`, { cause: e });
      }
      throw e;
    }
    if (!info.isFile) throw new MalformedFileError(path, "not a regular file", refetch);
    // Checked here because HDF5 reports these only on stderr.
    const problem = await headerProblem(path, info.size);
    if (problem) throw new MalformedFileError(path, problem, refetch);
    if (abortedOn !== undefined) {
      // Emscripten's state after an abort is undefined: no more reads in this process.
      throw new LaionFmriError(
        `Cannot open ${path}: h5wasm aborted earlier in this process on the damaged ` +
          `${abortedOn} (fetch that one again, as its error said). Restart the program (or the ` +
          `notebook kernel) to read HDF5 files again.`,
      );
    }
    const { h5wasm, module } = await loadH5wasm();
    options.signal?.throwIfAborted();
    const r = quietly(() => new h5wasm.File(path, "r"));
    const file = r.value;
    if (r.error !== undefined || r.diag !== "" || !file || file.file_id < 0n) {
      try {
        if (file && file.file_id >= 0n) file.close();
      } catch { /* the file stays as broken as it was */ }
      throw damaged(path, "open it", r, refetch);
    }
    return new Hdf5File(path, file, h5wasm, module, refetch);
  }

  /** Paths of every dataset in the file, sorted. */
  datasets(): string[] {
    return this.#run("list its datasets", () =>
      this.#file.paths()
        .filter((p) => this.#file.get(p) instanceof this.#h5.Dataset)
        .map((p) => p.replace(/^\//, ""))
        .sort());
  }

  #dataset(name: string): Dataset {
    // h5wasm throws for some missing paths and returns null for others
    const entity = quietly(() => this.#file.get(name)).value ?? null;
    if (!(entity instanceof this.#h5.Dataset)) {
      throw new MalformedFileError(
        this.path,
        `no dataset ${JSON.stringify(name)}; the file holds ${JSON.stringify(this.datasets())}`,
        this.refetch,
      );
    }
    return entity;
  }

  /**
   * Shape, element type, chunking and filters of a dataset.
   *
   * @throws {MalformedFileError} when the dataset is missing or of a type this reader does not know
   * @example
   * ```ts
   * import { Hdf5File } from "@laion/fmri/formats";
   * using f = await Hdf5File.open("/tmp/emb.h5");
   * f.info("embedding"); // { name: "embedding", dtype: "float16", shape: [2, 3], chunks: null, filters: [] }
   * ```
   */
  info(name: string): Hdf5DatasetInfo {
    const ds = this.#dataset(name);
    const { m, filters } = this.#run(`read dataset ${JSON.stringify(name)}'s metadata`, () => ({
      m: ds.metadata,
      filters: ds.filters.map((f) => FILTER_NAMES[f.id] ?? f.name),
    }));
    return {
      name,
      dtype: this.#dtype(name, m),
      shape: [...(m.shape ?? [])],
      chunks: m.chunks ? [...m.chunks] : null,
      filters,
    };
  }

  #dtype(name: string, m: Dataset["metadata"]): Hdf5Dtype {
    const T = this.#module.H5T_class_t;
    const bad = () =>
      new MalformedFileError(
        this.path,
        `dataset ${JSON.stringify(name)} has a type this reader does not support ` +
          `(${JSON.stringify({ class: m.type, size: m.size, littleEndian: m.littleEndian })})`,
        this.refetch,
      );
    if (m.type === T.H5T_INTEGER.value || m.type === T.H5T_FLOAT.value) {
      if (!m.littleEndian) throw bad();
      const key = `${m.type === T.H5T_FLOAT.value ? "float" : m.signed ? "int" : "uint"}${
        8 * m.size
      }`;
      if (!NUMERIC.has(key)) throw bad();
      return key as Hdf5Dtype;
    }
    if (m.type === T.H5T_STRING.value && m.vlen) return "vlen-str";
    if (m.type === T.H5T_VLEN.value && m.vlen_type?.type === T.H5T_INTEGER.value) {
      if (m.vlen_type.size === 1 && !m.vlen_type.signed) return "vlen-uint8";
    }
    if (m.type === T.H5T_ENUM.value && m.size === 1) {
      const members = m.enum_type?.members ?? {};
      if (Object.keys(members).length === 2 && members.FALSE === 0 && members.TRUE === 1) {
        return "bool";
      }
    }
    throw bad();
  }

  /**
   * Reads a dataset, or a block of rows of it, in C order. Numeric types
   * give the matching typed array (`Float16Array` for float16), `bool` a
   * `Uint8Array` of 0/1, `vlen-str` a `string[]` and `vlen-uint8` a
   * `Uint8Array[]` (one byte string per element).
   *
   * @throws {RangeError} when `rows` lies outside the first axis
   * @throws {MalformedFileError} when the dataset is missing or unreadable
   * @example
   * ```ts
   * import { Hdf5File } from "@laion/fmri/formats";
   * using f = await Hdf5File.open("/tmp/model.h5");
   * const rows = f.read("betasmd", { rows: [100, 164] }) as Float32Array; // 64 voxels x trials
   * ```
   */
  read(name: string, options: Hdf5ReadOptions = {}): Hdf5Values {
    const info = this.info(name);
    const shape = info.shape;
    const [start, end] = options.rows ?? [0, shape[0] ?? 0];
    if (
      shape.length === 0 || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 ||
      end > shape[0] || start > end
    ) {
      throw new RangeError(
        `rows [${start}, ${end}) outside dataset ${JSON.stringify(name)} of shape [${shape}]`,
      );
    }
    const ds = this.#dataset(name);
    return this.#run(`read dataset ${JSON.stringify(name)}`, () => {
      if (info.dtype === "vlen-str") return this.#readStrings(ds, info, start, end);
      if (info.dtype === "vlen-uint8") {
        if (end === start) return [];
        const ranges = shape.map((d, i) => (i === 0 ? [start, end] : [0, d]) as [number, number]);
        return ds.slice(ranges) as string[] | Uint8Array[];
      }
      return this.#readRaw(ds, info, start, end);
    });
  }

  /**
   * Variable-length strings of rows `[start, end)` (first axis only, as
   * h5wasm's `slice`, but decoded in one pass: h5wasm's per-string
   * `UTF8ToString` costs about 4 µs a string, 0.1 s for 25,052 image ids).
   */
  #readStrings(ds: Dataset, info: Hdf5DatasetInfo, start: number, end: number): string[] {
    const rowElems = info.shape.slice(1).reduce((a, b) => a * b, 1);
    const n = (end - start) * rowElems;
    if (n === 0) return [];
    const m = this.#module;
    const ptr = m._malloc(n * 4);
    if (!ptr) throw new RangeError(`cannot allocate ${n * 4} bytes in the HDF5 heap`);
    const count = info.shape.map((d, i) => BigInt(i === 0 ? end - start : d));
    const offset = info.shape.map((_, i) => BigInt(i === 0 ? start : 0));
    const strides = info.shape.map(() => 1n);
    try {
      m.get_dataset_data(this.#file.file_id, ds.path, count, offset, strides, BigInt(ptr));
      // A failed read leaves garbage pointers: neither decode nor reclaim them.
      if (sink?.length) throw new Error("reading the strings failed");
      try {
        const heap = m.HEAPU8;
        const ptrs = new Uint32Array(heap.buffer, ptr, n).slice();
        const out = new Array<string>(n);
        const utf8 = new TextDecoder();
        for (let i = 0; i < n; i++) {
          const p = ptrs[i];
          if (p === 0) {
            out[i] = "";
            continue;
          }
          let e = p, ascii = true;
          for (; e < heap.length && heap[e] !== 0; e++) if (heap[e] > 0x7f) ascii = false;
          if (e === heap.length) throw new Error(`string ${start + i} has no end`);
          out[i] = ascii && e - p < 4096
            ? String.fromCharCode.apply(null, heap.subarray(p, e) as unknown as number[])
            : utf8.decode(heap.subarray(p, e));
        }
        return out;
      } finally {
        m.reclaim_vlen_memory_count(this.#file.file_id, ds.path, "", BigInt(ptr), count);
      }
    } finally {
      m._free(ptr);
    }
  }

  #readRaw(ds: Dataset, info: Hdf5DatasetInfo, start: number, end: number): Hdf5Values {
    const Ctor = TYPED_ARRAY_OF[info.dtype];
    const rowElems = info.shape.slice(1).reduce((a, b) => a * b, 1);
    const n = (end - start) * rowElems;
    const bytes = n * Ctor.BYTES_PER_ELEMENT;
    const out = new Ctor(n);
    if (n === 0) return out;
    const m = this.#module;
    const ptr = m._malloc(bytes);
    if (!ptr) throw new RangeError(`cannot allocate ${bytes} bytes in the HDF5 heap`);
    try {
      const count = info.shape.map((d, i) => BigInt(i === 0 ? end - start : d));
      const offset = info.shape.map((_, i) => BigInt(i === 0 ? start : 0));
      const strides = info.shape.map(() => 1n);
      m.get_dataset_data(this.#file.file_id, ds.path, count, offset, strides, BigInt(ptr));
      new Uint8Array(out.buffer).set(m.HEAPU8.subarray(ptr, ptr + bytes));
    } finally {
      m._free(ptr);
    }
    return out;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    quietly(() => this.#file.close()); // already closed, or as broken as it was
  }

  /** Closes the file (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

type TypedCtor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Float16ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** The typed array of each numeric dtype (`bool` as bytes). */
export const TYPED_ARRAY_OF: Readonly<Record<string, TypedCtor>> = {
  uint8: Uint8Array,
  int8: Int8Array,
  bool: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float16: Float16Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * Why the superblock rules the file out, if it does: no HDF5 signature at
 * 0, 512, 1024, ... (after a user block), or a stored end of file beyond the
 * file's size (a truncated download).
 */
async function headerProblem(path: string, size: number): Promise<string | undefined> {
  using f = await Deno.open(path);
  const buf = new Uint8Array(48);
  for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
    await f.seek(at, Deno.SeekMode.Start);
    let n = 0;
    for (let r; n < buf.length && (r = await f.read(buf.subarray(n))) !== null;) n += r;
    if (n < 8 || !HDF5_SIGNATURE.every((b, i) => buf[i] === b)) continue;
    const eof = superblockEof(buf.subarray(0, n));
    if (eof !== undefined && at + eof > size) {
      return `truncated: ${size} bytes, the HDF5 superblock says ${at + eof}`;
    }
    return undefined; // anything else: let HDF5 judge
  }
  return "not an HDF5 file (no HDF5 signature)";
}

const NUMERIC = new Set(Object.keys(TYPED_ARRAY_OF).filter((k) => k !== "bool"));

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The error of an h5wasm call on `path` that threw or printed a diagnostic. */
function damaged(
  path: string,
  what: string,
  r: { error?: unknown; diag: string },
  refetch: string | undefined,
): MalformedFileError {
  if (/Aborted\(/.test(r.diag) || /Aborted\(/.test(errorText(r.error))) abortedOn ??= path;
  const why = r.diag ? diagSummary(r.diag) : errorText(r.error);
  return new MalformedFileError(
    path,
    `HDF5 cannot ${what}: the file is damaged or truncated (${why})`,
    refetch,
    { cause: r.error ?? new Error(r.diag) },
  );
}

/**
 * Reads one dataset (or rows of it) of a local HDF5 file: open, read, close.
 *
 * @example
 * ```ts
 * import { readHdf5Dataset } from "@laion/fmri/formats";
 * const ids = await readHdf5Dataset("/tmp/emb.h5", "image_ids") as string[];
 * ```
 */
export async function readHdf5Dataset(
  path: string,
  name: string,
  options: Hdf5ReadOptions & { signal?: AbortSignal; refetch?: string } = {},
): Promise<Hdf5Values> {
  using file = await Hdf5File.open(path, { signal: options.signal, refetch: options.refetch });
  return file.read(name, options);
}
