/**
 * The download manifest: `{dataDir}/.laion_fmri/manifest.json`, a map of
 * bucket key -> ETag of the complete file at its local path. Written
 * atomically (temp file + rename), merged with what other processes wrote.
 * @module
 */
import { join } from "node:path";
import { abortable } from "../core/abort.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { STATE_DIR } from "./plan.ts";

const FILE = "manifest.json";

interface ManifestFile {
  version: 1;
  /** key -> ETag (or `size:N` when the bucket gave no ETag). */
  files: Record<string, string>;
}

async function readEntries(path: string): Promise<Record<string, string>> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path)) as Partial<ManifestFile>;
    const files = parsed?.files;
    if (!files || typeof files !== "object") return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(files)) if (typeof v === "string") out[k] = v;
    return out;
  } catch {
    return {}; // missing or damaged: every file is re-checked against the bucket
  }
}

/**
 * Key -> ETag records of completed files. One instance per data directory
 * per process ({@linkcode openManifest}); saves are serialized and merged.
 *
 * @example
 * ```ts
 * import { openManifest } from "./manifest.ts";
 * const m = await openManifest(await Deno.makeTempDir());
 * m.set("README", "d41d8cd98f00b204e9800998ecf8427e");
 * await m.save();
 * ```
 */
export class Manifest {
  /** Absolute path of the manifest file. */
  readonly path: string;
  #entries: Record<string, string>;
  #own = new Map<string, string | undefined>();
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  /**
   * Creates an instance.
   * @param path the manifest file
   * @param entries the records read from it
   */
  constructor(path: string, entries: Record<string, string>) {
    this.path = path;
    this.#entries = entries;
  }

  /** The recorded ETag of a key. */
  get(key: string): string | undefined {
    return this.#entries[key];
  }

  /** Records (or, with `undefined`, forgets) the ETag of a complete file. */
  set(key: string, etag: string | undefined): void {
    if (etag === undefined) delete this.#entries[key];
    else this.#entries[key] = etag;
    this.#own.set(key, etag);
    this.#dirty = true;
  }

  /** Re-reads the file on disk (what other processes recorded), keeping this process's records. */
  async reload(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const disk = await readEntries(this.path);
    for (const [k, v] of this.#own) {
      if (v === undefined) delete disk[k];
      else disk[k] = v;
    }
    this.#entries = disk;
  }

  /**
   * Writes the records (merged with the file on disk) atomically; coalesces
   * concurrent calls. Takes no signal on purpose: a cancelled download still
   * records the files it completed.
   */
  save(): Promise<void> {
    this.#saving = this.#saving.then(() => this.#write()).catch(() => {});
    return this.#saving;
  }

  async #write(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const disk = await readEntries(this.path);
    for (const [k, v] of this.#own) {
      if (v === undefined) delete disk[k];
      else disk[k] = v;
    }
    this.#entries = { ...disk };
    const body: ManifestFile = { version: 1, files: disk };
    try {
      await writeFileAtomic(this.path, JSON.stringify(body) + "\n");
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
  }
}

const open = new Map<string, Promise<Manifest>>();

/**
 * Options of {@linkcode openManifest}.
 *
 * @example
 * ```ts
 * import { type OpenManifestOptions } from "./manifest.ts";
 * const o: OpenManifestOptions = { signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface OpenManifestOptions {
  /** Stops waiting (the shared manifest is still opened for other callers). */
  signal?: AbortSignal;
}

/**
 * The manifest of a data directory (shared by every download of this
 * process); creates `.laion_fmri/` when missing.
 *
 * @example
 * ```ts
 * import { openManifest } from "./manifest.ts";
 * const manifest = await openManifest(await Deno.makeTempDir());
 * console.log(manifest.get("README"));
 * ```
 */
export async function openManifest(
  dataDir: string,
  options: OpenManifestOptions = {},
): Promise<Manifest> {
  const { signal } = options;
  signal?.throwIfAborted();
  let m = open.get(dataDir);
  if (m) {
    const manifest = await abortable(m, signal);
    await manifest.reload(signal);
    return manifest;
  } else {
    m = (async () => {
      const dir = join(dataDir, STATE_DIR);
      await Deno.mkdir(dir, { recursive: true });
      const path = join(dir, FILE);
      return new Manifest(path, await readEntries(path));
    })();
    open.set(dataDir, m);
    m.catch(() => open.delete(dataDir));
  }
  return await abortable(m, signal);
}
