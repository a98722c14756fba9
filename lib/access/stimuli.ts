/**
 * `downloadStimuli`: the gated stimulus images and their metadata, through
 * presigned URLs of the access service (upstream's `download_stimuli`).
 * @module
 */
import { join } from "node:path";
import { AccessNotFoundError, AccessServiceError } from "../core/errors.ts";
import { requireDataDir } from "../local/config.ts";
import { checkAccessPermissions, checkUrlHosts } from "./access_permissions.ts";
import { type AccessGrant, fetchManifest, refreshUrls } from "./client.ts";
import { downloadFile, type FileProgress } from "./download_file.ts";
import type { FormVia } from "./form.ts";
import { isFileVerified } from "./verified_file.ts";
import {
  fileAccessRequest,
  type FormContext,
  type RequestAccessOptions,
} from "./request_access.ts";
import { loadRequestId, REQUEST_ID_ENV } from "./request_id.ts";

/**
 * The gated files and where they go below the data directory.
 *
 * @example
 * ```ts
 * import { STIMULUS_FILES } from "@laion/fmri/access";
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
 * only when no request id is known, or the service does not know it) and
 * the data directory.
 *
 * @example
 * ```ts
 * import type { DownloadStimuliOptions } from "@laion/fmri";
 * const o: DownloadStimuliOptions = { dataDir: "/data", serverUrl: "https://laion-fmri.hebartlab.com" };
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
 * is none, or when the service does not know it (upstream's
 * `_resolve_stimulus_access`); `savedAt` says where a new id was saved.
 */
async function resolveStimulusAccess(
  options: DownloadStimuliOptions,
  base: string,
  ctx: FormContext,
): Promise<{ grant: AccessGrant; savedAt?: string }> {
  const id = await loadRequestId(options);
  if (id === undefined) return await fileAccessRequest(options, base, ctx);
  try {
    return { grant: await refreshUrls(id, options) };
  } catch (e) {
    if (!(e instanceof AccessNotFoundError)) throw e;
    console.error(
      "[laion-fmri] Your cached request_id is unknown to the server (maybe revoked, anonymised " +
        "after inactivity, or you switched servers). Running the access form now.",
    );
    checkAccessPermissions({
      what: "request access to the stimulus images",
      serverUrl: base,
      authFile: options.authFile,
      download: false,
    });
    return await fileAccessRequest(options, base, ctx);
  }
}

/**
 * Downloads the stimulus images (`stimuli/task-images_stimuli.h5`, gated by
 * the Terms of Use) and their metadata into the data directory. First every
 * Deno grant the call needs is checked and the missing ones named in one
 * error (see README's permission table), so that nothing fails after a
 * request was granted. The public manifest says each file's size and
 * SHA-256; files already complete are kept, and when both are, nothing else
 * is asked of the service. Otherwise the request id of
 * `$LAION_FMRI_REQUEST_ID` or the request-id cache gets fresh presigned
 * URLs, with no form. Without one (or with an id the service does not know)
 * the access form runs as {@linkcode requestStimulusAccess} runs it: asked
 * in a terminal, or taken from `form` (the person's own answers); an
 * incomplete form is an {@linkcode AccessFormError} and nothing is
 * submitted. A granted id is printed and saved before the download starts.
 * Each file is fetched with {@linkcode downloadFile} (resumable, SHA-256
 * verified). Returns the local path of each file, by name.
 *
 * @throws {PermissionMissingError} naming every missing grant, before the form
 * @throws {AccessFormError} when the form is needed and incomplete, or there is no terminal
 * @throws {AccessServiceError} when the manifest or the grant lacks a file, or a download fails
 * @throws {AccessRevokedError} when the cached request id was revoked
 * @throws {TermsOutdatedError} when the terms changed since they were accepted
 * @throws {DataDirNotSetError} when no data directory is configured or given
 * @throws {DataDirNotFoundError} when the data directory does not exist (it is never created)
 * @example
 * ```ts
 * import { downloadStimuli } from "@laion/fmri";
 * // With a request id granted before, or in a terminal (the form is asked there).
 * const paths = await downloadStimuli({ dataDir: "/data" });
 * console.log(paths["task-images_stimuli.h5"]);
 * ```
 */
export function downloadStimuli(
  options: DownloadStimuliOptions = {},
): Promise<Record<StimulusFileName, string>> {
  return downloadStimuliVia(options, "api");
}

/**
 * {@linkcode downloadStimuli}, with form errors naming the CLI's flags (`via: "cli"`).
 * @internal
 */
export async function downloadStimuliVia(
  options: DownloadStimuliOptions,
  via: FormVia,
): Promise<Record<StimulusFileName, string>> {
  const say = (s: string) => {
    if (!options.quiet) console.log(s);
  };
  // Every grant the call needs, named at once before anything is asked or filed.
  const checked = checkAccessPermissions({
    what: "request and download the stimulus images",
    serverUrl: options.serverUrl,
    authFile: options.authFile,
    download: true,
    dataDir: options.dataDir,
  });
  // Never created silently (requireDataDir); checked after the grants, so that one error names them all.
  const dataDir = await requireDataDir(options.dataDir);
  const client = { ...options, serverUrl: checked.base };
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
  const { grant, savedAt } = await resolveStimulusAccess(client, checked.base, { via });
  checkUrlHosts(
    grant.files?.map((f) => f.url) ?? [],
    savedAt ?? (options.authFile ?? `$${REQUEST_ID_ENV} or the request-id cache`),
  );
  say(
    `\n[laion-fmri] Downloading ${needed.length} stimulus file(s) ` +
      `(links valid until ${grant.expiresAt}):`,
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
