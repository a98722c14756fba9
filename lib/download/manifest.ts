/**
 * The download manifest: `{dataDir}/.laion_fmri/manifest.json`, a map of
 * bucket key -> ETag of the complete file at its local path, and key -> MD5
 * of its bytes (what `verify` checks a multipart upload against). Written
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
  /** key -> hex MD5 of the file's bytes, when it was hashed (older manifests lack it). */
  md5?: Record<string, string>;
}

/** What is recorded of one complete file. */
interface Entry {
  record: string;
  md5?: string;
}

type Entries = Record<string, Entry>;

async function readEntries(path: string): Promise<Entries> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path)) as Partial<ManifestFile>;
    const files = parsed?.files;
    if (!files || typeof files !== "object") return {};
    const md5 = parsed.md5 && typeof parsed.md5 === "object" ? parsed.md5 : {};
    const out: Entries = {};
    for (const [k, v] of Object.entries(files)) {
      if (typeof v !== "string") continue;
      out[k] = typeof md5[k] === "string" ? { record: v, md5: md5[k] } : { record: v };
    }
    return out;
  } catch {
    return {}; // missing or damaged: every file is re-checked against the bucket
  }
}

function merge(disk: Entries, own: Map<string, Entry | undefined>): Entries {
  for (const [k, v] of own) {
    if (v === undefined) delete disk[k];
    else disk[k] = v;
  }
  return disk;
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
  #entries: Entries;
  #own = new Map<string, Entry | undefined>();
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  /**
   * Creates an instance.
   * @param path the manifest file
   * @param entries the records read from it
   */
  constructor(path: string, entries: Entries) {
    this.path = path;
    this.#entries = entries;
  }

  /** The recorded ETag of a key. */
  get(key: string): string | undefined {
    return this.#entries[key]?.record;
  }

  /** The recorded hex MD5 of a key's bytes, when it was hashed. */
  md5(key: string): string | undefined {
    return this.#entries[key]?.md5;
  }

  /**
   * Records (or, with `undefined`, forgets) the ETag of a complete file,
   * with the MD5 of its bytes when known.
   */
  set(key: string, etag: string | undefined, md5?: string): void {
    const entry = etag === undefined ? undefined : md5 ? { record: etag, md5 } : { record: etag };
    if (entry === undefined) delete this.#entries[key];
    else this.#entries[key] = entry;
    this.#own.set(key, entry);
    this.#dirty = true;
  }

  /** Re-reads the file on disk (what other processes recorded), keeping this process's records. */
  async reload(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.#entries = merge(await readEntries(this.path), this.#own);
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
    const disk = merge(await readEntries(this.path), this.#own);
    this.#entries = { ...disk };
    const files: Record<string, string> = {};
    const md5: Record<string, string> = {};
    for (const [k, v] of Object.entries(disk)) {
      files[k] = v.record;
      if (v.md5) md5[k] = v.md5;
    }
    const body: ManifestFile = { version: 1, files, md5 };
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
