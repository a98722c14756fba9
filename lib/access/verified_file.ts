/**
 * Is a local file complete and verified? Its size, and its SHA-256 known
 * from a `{path}.sha256` sidecar (size, hash, and the mtime the file had
 * when it was hashed) so that a multi-GB file is hashed once, not on every call.
 * @module
 */
import type { Hash } from "node:crypto";
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../core/fs.ts";

/** The sidecar beside a verified file: its size, hash, and the mtime it had then. */
interface Sidecar {
  size: number;
  sha256: string;
  mtimeMs: number;
}

/**
 * The sidecar path of a file: `{path}.sha256`.
 *
 * @example
 * ```ts
 * import { sidecarPath } from "./verified_file.ts";
 * sidecarPath("/data/stimuli/task-images_stimuli.h5"); // ".../task-images_stimuli.h5.sha256"
 * ```
 */
export function sidecarPath(path: string): string {
  return `${path}.sha256`;
}

/**
 * The file's stat, or `undefined` when it does not exist (other errors are thrown).
 *
 * @example
 * ```ts
 * import { statOrUndefined } from "./verified_file.ts";
 * console.log((await statOrUndefined("/data/x.h5"))?.size ?? "absent");
 * ```
 */
export async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    const s = JSON.parse(await Deno.readTextFile(sidecarPath(path)));
    return typeof s?.size === "number" && typeof s?.sha256 === "string" &&
        typeof s?.mtimeMs === "number"
      ? s
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records that `path`, as it is now on disk (size, mtime), has `sha256`.
 *
 * @example
 * ```ts
 * import { writeSidecar } from "./verified_file.ts";
 * await writeSidecar("/data/stimuli/task-images_metadata.csv", "ab".repeat(32));
 * ```
 */
export async function writeSidecar(
  path: string,
  sha256: string,
  signal?: AbortSignal,
): Promise<void> {
  const st = await Deno.stat(path);
  const data: Sidecar = { size: st.size, sha256, mtimeMs: st.mtime?.getTime() ?? 0 };
  await writeFileAtomic(sidecarPath(path), JSON.stringify(data) + "\n", { signal });
}

/**
 * Feeds a file's bytes into `hash`; returns how many were read.
 *
 * @example
 * ```ts
 * import { createHash } from "node:crypto";
 * import { hashFile } from "./verified_file.ts";
 * const h = createHash("sha256");
 * await hashFile("/data/x.h5", h);
 * console.log(h.digest("hex"));
 * ```
 */
export async function hashFile(path: string, hash: Hash, signal?: AbortSignal): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(1 << 20);
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const n = await file.read(buf);
    if (n === null) return total;
    hash.update(buf.subarray(0, n));
    total += n;
  }
}

/**
 * True when the file at `path` has `size` bytes and `sha256`, known from its
 * sidecar (same size and mtime) or, without one, by hashing it (the sidecar
 * is then written). Returns the bytes hashed too.
 *
 * @example
 * ```ts
 * import { isFileVerified } from "./verified_file.ts";
 * const { ok } = await isFileVerified("/data/stimuli/task-images_metadata.csv", 10, "ab".repeat(32));
 * ```
 */
export async function isFileVerified(
  path: string,
  size: number,
  sha256: string | undefined,
  signal?: AbortSignal,
): Promise<{ ok: boolean; hashed: number }> {
  const st = await statOrUndefined(path);
  if (!st?.isFile || st.size !== size) return { ok: false, hashed: 0 };
  if (sha256 === undefined) return { ok: true, hashed: 0 };
  const want = sha256.toLowerCase();
  const side = await readSidecar(path);
  if (side && side.size === st.size && side.mtimeMs === (st.mtime?.getTime() ?? 0)) {
    return { ok: side.sha256 === want, hashed: 0 };
  }
  const hash = createHash("sha256");
  const hashed = await hashFile(path, hash, signal);
  const got = hash.digest("hex");
  if (got === want) await writeSidecar(path, got, signal).catch(() => {});
  return { ok: got === want, hashed };
}
