/**
 * gzip inflate through Intel's ISA-L (Debian `libisal2`) over Deno FFI.
 * Each call is synchronous and fills a small output buffer (256 KiB) that
 * stays in cache while the caller gathers voxels from it; the compressed
 * input is read ahead asynchronously. Measured on a 2-core machine (5 GB
 * inflated): this runs at `igzip -d`'s speed, and two decodes on two
 * threads take as long as one; `nonblocking` calls on 8 MiB buffers were
 * 10-20% slower alone and only 1.45x faster two at a time.
 *
 * The `inflate_state` field offsets below are ABI facts of libisal 2.30
 * (checked against `isa-l/igzip_lib.h`). They are trusted only after the
 * library's file name says 2.0.30 and a self-test inflates a known stream;
 * otherwise, or without the library or `--allow-ffi`, {@linkcode isalAvailable}
 * says no and the caller uses `node:zlib`: the result is the same, only slower.
 * @module
 */
import { gzipSync } from "node:zlib";

const LIB = "libisal.so.2";
const STATE_BYTES = 87368;
const NEXT_OUT = 0, AVAIL_OUT = 8, NEXT_IN = 16, AVAIL_IN = 32;
const BLOCK_STATE = 21160, CRC_FLAG = 21172;
const ISAL_GZIP = 1, ISAL_BLOCK_FINISH = 5;
const ERRORS: Record<number, string> = {
  [-1]: "invalid block",
  [-2]: "invalid symbol",
  [-3]: "invalid lookback distance",
  [-4]: "invalid wrapper",
  [-5]: "unsupported method",
  [-6]: "incorrect checksum",
};

const SYMBOLS = {
  isal_inflate_init: { parameters: ["buffer"], result: "void" },
  isal_inflate: { parameters: ["buffer"], result: "i32" },
} as const;
type IsalLib = Deno.DynamicLibrary<typeof SYMBOLS>;

let loaded: Promise<IsalLib | undefined> | undefined;

/** Which inflater the NIfTI readers use for `.nii.gz`. */
export type Inflater = "zlib" | "isal";
let inflater: Inflater = "isal";

/**
 * Chooses the inflater of the NIfTI readers. The default is ISA-L through
 * FFI: a realistic session (1.25 GB compressed, 5 GB inflated) decodes at
 * the face ROI in 3.9-4.8 s against `node:zlib`'s 5.6-6.9 s and the
 * `igzip -d` CLI's 4.1-4.3 s in the same runs (0.91-1.09x of igzip's
 * throughput, a 2-core machine; `deno task bench:remote` prints them). `"isal"`
 * falls back to zlib when the library or `--allow-ffi` is missing, so the
 * bytes and errors are the same either way.
 *
 * @example
 * ```ts
 * import { setInflater } from "@laion/fmri/formats";
 * setInflater("isal");
 * ```
 */
export function setInflater(choice: Inflater): void {
  if (choice !== "zlib" && choice !== "isal") {
    throw new RangeError(`inflater must be "zlib" or "isal": got ${JSON.stringify(choice)}`);
  }
  inflater = choice;
}

/**
 * The inflater chosen with {@linkcode setInflater} (decode workers take it over).
 *
 * @example
 * ```ts
 * import { getInflater } from "@laion/fmri/formats";
 * getInflater(); // "zlib"
 * ```
 */
export function getInflater(): Inflater {
  return inflater;
}

/** True when the NIfTI readers should inflate with ISA-L (chosen and available). */
export async function useIsal(): Promise<boolean> {
  return inflater === "isal" && await isalAvailable();
}

function libraryFile(): string | undefined {
  for (const dir of ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]) {
    try {
      return Deno.realPathSync(`${dir}/${LIB}`);
    } catch { /* not here */ }
  }
  return undefined;
}

async function load(): Promise<IsalLib | undefined> {
  try {
    if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") return undefined;
    const file = libraryFile();
    if (!file?.endsWith(".so.2.0.30")) return undefined; // offsets are of this version only
    const lib = Deno.dlopen(file, SYMBOLS);
    // Self-test: a known stream must come back exactly.
    const want = new TextEncoder().encode("laion-fmri isa-l self-test ".repeat(500));
    const got = new Uint8Array(want.length + 64);
    let n = 0;
    for await (const c of inflateWith(lib, [gzipSync(want)], "self-test")) {
      got.set(c, n);
      n += c.length;
    }
    if (n !== want.length || !want.every((b, i) => got[i] === b)) {
      lib.close();
      return undefined;
    }
    return lib;
  } catch {
    return undefined;
  }
}

/**
 * Whether ISA-L can be used here (library 2.30 present, `--allow-ffi`
 * granted, self-test passed). Checked once per process.
 *
 * @example
 * ```ts
 * import { isalAvailable } from "@laion/fmri/formats";
 * console.log(await isalAvailable()); // true with libisal2 and --allow-ffi
 * ```
 */
export async function isalAvailable(): Promise<boolean> {
  loaded ??= load();
  return (await loaded) !== undefined;
}

/** Options of {@linkcode isalInflateFile}. */
export interface IsalInflateOptions {
  /** Bytes read from the file at a time (one such read runs ahead). @default 1 MiB */
  readBytes?: number;
  /** Bytes of each output piece: small enough to stay in cache until gathered. @default 256 KiB */
  outBytes?: number;
  /**
   * Output buffers reused in turn: a piece is then overwritten `reuse`
   * pieces later, so a consumer must copy what it keeps before asking for
   * that many more (with `readAhead(…, depth)`, `reuse` must exceed
   * `depth + 1`). Reuse spares allocating and zeroing gigabytes.
   * @default 0 (a new buffer for every piece)
   */
  reuse?: number;
  /** Stops inflating. */
  signal?: AbortSignal;
}

/**
 * The inflated bytes of a gzip file (every member), in pieces. Each piece
 * stays valid after the next one is asked for (unless `reuse` is set). Call only after
 * {@linkcode isalAvailable} said yes.
 *
 * @throws {Error} shaped like `node:zlib`'s (`code` `Z_DATA_ERROR` for corrupt data,
 *   `Z_BUF_ERROR` with "unexpected end of file" for a truncated stream)
 * @example
 * ```ts
 * import { isalAvailable } from "@laion/fmri/formats";
 * import { isalInflateFile } from "./inflate_isal.ts";
 * if (await isalAvailable()) for await (const piece of isalInflateFile("x.nii.gz")) console.log(piece.length);
 * ```
 */
export async function* isalInflateFile(
  path: string,
  options: IsalInflateOptions = {},
): AsyncGenerator<Uint8Array> {
  const lib = await loaded;
  if (!lib) throw new Error("ISA-L is not available: check isalAvailable() first");
  using file = await Deno.open(path, { read: true });
  const readBytes = options.readBytes ?? 1 << 20;
  // ISA-L consumes a piece whole before asking for the next, and one piece is read ahead
  // while it inflates: three input buffers in turn leave one spare.
  const inputs = [0, 1, 2].map(() => new Uint8Array(readBytes));
  let turn = 0;
  async function* pieces() {
    for (;;) {
      options.signal?.throwIfAborted();
      const buf = inputs[turn++ % 3];
      let n = 0;
      while (n < buf.length) {
        const r = await file.read(buf.subarray(n));
        if (r === null) break;
        n += r;
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
      if (n < buf.length) return;
    }
  }
  yield* inflateWith(
    lib,
    readAhead(pieces(), 1),
    path,
    options.outBytes,
    options.signal,
    options.reuse,
  );
}

async function* inflateWith(
  lib: IsalLib,
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  outBytes = 256 << 10,
  signal?: AbortSignal,
  reuse = 0,
): AsyncGenerator<Uint8Array> {
  const ring = Array.from({ length: reuse }, () => new Uint8Array(outBytes));
  let next = 0;
  const state = new Uint8Array(STATE_BYTES);
  const view = new DataView(state.buffer);
  const setPtr = (at: number, buf: Uint8Array) =>
    view.setBigUint64(at, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf))), true);
  const reset = () => {
    lib.symbols.isal_inflate_init(state);
    view.setUint32(CRC_FLAG, ISAL_GZIP, true);
  };
  reset();
  let finished = false;
  // Errors as node:zlib's (message and code), so callers map both inflaters the same way.
  const zlibError = (message: string, code: string) =>
    Object.assign(new Error(`${name}: ${message}`), { code });
  for await (let chunk of input) {
    // A fresh member may start in this chunk: skip nothing, ISA-L reads its header.
    while (chunk.length > 0) {
      if (finished) {
        if (chunk[0] !== 0x1f) return; // trailing garbage after the last member: gzip ignores it
        reset();
        finished = false;
      }
      setPtr(NEXT_IN, chunk);
      view.setUint32(AVAIL_IN, chunk.length, true);
      for (;;) {
        signal?.throwIfAborted();
        const out = reuse > 0 ? ring[next++ % reuse] : new Uint8Array(outBytes);
        setPtr(NEXT_OUT, out);
        view.setUint32(AVAIL_OUT, out.length, true);
        const rc = lib.symbols.isal_inflate(state);
        if (rc < 0) {
          throw zlibError(
            `invalid gzip data (ISA-L: ${ERRORS[rc] ?? `error ${rc}`})`,
            "Z_DATA_ERROR",
          );
        }
        const produced = out.length - view.getUint32(AVAIL_OUT, true);
        if (produced > 0) yield out.subarray(0, produced);
        if (view.getUint32(BLOCK_STATE, true) === ISAL_BLOCK_FINISH) {
          finished = true;
          break;
        }
        if (view.getUint32(AVAIL_IN, true) === 0 && produced < out.length) break;
      }
      const left = view.getUint32(AVAIL_IN, true);
      chunk = chunk.subarray(chunk.length - left);
    }
  }
  if (!finished) throw zlibError("unexpected end of file", "Z_BUF_ERROR");
}

/**
 * Keeps up to `depth` pieces of `source` in production ahead of the
 * consumer, so a producer that works off the main thread (file reads on
 * Deno's I/O threads) overlaps with the consumer's work.
 *
 * @example
 * ```ts
 * import { readAhead } from "./inflate_isal.ts";
 * async function* count() { for (let i = 0; i < 3; i++) yield i; }
 * for await (const n of readAhead(count(), 2)) console.log(n);
 * ```
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 2): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  try {
    // A piece asked for ahead may fail while the consumer works on an earlier one: mark its
    // rejection handled now (it is rethrown when awaited), or the runtime reports it as uncaught.
    const ask = () => {
      const p = it.next();
      p.catch(() => {});
      queue.push(p);
    };
    for (let i = 0; i < depth; i++) ask();
    for (;;) {
      const r = await queue.shift()!;
      if (r.done) return;
      ask();
      yield r.value;
    }
  } finally {
    // Settle what is in flight, then let the source clean up (close its file).
    await Promise.allSettled(queue);
    await it.return?.();
  }
}
