/**
 * The checks behind `loadSubject` and every per-session call of a Subject:
 * the subject's folder is on disk, and a session is public and on disk (or,
 * for a remote subject, in the bucket). Each failure names what fixes it.
 * @module
 */
import { dirname, join } from "node:path";
import { DataNotDownloadedError, formatSessions, LaionFmriError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import {
  checkSession,
  isPublicSessionNumber,
  publicSessionsHint,
  resolveSessionId,
  type SessionId,
} from "../core/ids.ts";
import { nearSubject, unknownSubjectError } from "../bucket/discovery.ts";
import { findStimulusMetadata } from "../stimuli/stimuli.ts";

/** Where a subject's sessions are checked. */
export interface SessionScope {
  /** The subject id. */
  subjectId: string;
  /** Whether the sessions are the bucket's (a remote subject). */
  remote: boolean;
  /** The subject's GLMsingle folder on disk. */
  glmsingleDir: string;
}

/**
 * A session id checked against the data: normalized (`1` -> `ses-01`),
 * not held out, and listed (on disk; for a remote subject, in the bucket).
 *
 * @param listed the sessions there are
 * @param what what is stored per session (for the message)
 * @throws {LaionFmriError} without a session
 * @throws {HeldOutSessionError} for a held-out session (not public)
 * @throws {UnknownSessionError} for a session no subject has (or, remote, not in the bucket)
 * @throws {DataNotDownloadedError} for one not on disk (lists those that are)
 * @example
 * ```ts
 * import { checkSubjectSession } from "./subject_checks.ts";
 * const scope = { subjectId: "sub-01", remote: false, glmsingleDir: "/data/sub-01" };
 * checkSubjectSession(scope, ["ses-01"], 1, "betas"); // "ses-01"
 * ```
 */
export function checkSubjectSession(
  scope: SessionScope,
  listed: readonly string[],
  session: SessionId | undefined,
  what: string,
): string {
  if (session === undefined || session === "") {
    throw new LaionFmriError(`session is required: ${what} are stored per session.`);
  }
  const id = resolveSessionId(session);
  const sub = scope.subjectId;
  if (scope.remote) return checkSession(id, listed, `of ${sub} in the bucket`);
  if (listed.includes(id)) return id;
  // Held out, or beyond any public session: downloading it cannot help, so no download advice.
  if (!isPublicSessionNumber(id)) {
    return checkSession(id, listed, `of ${sub} on disk`, publicSessionsHint());
  }
  const dir = join(scope.glmsingleDir, id);
  throw new DataNotDownloadedError(
    `${id} of ${sub} is not on disk (at ${dir}). Sessions on disk: ` +
      `${formatSessions(listed)}; getSubjectSessions("${sub}") lists the bucket's.`,
    { subject: sub, ses: id, path: dir },
  );
}

/**
 * {@linkcode checkSubjectSession} that lists the sessions only when it must:
 * a local session whose folder is on disk is taken as it is (a full listing
 * per call would be read several times by one betas read), and the listing
 * is read only for the remote subject or to name the sessions there are in
 * the error.
 *
 * @param list the sessions there are (read only when needed)
 * @param what what is stored per session (for the message)
 * @throws as {@linkcode checkSubjectSession}
 * @example
 * ```ts
 * import { resolveSubjectSession } from "./subject_checks.ts";
 * const scope = { subjectId: "sub-01", remote: false, glmsingleDir: "/data/sub-01" };
 * await resolveSubjectSession(scope, async () => ["ses-01"], 1, "betas"); // "ses-01"
 * ```
 */
export async function resolveSubjectSession(
  scope: SessionScope,
  list: () => Promise<readonly string[]>,
  session: SessionId | undefined,
  what: string,
): Promise<string> {
  if (!scope.remote && session !== undefined && session !== "") {
    const id = resolveSessionId(session);
    if (await isDirectory(join(scope.glmsingleDir, id))) return id;
  }
  return checkSubjectSession(scope, await list(), session, what);
}

/** Whether `path` is a directory (false when absent; other errors are thrown). */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Checks that a subject's folder is on disk.
 *
 * @throws {SubjectNotFoundError} for a near spelling of a subject on disk ("1" for sub-01)
 * @throws {DataNotDownloadedError} when it is not there (carries the download call)
 * @example
 * ```ts
 * import { requireSubjectDir } from "./subject_checks.ts";
 * await requireSubjectDir("sub-01", "/data/derivatives/glmsingle-tedana/sub-01");
 * ```
 */
export async function requireSubjectDir(id: string, dir: string): Promise<void> {
  if (await pathExists(dir)) return;
  const onDisk = await subjectsOnDisk(dirname(dir));
  if (nearSubject(id, onDisk)) throw unknownSubjectError(id, onDisk, "On disk");
  throw new DataNotDownloadedError(`Data for ${id} not found at ${dir}.`, {
    subject: id,
    path: dir,
  });
}

/** Sorted `sub-*` folders of a derivatives folder (none when it is absent). */
async function subjectsOnDisk(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && e.name.startsWith("sub-")) out.push(e.name);
    }
  } catch {
    return [];
  }
  return out.sort();
}

/**
 * Whether stimulus metadata and images are on disk (either layout).
 *
 * @example
 * ```ts
 * import { stimuliOnDisk } from "./subject_checks.ts";
 * await stimuliOnDisk("/data"); // false without stimuli/
 * ```
 */
export async function stimuliOnDisk(dataDir: string, signal?: AbortSignal): Promise<boolean> {
  const found = await findStimulusMetadata(dataDir, { signal });
  if (!found) return false;
  try {
    const info = await Deno.stat(found.images);
    return found.layout === "current" ? info.isFile : info.isDirectory;
  } catch {
    return false;
  }
}
