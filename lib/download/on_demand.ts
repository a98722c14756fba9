/**
 * Small files fetched when a read needs them: a mask, an ROI folder or a
 * trial table missing from the data directory is copied from the bucket to
 * the same relative path (the local tree mirrors the bucket's keys), so a
 * remote read needs no download step first.
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import { type BucketOptions, getSource } from "../bucket/cached_source.ts";
import { SharedCache } from "../core/abort.ts";
import { isMissingObject, S3RequestError } from "../core/errors.ts";
import { bidsifyLocalKey } from "../core/ids.ts";
import { pathExists, writeFileAtomic } from "../core/fs.ts";

/** Options of {@linkcode OnDemandFiles}. */
export interface OnDemandOptions extends BucketOptions {
  /** Largest object fetched on demand, in bytes (these are masks and tables). @default 64 MiB */
  maxBytes?: number;
}

/**
 * Fetches missing files of a data directory from the bucket, once each
 * (concurrent callers share one request).
 *
 * @example
 * ```ts
 * import { OnDemandFiles } from "./on_demand.ts";
 * const files = new OnDemandFiles("/data/laion-fmri", { bucket: "laion-fmri" });
 * const p = "/data/laion-fmri/derivatives/rois/sub-01/face/sub-01_space-T1w_res-1pt8_label-FFA-1_mask.nii.gz";
 * await files.file(p); // true: on disk now
 * ```
 */
export class OnDemandFiles {
  /** The data directory the keys are relative to. */
  readonly dataDir: string;
  readonly #options: OnDemandOptions;
  readonly #fetches = new SharedCache<string, boolean>();
  readonly #folders = new SharedCache<string, number>();

  /** @param dataDir the data directory (the root of the key tree) */
  constructor(dataDir: string, options: OnDemandOptions = {}) {
    this.dataDir = dataDir;
    this.#options = { ...options };
  }

  /**
   * The bucket key of a path under the data directory.
   * @throws {RangeError} for a path outside it
   */
  keyOf(path: string): string {
    const rel = relative(this.dataDir, path);
    if (!rel || rel.startsWith("..") || rel.startsWith(sep)) {
      throw new RangeError(`${path} is not under the data directory ${this.dataDir}`);
    }
    return rel.split(sep).join("/");
  }

  /**
   * Makes sure `path` is on disk: fetches its key when missing.
   * @returns false when the bucket has no such object (404)
   */
  file(path: string, signal?: AbortSignal): Promise<boolean> {
    return this.#ensure(this.keyOf(path), path, signal);
  }

  #ensure(key: string, path: string, signal?: AbortSignal): Promise<boolean> {
    return this.#fetches.get(path, async () => {
      if (await pathExists(path)) return true;
      return await this.#fetch(key, path);
    }, signal);
  }

  /**
   * Fetches the objects under a folder's key prefix (recursively) whose
   * file names pass `accept` and that are not on disk yet, to their
   * bidsified local paths (as a download names them: `label-FFA-1` ->
   * `label-FFA1`); `accept` sees the bidsified name.
   * @returns how many objects under the prefix were accepted
   */
  folder(dir: string, accept: (name: string) => boolean, signal?: AbortSignal): Promise<number> {
    return this.#folders.get(dir, async () => {
      const source = getSource(this.#options);
      const prefix = `${this.keyOf(dir)}/`;
      const { objects } = await source.list(prefix);
      const local = (key: string) => bidsifyLocalKey(key.slice(prefix.length));
      const wanted = objects.filter((o) => accept(local(o.key).split("/").pop()!));
      await Promise.all(wanted.map((o) => this.#ensure(o.key, join(dir, local(o.key)))));
      return wanted.length;
    }, signal);
  }

  // Shared work: no caller's signal (SharedCache lets each caller stop waiting instead).
  async #fetch(key: string, path: string): Promise<boolean> {
    const source = getSource(this.#options);
    let body;
    try {
      body = await source.get(key);
    } catch (e) {
      // A missing object is no file; a missing bucket is an error that names it.
      if (isMissingObject(e)) return false;
      throw e;
    }
    const max = this.#options.maxBytes ?? 64 * 2 ** 20;
    if (body.contentLength > max) {
      await body.body.cancel();
      throw new RangeError(
        `s3://${source.bucket}/${key} is ${body.contentLength} bytes, more than the ` +
          `${max} bytes fetched on demand; download it first.`,
      );
    }
    const bytes = new Uint8Array(await new Response(body.body).arrayBuffer());
    if (body.contentLength && bytes.length !== body.contentLength) {
      throw new S3RequestError(
        `GET s3://${source.bucket}/${key} ended after ${bytes.length} of ${body.contentLength} bytes`,
        body.status,
        1,
      );
    }
    await Deno.mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
    return true;
  }
}
