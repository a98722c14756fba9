/**
 * The `.part` temp files of transfers: unique names, the exclusive lock that
 * marks a live owner, and claiming the temp files of dead processes.
 *
 * They are not written through `writeFileAtomic`: they are resumable by
 * design, so they outlive their process, and the lock (not the name) tells
 * a live transfer's file from an orphan.
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Suffix of a temp file. */
export const TEMP_SUFFIX = ".part";
/** Suffix of a segment map, appended to its temp file's name. */
export const MAP_SUFFIX = ".map";
/** Suffix of a temp file between its creation and its lock. */
const STAGING_SUFFIX = ".part.new";

/** A staging file older than this (ms) and unlocked was left by a killed process. */
const STALE_STAGING_MS = 10_000;

function etagTag(etag: string | undefined): string {
  return etag ? etag.replace(/[^A-Za-z0-9-]/g, "").slice(0, 40) || "x" : "noetag";
}

/** Temp files named by this process so far: part of every name, so no two calls share one. */
let named = 0;

/**
 * Temp file name of a key in its destination folder:
 * `.{name}.{etag}.{pid}-{hex}.part` (hidden). `{hex}` is a per-process
 * counter followed by 8 random hex digits, so names never collide within
 * a process, and across processes only by chance of the pid and random
 * part together.
 *
 * @example
 * ```ts
 * import { tempName } from "./temp_files.ts";
 * tempName("/data/README", "d41d8cd98f00b204e9800998ecf8427e");
 * // "/data/.README.d41d8cd98f00b204e9800998ecf8427e.1234-0a1b2c3d4.part"
 * ```
 */
export function tempName(path: string, etag: string | undefined): string {
  const unique = (named++).toString(16) + crypto.randomUUID().slice(0, 8);
  return join(
    dirname(path),
    `.${basename(path)}.${etagTag(etag)}.${Deno.pid}-${unique}${TEMP_SUFFIX}`,
  );
}

/**
 * Per-run cache of destination folders: created once, scanned once for temp
 * files (a temp file that appears later belongs to a live process).
 *
 * @example
 * ```ts
 * import { FolderCache } from "./temp_files.ts";
 * const folders = new FolderCache();
 * await folders.mkdir("/tmp/laion-example");
 * ```
 */
export class FolderCache {
  #made = new Map<string, Promise<void>>();
  #temps = new Map<string, Promise<Deno.DirEntry[]>>();

  /** Creates a folder (once per run). */
  mkdir(dir: string): Promise<void> {
    let p = this.#made.get(dir);
    if (!p) {
      p = Deno.mkdir(dir, { recursive: true });
      this.#made.set(dir, p);
      p.catch(() => this.#made.delete(dir));
    }
    return p;
  }

  /** The temp files of a folder at the time of the first call. */
  temps(dir: string): Promise<Deno.DirEntry[]> {
    let p = this.#temps.get(dir);
    if (!p) {
      p = (async () => {
        const out: Deno.DirEntry[] = [];
        for await (const e of Deno.readDir(dir)) {
          if (
            e.isFile && e.name.startsWith(".") &&
            (e.name.endsWith(TEMP_SUFFIX) || e.name.endsWith(STAGING_SUFFIX))
          ) out.push(e);
        }
        return out;
      })();
      this.#temps.set(dir, p);
    }
    return p;
  }
}

/**
 * Creates a temp file holding the exclusive lock that marks it as owned by a
 * live process: created and locked under a name the orphan scan ignores,
 * then renamed (the lock stays with the open file), so every `.part` file is
 * either locked by its owner or orphaned.
 *
 * @example
 * ```ts
 * import { createTemp, tempName } from "./temp_files.ts";
 * const dir = await Deno.makeTempDir();
 * const file = await createTemp(tempName(`${dir}/a.bin`, undefined));
 * file.close();
 * ```
 */
export async function createTemp(path: string, signal?: AbortSignal): Promise<Deno.FsFile> {
  signal?.throwIfAborted();
  const staging = path + STAGING_SUFFIX;
  const file = await Deno.open(staging, { read: true, write: true, createNew: true });
  try {
    await file.lock(true);
    await Deno.rename(staging, path);
  } catch (e) {
    file.close();
    await Deno.remove(staging).catch(() => {});
    throw e;
  }
  return file;
}

/**
 * Removes a staging file (a temp file between creation and its lock) left by
 * a process killed in that instant: unlocked and older than 10 s.
 */
async function removeStaleStaging(path: string): Promise<void> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true, write: true });
    const info = await file.stat();
    const old = info.mtime !== null && Date.now() - info.mtime.getTime() > STALE_STAGING_MS;
    if (old && await file.tryLock(true)) await Deno.remove(path);
  } catch {
    // gone already, or not ours to judge
  } finally {
    file?.close();
  }
}

/** An orphaned temp file taken over by this process: open, locked, renamed to the new name. */
export interface ClaimedTemp {
  /** The open, locked file. */
  file: Deno.FsFile;
  /** Its size when claimed. */
  size: number;
}

/** Options of {@linkcode claimOrphan}. */
export interface ClaimOptions {
  /** ETag of the object version wanted; orphans of other versions are only removed. */
  etag: string | undefined;
  /** Size of the object: a larger orphan is not claimed. */
  size: number;
  /** Name to give the claimed orphan; `""` claims nothing (only cleans up). */
  mine: string;
  /** Folders created and scanned in this run. */
  folders: FolderCache;
  /** Stops before the scan (an orphan found is either claimed or closed, never left open). */
  signal?: AbortSignal;
}

/**
 * Finds the temp files left in `path`'s folder by processes that are gone:
 * a live transfer holds an exclusive lock on its temp file (released by the
 * kernel when the process dies, even on kill -9), so a temp file whose lock
 * can be taken is orphaned. Claims the largest one of the same object version
 * (renamed to `mine`, still locked) and deletes the other orphans, with
 * their segment maps.
 *
 * @example
 * ```ts
 * import { claimOrphan, FolderCache } from "./temp_files.ts";
 * const dir = await Deno.makeTempDir();
 * // Nothing to claim in an empty folder; `mine: ""` only cleans up.
 * await claimOrphan(`${dir}/a.bin`, { etag: undefined, size: 0, mine: "", folders: new FolderCache() });
 * ```
 */
export async function claimOrphan(
  path: string,
  options: ClaimOptions,
): Promise<ClaimedTemp | undefined> {
  const { etag, size, mine, folders, signal } = options;
  signal?.throwIfAborted();
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const tag = etagTag(etag);
  const found: { name: string; size: number; file: Deno.FsFile }[] = [];
  try {
    for (const e of await folders.temps(dir)) {
      if (!e.name.startsWith(prefix)) continue;
      if (e.name.endsWith(STAGING_SUFFIX)) {
        await removeStaleStaging(join(dir, e.name));
        continue;
      }
      const m = e.name.slice(prefix.length, -TEMP_SUFFIX.length).match(
        /^([A-Za-z0-9-]+)\.(\d+)-[0-9a-f]+$/,
      );
      if (!m) continue;
      let file: Deno.FsFile | undefined;
      try {
        file = await Deno.open(join(dir, e.name), { read: true, write: true });
        if (!(await file.tryLock(true))) {
          file.close(); // a live transfer's
          continue;
        }
        const info = await file.stat();
        // Another object version: only removed.
        found.push({ name: e.name, size: m[1] === tag ? info.size : -1, file });
      } catch {
        file?.close();
      }
    }
  } catch {
    // folder unreadable: nothing to resume
  }
  found.sort((a, b) => b.size - a.size);
  let claimed: ClaimedTemp | undefined;
  for (const f of found) {
    if (!claimed && mine !== "" && f.size > 0 && f.size <= size) {
      try {
        await Deno.rename(join(dir, f.name), mine);
        claimed = { file: f.file, size: f.size };
        // A segmented transfer's progress map moves with it.
        await Deno.rename(join(dir, f.name) + MAP_SUFFIX, mine + MAP_SUFFIX).catch(() => {});
        continue;
      } catch {
        // fall through: delete it
      }
    }
    await Deno.remove(join(dir, f.name)).catch(() => {});
    await Deno.remove(join(dir, f.name) + MAP_SUFFIX).catch(() => {});
    f.file.close();
  }
  return claimed;
}

/**
 * Writes all of `data` at the file's current position.
 *
 * @example
 * ```ts
 * import { writeAll } from "./temp_files.ts";
 * const path = await Deno.makeTempFile();
 * const file = await Deno.open(path, { write: true });
 * await writeAll(file, new Uint8Array([1, 2, 3]));
 * file.close();
 * ```
 */
export async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}
