/**
 * `downloadStimuli`: the gated stimulus images and their metadata, through
 * presigned URLs of the access service (upstream's `download_stimuli`).
 * @module
 */
import { join, resolve } from "node:path";
import { AccessNotFoundError, AccessServiceError } from "../core/errors.ts";
import { getDataDir } from "../local/config.ts";
import { type AccessGrant, accessServiceUrl, fetchManifest, refreshUrls } from "./client.ts";
import { downloadFile, type FileProgress } from "./download_file.ts";
import { isFileVerified } from "./verified_file.ts";
import { type RequestAccessOptions, requestStimulusAccess } from "./request_access.ts";
import { loadRequestId } from "./request_id.ts";

/**
 * The gated files and where they go below the data directory.
 *
 * @example
 * ```ts
 * import { STIMULUS_FILES } from "@laion/fmri";
 * console.log(Object.keys(STIMULUS_FILES)); // ["task-images_stimuli.h5", "task-images_metadata.csv"]
 * ```
 */
export const STIMULUS_FILES = {
  "task-images_stimuli.h5": "stimuli/task-images_stimuli.h5",
  "task-images_metadata.csv": "stimuli/task-images_metadata.csv",
} as const;

/** A name of {@linkcode STIMULUS_FILES}. */
export type StimulusFileName = keyof typeof STIMULUS_FILES;

/**
 * Options of {@linkcode downloadStimuli}: those of the access form (used
 * when no request id is cached, or the cached one is unknown) and the data
 * directory.
 *
 * @example
 * ```ts
 * import type { DownloadStimuliOptions } from "@laion/fmri";
 * const o: DownloadStimuliOptions = { dataDir: "/data", serverUrl: "http://127.0.0.1:8099" };
 * ```
 */
export interface DownloadStimuliOptions extends RequestAccessOptions {
  /** The data directory. @default the configured one (`getDataDir()`) */
  dataDir?: string;
  /** Receives each file's progress. */
  onFileProgress?: (p: FileProgress) => void;
}

/**
 * Presigned URLs for the cached request id, or the access form when there
 * is none, or when the service does not know it (upstream's `_resolve_stimulus_access`).
 */
async function resolveStimulusAccess(options: DownloadStimuliOptions): Promise<AccessGrant> {
  const id = await loadRequestId(options);
  if (id === undefined) return await requestStimulusAccess(options);
  try {
    return await refreshUrls(id, options);
  } catch (e) {
    if (!(e instanceof AccessNotFoundError)) throw e;
    console.error(
      "[laion-fmri] Your cached request_id is unknown to the server (maybe revoked, anonymised " +
        "after inactivity, or you switched servers). Running the access form now.",
    );
    return await requestStimulusAccess(options);
  }
}

/**
 * Downloads the stimulus images (`stimuli/task-images_stimuli.h5`, gated by
 * the Terms of Use) and their metadata into the data directory. The public
 * manifest says each file's size and SHA-256; files already complete are
 * kept, and when both are, nothing else is asked of the service. Otherwise
 * the cached request id gets fresh presigned URLs (no id, or an id unknown
 * to the service: the access form runs), and each file is fetched with
 * {@linkcode downloadFile} (resumable, SHA-256 verified). Returns the local
 * path of each file, by name.
 *
 * @throws {AccessServiceError} when the manifest or the grant lacks a file, or a download fails
 * @throws {AccessRevokedError} when the cached request id was revoked
 * @throws {TermsOutdatedError} when the terms changed since they were accepted
 * @throws {DataDirNotSetError} when no data directory is configured or given
 * @example
 * ```ts
 * import { downloadStimuli } from "@laion/fmri";
 * const paths = await downloadStimuli({ dataDir: "/data" });
 * console.log(paths["task-images_stimuli.h5"]);
 * ```
 */
export async function downloadStimuli(
  options: DownloadStimuliOptions = {},
): Promise<Record<StimulusFileName, string>> {
  const say = (s: string) => {
    if (!options.quiet) console.log(s);
  };
  const dataDir = resolve(options.dataDir ?? getDataDir());
  const client = { ...options, serverUrl: accessServiceUrl(options.serverUrl) };
  const manifest = await fetchManifest(client);
  const paths = {} as Record<StimulusFileName, string>;
  const needed: StimulusFileName[] = [];
  for (const [name, rel] of Object.entries(STIMULUS_FILES) as [StimulusFileName, string][]) {
    const entry = manifest.files?.find((f) => f.name === name);
    if (!entry) throw new AccessServiceError(`Public manifest is missing '${name}'; aborting.`);
    paths[name] = join(dataDir, rel);
    const have = await isFileVerified(paths[name], entry.size, entry.sha256, options.signal);
    if (!have.ok) needed.push(name);
  }
  if (needed.length === 0) {
    say("[laion-fmri] stimuli already up to date.");
    return paths;
  }
  const grant = await resolveStimulusAccess(client);
  say(
    `\n[laion-fmri] Downloading ${needed.length} stimulus file(s) ` +
      `(links valid until ${grant.expires_at}):`,
  );
  for (const name of needed) {
    const info = grant.files?.find((f) => f.name === name);
    if (!info) throw new AccessServiceError(`Server didn't return expected file '${name}'.`);
    await downloadFile(info.url, paths[name], {
      expectedSize: info.size,
      expectedSha256: info.sha256,
      onProgress: options.onFileProgress,
      quiet: options.quiet,
      signal: options.signal,
    });
  }
  return paths;
}
