/**
 * `downloadFile`: one presigned URL to one local file, resumable
 * (`{dest}.part` + `Range`, appended only after a 206 that starts where the
 * part ends), SHA-256 verified while streaming, renamed into place, with a
 * `{dest}.sha256` sidecar so that a later call does not hash the file again.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import { AccessServiceError, PermissionMissingError } from "../core/errors.ts";
import { flagFor, isPermissionError, withPermission } from "../core/permissions.ts";
import { formatBytes } from "./format.ts";
import {
  hashFile,
  isFileVerified,
  sidecarPath,
  statOrUndefined,
  writeSidecar,
} from "./verified_file.ts";

/** A file stops if no byte arrives for this long (upstream's socket timeout: 60 s). */
const IDLE_TIMEOUT_MS = 60_000;
/** Progress is printed at most this often. */
const PRINT_EVERY_MS = 250;

/**
 * Progress of one file.
 *
 * @example
 * ```ts
 * import type { FileProgress } from "@laion/fmri/access";
 * const show = (p: FileProgress) => console.log(p.name, p.doneBytes, p.totalBytes);
 * ```
 */
export interface FileProgress {
  /** The file's name. */
  name: string;
  /** Bytes on disk so far (a resumed part included). */
  doneBytes: number;
  /** The expected size. */
  totalBytes: number;
}

/**
 * Options of {@linkcode downloadFile}.
 *
 * @example
 * ```ts
 * import type { DownloadFileOptions } from "@laion/fmri/access";
 * const o: DownloadFileOptions = { expectedSize: 1024, expectedSha256: "ab".repeat(32), quiet: true };
 * ```
 */
export interface DownloadFileOptions {
  /** The size the file must have. */
  expectedSize: number;
  /** Its SHA-256 (hex). @default no hash check (size only) */
  expectedSha256?: string;
  /** Receives progress as bytes arrive. */
  onProgress?: (p: FileProgress) => void;
  /** No lines on stdout and no progress on stderr. @default false */
  quiet?: boolean;
  /** Milliseconds without a byte before the transfer stops (the part is kept). @default 60000 */
  idleTimeoutMs?: number;
  /** Stops the transfer; the part file is kept for a later resume. */
  signal?: AbortSignal;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * What {@linkcode downloadFile} did.
 *
 * @example
 * ```ts
 * import type { DownloadFileResult } from "@laion/fmri/access";
 * const done = (r: DownloadFileResult) => r.status !== "cached";
 * ```
 */
export interface DownloadFileResult {
  /** The final path. */
  path: string;
  /** `cached` (already complete), `downloaded` (from byte 0) or `resumed` (a part continued). */
  status: "cached" | "downloaded" | "resumed";
  /** Bytes read back from disk to hash them (0 when the sidecar vouched for the file). */
  hashedFromDisk: number;
  /** Bytes received over the network. */
  received: number;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

/** The first byte a 206 answer starts at (`Content-Range: bytes N-M/T`). */
function rangeStart(res: Response): number | undefined {
  const m = res.headers.get("content-range")?.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  return m ? Number(m[1]) : undefined;
}

/**
 * Downloads `url` to `dest`: a complete, verified `dest` is kept (its
 * sidecar spares hashing it again); otherwise the bytes go to
 * `{dest}.part`, continuing an earlier part with `Range: bytes=N-` when
 * there is one. Bytes are appended only to a 206 answer starting at N; a
 * 200 answer (a server ignoring `Range`) restarts the part from zero. The
 * SHA-256 is computed while streaming; on a match the part is renamed to
 * `dest` and a `{dest}.sha256` sidecar written; on a mismatch the part is
 * removed. An interrupted transfer keeps its part for the next call.
 *
 * @throws {AccessServiceError} for an HTTP error (an expired presigned URL answers 403), a
 *   network error, a short body, or a SHA-256 mismatch
 * @example
 * ```ts
 * import { downloadFile } from "@laion/fmri/access";
 * const r = await downloadFile("https://laion-fmri.s3.us-west-2.amazonaws.com/stimuli/x.csv?X-Amz-Signature=...", "/data/x.csv", {
 *   expectedSize: 1234,
 *   expectedSha256: "0f".repeat(32),
 * });
 * console.log(r.status, r.hashedFromDisk);
 * ```
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadFileOptions,
): Promise<DownloadFileResult> {
  const { expectedSize, expectedSha256, signal } = options;
  const name = basename(dest);
  const say = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  await withPermission(
    `write ${name}`,
    `--allow-read=${dirname(dest)} --allow-write=${dirname(dest)}`,
    () => Deno.mkdir(dirname(dest), { recursive: true }),
  );
  const have = await isFileVerified(dest, expectedSize, expectedSha256, signal);
  if (have.ok) {
    say(`  ${name}: cached${expectedSha256 ? ", sha256 ok" : ""}`);
    return { path: dest, status: "cached", hashedFromDisk: have.hashed, received: 0 };
  }
  if (await statOrUndefined(dest)) await Deno.remove(dest);
  await Deno.remove(sidecarPath(dest)).catch(() => {});

  const tmp = `${dest}.part`;
  let start = (await statOrUndefined(tmp))?.size ?? 0;
  if (start >= expectedSize) {
    await Deno.remove(tmp);
    start = 0;
  }
  let hash = createHash("sha256");
  let hashed = start > 0 ? await hashFile(tmp, hash, signal) : 0;
  start = hashed;

  const idle = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => idle.abort(new Error("no data for too long")),
      options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    );
  };
  const fetchSignal = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
  const fail = (why: string, cause?: unknown, status?: number) =>
    new AccessServiceError(`Download of ${name} failed: ${why}`, { cause, status });

  let res: Response;
  arm();
  try {
    res = await (options.fetch ?? fetch)(url, {
      headers: start > 0 ? { range: `bytes=${start}-` } : {},
      signal: fetchSignal,
    });
  } catch (e) {
    clearTimeout(timer);
    if (signal?.aborted) throw signal.reason ?? e;
    if (isPermissionError(e)) {
      const flag = flagFor(e, `--allow-net=${new URL(url).host}`);
      throw new PermissionMissingError(`download ${name}`, flag, { cause: e });
    }
    throw fail((e as Error).message, e);
  }
  let append = false;
  if (start > 0 && res.status === 206 && rangeStart(res) === start) append = true;
  else if (res.status === 206 || res.status === 416 || !res.ok) {
    clearTimeout(timer);
    await res.body?.cancel();
    if (start > 0 && (res.status === 206 || res.status === 416)) {
      // A range we did not ask for, or a part longer than the object: start over.
      await Deno.remove(tmp).catch(() => {});
      return await downloadFile(url, dest, options);
    }
    throw fail(
      `HTTP ${res.status} (the presigned URL may have expired; ask for a fresh one)`,
      undefined,
      res.status,
    );
  }
  if (!append && start > 0) {
    // 200 to a ranged request: the server sent the whole object; the part restarts from zero.
    hash = createHash("sha256");
    hashed = 0;
    start = 0;
  }

  let done = start;
  let received = 0;
  let lastPrint = 0;
  const tty = !options.quiet && isTerminal();
  const report = (final = false) => {
    options.onProgress?.({ name, doneBytes: done, totalBytes: expectedSize });
    const now = performance.now();
    if (tty && (final || now - lastPrint > PRINT_EVERY_MS)) {
      lastPrint = now;
      const pct = expectedSize ? (100 * done / expectedSize).toFixed(1) : "100.0";
      const line = `\r  ${name}: ${formatBytes(done)} / ${formatBytes(expectedSize)} (${pct}%)   `;
      Deno.stderr.writeSync(new TextEncoder().encode(line + (final ? "\n" : "")));
    }
  };
  try {
    using file = await Deno.open(tmp, {
      write: true,
      create: true,
      append,
      truncate: !append,
    });
    const reader = res.body!.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      arm();
      if (done + value.length > expectedSize) {
        await reader.cancel();
        throw fail(`the server sent more than the expected ${expectedSize} bytes`);
      }
      await writeAll(file, value);
      hash.update(value);
      done += value.length;
      received += value.length;
      report();
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? e;
    if (e instanceof AccessServiceError || isPermissionError(e)) throw e;
    throw fail(`${(e as Error).message} (the partial file is kept; run again to resume)`, e);
  } finally {
    clearTimeout(timer);
  }
  report(true);
  if (done !== expectedSize) {
    throw fail(
      `received ${done} of ${expectedSize} bytes (the partial file is kept; run again to resume)`,
    );
  }
  const got = hash.digest("hex");
  if (expectedSha256 !== undefined && got !== expectedSha256.toLowerCase()) {
    await Deno.remove(tmp).catch(() => {});
    throw new AccessServiceError(
      `sha256 mismatch for ${name}: expected ${expectedSha256.slice(0, 16)}…, got ${
        got.slice(0, 16)
      }… (the partial file was removed)`,
    );
  }
  await Deno.rename(tmp, dest);
  await writeSidecar(dest, got, signal);
  say(`  ${name}: ${expectedSha256 ? "sha256 verified" : "downloaded"}`);
  return {
    path: dest,
    status: append ? "resumed" : "downloaded",
    hashedFromDisk: append ? hashed : 0,
    received,
  };
}

function isTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}
