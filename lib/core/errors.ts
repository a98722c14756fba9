/**
 * Typed errors. Every class sets `name`, accepts `{ cause }`, and carries the
 * facts a caller needs to act on (the bad value, valid choices, a command).
 * @module
 */

/** Base class of every error this module throws on purpose. */
export class LaionFmriError extends Error {
  /** Creates an instance. @param message what went wrong and what to do about it */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * No data directory is configured (no config file).
 *
 * @example
 * ```ts
 * import { DataDirNotSetError, getDataDir } from "@laion/fmri";
 * try { getDataDir(); } catch (e) { if (e instanceof DataDirNotSetError) console.log(e.message); }
 * ```
 */
export class DataDirNotSetError extends LaionFmriError {}

/**
 * Data that was asked for does not exist: not on disk, or not in the bucket.
 * Base class of {@linkcode DataNotDownloadedError},
 * {@linkcode NoMatchingDataError} (upstream's `DataNotFoundError`) and
 * {@linkcode StimuliNotDownloadedError}: it plays the part of Python's
 * `FileNotFoundError`, which upstream's three derive from.
 *
 * @example
 * ```ts
 * import { DataNotFoundError, download } from "@laion/fmri";
 * try {
 *   await download({ subject: "01", session: "99", acceptLicense: true });
 * } catch (e) {
 *   if (e instanceof DataNotFoundError) console.log(e.message);
 * }
 * ```
 */
export class DataNotFoundError extends LaionFmriError {}

/**
 * The filters of a download matched no file in the bucket (upstream's
 * `NoMatchingDataError`). The message names the subject, the active filters
 * and the prefixes searched.
 *
 * @example
 * ```ts
 * import { downloadRaw, NoMatchingDataError } from "@laion/fmri";
 * try {
 *   await downloadRaw({ subject: "01", task: "nothing", acceptLicense: true });
 * } catch (e) {
 *   if (e instanceof NoMatchingDataError) console.log(e.message);
 * }
 * ```
 */
export class NoMatchingDataError extends DataNotFoundError {}

/**
 * Files needed by a call are not on disk. `downloadCall` and `cliCommand`
 * say exactly what to run to fetch them.
 *
 * @example
 * ```ts
 * import { DataNotDownloadedError } from "@laion/fmri";
 * const e = new DataNotDownloadedError("missing", { subject: "sub-01" });
 * console.log(e.downloadCall); // download({ subject: "sub-01" })
 * ```
 */
export class DataNotDownloadedError extends DataNotFoundError {
  /** The `download(...)` call that fetches the missing files. */
  readonly downloadCall: string;
  /** The CLI command that fetches the missing files. */
  readonly cliCommand: string;
  /** The local path that was looked for, when there is one. */
  readonly path?: string;

  /**
   * Creates an instance.
   * @param message what is missing
   * @param what which subject (and optional session) to fetch, and the path looked for
   */
  constructor(
    message: string,
    what: {
      subject: string;
      ses?: string;
      path?: string;
      /** A `download(...)` call other than the default one (e.g. with `includeAnatomical`). */
      downloadCall?: string;
      /** The CLI command matching `downloadCall`. */
      cliCommand?: string;
    },
    options?: ErrorOptions,
  ) {
    const ses = what.ses ? `, ses: "${what.ses}"` : "";
    const call = what.downloadCall ?? `download({ subject: "${what.subject}"${ses} })`;
    const cli = what.cliCommand ??
      `laion-fmri download --subject ${what.subject}${
        what.ses ? ` --ses ${what.ses}` : ""
      } --accept-license`;
    super(`${message}\nRun: ${call}\n or: ${cli}`, options);
    this.downloadCall = call;
    this.cliCommand = cli;
    this.path = what.path;
  }
}

/**
 * A subject id is empty or not a subject.
 *
 * @example
 * ```ts
 * import { SubjectNotFoundError } from "@laion/fmri";
 * import { resolveSubjectId } from "@laion/fmri/bucket";
 * try { resolveSubjectId("sub-"); } catch (e) { console.log(e instanceof SubjectNotFoundError); }
 * ```
 */
export class SubjectNotFoundError extends LaionFmriError {}

/**
 * Stimulus-side files (images, metadata, embeddings, captions,
 * segmentations) are not on disk. `cliCommand` is the command that fetches
 * them (e.g. `laion-fmri download-stimuli`) and `path` the file looked for.
 *
 * @example
 * ```ts
 * import { loadStimuli, StimuliNotDownloadedError } from "@laion/fmri";
 * try { await loadStimuli({ dataDir: "/tmp/empty" }); } catch (e) {
 *   if (e instanceof StimuliNotDownloadedError) console.log(e.cliCommand);
 * }
 * ```
 */
export class StimuliNotDownloadedError extends DataNotFoundError {
  /** The CLI command that fetches the missing files, when known. */
  readonly cliCommand?: string;
  /** The local path that was looked for, when there is one. */
  readonly path?: string;

  /**
   * Creates an instance.
   * @param message what is missing (and what to run)
   * @param what the path looked for and the command that fetches it
   */
  constructor(
    message: string,
    what: { path?: string; cliCommand?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.cliCommand = what.cliCommand;
    this.path = what.path;
  }
}

/** The dataset license (or the stimulus terms) was not accepted. */
export class LicenseNotAcceptedError extends LaionFmriError {}

/**
 * A value is not one of the allowed choices. `value` is the bad value and
 * `valid` lists what would have been accepted.
 *
 * @example
 * ```ts
 * import { InvalidChoiceError } from "@laion/fmri";
 * const e = new InvalidChoiceError("category", "faces", ["body", "face"]);
 * console.log(e.message); // Unknown category "faces". Valid: ["body", "face"]
 * ```
 */
export class InvalidChoiceError extends LaionFmriError {
  /** The rejected value. */
  readonly value: unknown;
  /** The accepted values. */
  readonly valid: readonly string[];

  /**
   * Creates an instance.
   * @param what the name of the argument, e.g. `"category"`
   * @param value the rejected value
   * @param valid the accepted values
   * @param hint an optional extra sentence
   */
  constructor(
    what: string,
    value: unknown,
    valid: readonly string[],
    hint = "",
    options?: ErrorOptions,
  ) {
    super(
      `Unknown ${what} ${JSON.stringify(value)}. Valid: ${formatList(valid)}${
        hint ? `. ${hint}` : ""
      }`,
      options,
    );
    this.value = value;
    this.valid = valid;
  }
}

/**
 * A session that is not among the valid ones: not in the bucket, not on
 * disk, or not a session of the selection. `value` is the normalized id and
 * `valid` the sessions that would have been accepted.
 *
 * @example
 * ```ts
 * import { UnknownSessionError } from "@laion/fmri";
 * const e = new UnknownSessionError("ses-99", ["ses-01", "ses-02"], "of sub-01 on disk");
 * console.log(e.message); // Unknown session ses-99 of sub-01 on disk; valid: ses-01…ses-02
 * ```
 */
export class UnknownSessionError extends InvalidChoiceError {
  /**
   * Creates an instance.
   * @param session the normalized session id
   * @param valid the valid sessions
   * @param where what the sessions are of, e.g. `"of sub-01 on disk"`
   * @param hint an optional extra sentence
   */
  constructor(
    session: string,
    valid: readonly string[],
    where: string,
    hint = "",
    options?: ErrorOptions,
  ) {
    super("session", session, valid, "", options);
    this.message = `Unknown session ${session} ${where}; valid: ${formatSessions(valid)}` +
      (hint ? `. ${hint}` : "");
  }
}

/**
 * A held-out session (ses-31…ses-34, withheld for evaluation) was asked
 * for: it is not public and cannot be downloaded or read. `valid` lists the
 * sessions that can be.
 *
 * @example
 * ```ts
 * import { HeldOutSessionError } from "@laion/fmri";
 * const e = new HeldOutSessionError("ses-31", ["ses-01", "ses-02"], "of sub-01 on disk");
 * console.log(e.message); // ses-31 is held out, not public ...
 * ```
 */
export class HeldOutSessionError extends InvalidChoiceError {
  /**
   * Creates an instance.
   * @param session the normalized session id
   * @param valid the sessions that can be used instead
   * @param where what `valid` are the sessions of, e.g. `"of sub-01 on disk"`
   */
  constructor(session: string, valid: readonly string[], where: string, options?: ErrorOptions) {
    super("session", session, valid, "", options);
    this.message = `${session} is held out, not public (ses-31…ses-34 are withheld for ` +
      `evaluation); it cannot be downloaded or read. Sessions ${where}: ${formatSessions(valid)}`;
  }
}

/**
 * A sorted list of session ids with runs of consecutive numbers collapsed:
 * `ses-01…ses-04, ses-07`; `none` for an empty list.
 *
 * @example
 * ```ts
 * import { formatSessions } from "./errors.ts";
 * formatSessions(["ses-01", "ses-02", "ses-03", "ses-07"]); // "ses-01…ses-03, ses-07"
 * ```
 */
export function formatSessions(sessions: readonly string[]): string {
  const parts: string[] = [];
  const num = (s: string) => /^ses-(\d+)$/.exec(s)?.[1];
  for (let i = 0; i < sessions.length; i++) {
    let j = i;
    while (
      j + 1 < sessions.length && num(sessions[j]) !== undefined &&
      num(sessions[j + 1]) !== undefined &&
      Number(num(sessions[j + 1])) === Number(num(sessions[j])) + 1
    ) j++;
    parts.push(j > i ? `${sessions[i]}…${sessions[j]}` : sessions[i]);
    i = j;
  }
  return parts.length ? parts.join(", ") : "none";
}

/**
 * The bucket refused a request with 403 AccessDenied (held-out sessions
 * ses-31..ses-34 answer this). Never retried.
 */
export class AccessDeniedError extends LaionFmriError {
  /** The key that was refused. */
  readonly key: string;
  /** The S3 endpoint that refused it, when known. */
  readonly endpoint?: string;
  /**
   * Creates an instance.
   * @param bucket the bucket name
   * @param key the refused key
   * @param options `endpoint` (named in the message) and `cause`
   */
  constructor(bucket: string, key: string, options?: ErrorOptions & { endpoint?: string }) {
    const at = options?.endpoint ? ` at ${options.endpoint}` : "";
    super(
      `Access denied for s3://${bucket}/${key}${at} (the bucket's deny rule blocks public GET on this key).`,
      options,
    );
    this.key = key;
    this.endpoint = options?.endpoint;
  }
}

/** The S3 endpoint could not be reached at all (DNS, refused, timed out). */
export class EndpointUnreachableError extends LaionFmriError {
  /** The endpoint URL that was tried. */
  readonly endpoint: string;
  /** Creates an instance. @param endpoint the endpoint URL */
  constructor(endpoint: string, options?: ErrorOptions) {
    super(
      `Cannot reach the S3 endpoint ${endpoint}. Check the network, or point ` +
        `LAION_FMRI_S3_ENDPOINT (or the \`endpoint\` option / --endpoint) at a reachable S3 server.`,
      options,
    );
    this.endpoint = endpoint;
  }
}

/** An S3 request failed after all retries, or with a non-retryable status. */
export class S3RequestError extends LaionFmriError {
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** How many attempts were made. */
  readonly attempts: number;
  /**
   * Creates an instance.
   * @param message what failed
   * @param status HTTP status, when known
   * @param attempts number of attempts made
   */
  constructor(
    message: string,
    status: number | undefined,
    attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = status;
    this.attempts = attempts;
  }
}

/**
 * The bucket does not exist at the endpoint (HTTP 404 `NoSuchBucket`, or a
 * 404 on a listing, which only a missing bucket answers). Never retried.
 *
 * @example
 * ```ts
 * import { NoSuchBucketError } from "@laion/fmri";
 * const e = new NoSuchBucketError("laion-fmri-nope", "https://s3.us-west-2.amazonaws.com", 1);
 * console.log(e.bucket, e.message);
 * ```
 */
export class NoSuchBucketError extends S3RequestError {
  /** The bucket name that does not exist. */
  readonly bucket: string;
  /**
   * Creates an instance.
   * @param bucket the bucket name asked for
   * @param endpoint the endpoint that answered
   * @param attempts number of attempts made
   */
  constructor(bucket: string, endpoint: string, attempts: number, options?: ErrorOptions) {
    super(
      `No such bucket: s3://${bucket} at ${endpoint} (HTTP 404). Check the bucket name: ` +
        `--bucket NAME, LAION_FMRI_BUCKET, or the \`bucket\` option (the dataset's bucket is "laion-fmri").`,
      404,
      attempts,
      options,
    );
    this.bucket = bucket;
  }
}

/**
 * True when `e` says the object is missing: an S3 404 that is not a
 * {@linkcode NoSuchBucketError}. Every "404 means no such object" check goes
 * through here, so a missing bucket is never taken for a missing file.
 *
 * @example
 * ```ts
 * import { NoSuchBucketError, S3RequestError } from "@laion/fmri";
 * import { isMissingObject } from "./errors.ts";
 * isMissingObject(new S3RequestError("GET s3://b/k failed with HTTP 404", 404, 1)); // true
 * isMissingObject(new NoSuchBucketError("my-lab-bucket", "https://s3.us-west-2.amazonaws.com", 1)); // false
 * ```
 */
export function isMissingObject(e: unknown): e is S3RequestError {
  return e instanceof S3RequestError && e.status === 404 && !(e instanceof NoSuchBucketError);
}

/**
 * A local file is malformed (truncated gzip, wrong magic, wrong shape, an
 * S3 XML error body saved as data). Names the file and how to refetch it.
 */
export class MalformedFileError extends LaionFmriError {
  /** The offending file. */
  readonly path: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** The call (and CLI command) that fetches it again, when known. */
  readonly refetch?: string;
  /**
   * Creates an instance.
   * @param path the offending file
   * @param problem what is wrong with it
   * @param refetch an optional command that refetches it
   */
  constructor(path: string, problem: string, refetch?: string, options?: ErrorOptions) {
    super(`${path}: ${problem}${refetch ? `\nRefetch it with: ${refetch}` : ""}`, options);
    this.path = path;
    this.problem = problem;
    this.refetch = refetch;
  }
}

/**
 * `e` with `refetch` named in it, when `e` is a {@linkcode MalformedFileError}
 * that names no repair yet (readers deep down know the file, their callers
 * know which call fetches it again); any other value is returned as is.
 *
 * @example
 * ```ts
 * import { MalformedFileError } from "@laion/fmri";
 * import { withRefetch } from "./errors.ts";
 * const e = withRefetch(new MalformedFileError("x.h5", "damaged"), "download({ verify: true })");
 * console.log((e as Error).message); // "x.h5: damaged\nRefetch it with: download({ verify: true })"
 * ```
 */
export function withRefetch(e: unknown, refetch: string | undefined): unknown {
  if (!(e instanceof MalformedFileError) || e.refetch || !refetch) return e;
  return new MalformedFileError(e.path, e.problem, refetch, { cause: e.cause ?? e });
}

/**
 * Deno refused an operation for lack of a permission flag. `flag` is the
 * flag to add, e.g. `--allow-net=laion-fmri.s3.us-west-2.amazonaws.com`.
 */
export class PermissionMissingError extends LaionFmriError {
  /** The Deno flag that grants the missing permission. */
  readonly flag: string;
  /**
   * The missing grants `flag` names, when the check knew them (one per
   * variable, path or host); empty when only the flag text is known. A
   * caller that gathers several checks into one error takes these, so no
   * flag text is parsed back.
   */
  readonly descriptors: readonly Deno.PermissionDescriptor[];
  /**
   * Creates an instance.
   * @param what what was being done
   * @param flag the flag to add
   * @param options the cause, and the missing grants as descriptors
   */
  constructor(
    what: string,
    flag: string,
    options?: ErrorOptions & { descriptors?: readonly Deno.PermissionDescriptor[] },
  ) {
    super(`Permission needed to ${what}: run deno with ${flag}`, options);
    this.flag = flag;
    this.descriptors = options?.descriptors ?? [];
  }
}

/** Formats a list the way the seed prints Python lists: `['a', 'b']`. */
export function formatList(items: readonly unknown[]): string {
  return `[${items.map((x) => typeof x === "string" ? `'${x}'` : String(x)).join(", ")}]`;
}

/**
 * The operating system refuses writes into the data directory (permissions,
 * a read-only file system, a file where a folder is needed). Running again
 * cannot help: make it writable, or choose another data directory.
 *
 * @example
 * ```ts
 * import { DataDirNotWritableError } from "@laion/fmri";
 * const e = new DataDirNotWritableError("/data", "/data/derivatives", "Permission denied");
 * console.log(e.dataDir, e.message);
 * ```
 */
export class DataDirNotWritableError extends LaionFmriError {
  /** The data directory. */
  readonly dataDir: string;
  /** The folder inside it that could not be written. */
  readonly folder: string;
  /**
   * Creates an instance.
   * @param dataDir the data directory
   * @param folder the folder that could not be written
   * @param reason the system's word for it (e.g. "Permission denied (os error 13)")
   */
  constructor(dataDir: string, folder: string, reason: string, options?: ErrorOptions) {
    const where = folder === dataDir ? "" : ` (writing under ${folder})`;
    super(
      `The data directory ${dataDir} is not writable${where}: ${reason}. Running again will ` +
        `not help: make it writable, or choose another data directory ` +
        `(datasetInitialize({ dataDir }), laion-fmri config --data-dir PATH, or the \`dataDir\` option).`,
      options,
    );
    this.dataDir = dataDir;
    this.folder = folder;
  }
}

/** A data directory given to `datasetInitialize` does not exist or is not a directory. */
export class DataDirNotFoundError extends LaionFmriError {}

/**
 * The stimulus access service refused a request, could not be reached, or
 * a presigned download failed (upstream's `AccessServiceError`). Base class
 * of {@linkcode TermsOutdatedError}, {@linkcode AccessRevokedError} and
 * {@linkcode AccessNotFoundError}. `status` is the HTTP status, when one came.
 *
 * @example
 * ```ts
 * import { AccessServiceError } from "@laion/fmri";
 * import { fetchManifest } from "@laion/fmri/access";
 * try { await fetchManifest(); } catch (e) { if (e instanceof AccessServiceError) console.log(e.message); }
 * ```
 */
export class AccessServiceError extends LaionFmriError {
  /** The HTTP status of the answer, when the service answered. */
  readonly status?: number;
  /**
   * Creates an instance.
   * @param message what failed and what to do
   * @param options `status` (the HTTP status) and `cause`
   */
  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/**
 * The access form is incomplete or has answers the service refuses, so
 * nothing was submitted (or the service answered 422). `fields` maps each
 * field (`name`, `email`, `institution`, `piOrSupervisor`, `purpose`,
 * `acceptTerms`) to what is wrong with it; `answers` keeps the answers
 * given, so only the named fields need answering again. The message names
 * the fields, the `laion-fmri request-access` flags and the notebook cell
 * to fill in.
 *
 * @example
 * ```ts
 * import { AccessFormError, requestStimulusAccess } from "@laion/fmri";
 * try {
 *   await requestStimulusAccess({ form: { name: "", email: "", purpose: "", acceptTerms: false } });
 * } catch (e) {
 *   if (e instanceof AccessFormError) console.log(Object.keys(e.fields)); // ["name", "email", ...]
 * }
 * ```
 */
export class AccessFormError extends AccessServiceError {
  /** Each field to answer (again), with what is wrong with it. */
  readonly fields: Readonly<Record<string, string>>;
  /** The answers given, kept for the next attempt (the named fields left out). */
  readonly answers: Readonly<Record<string, string | boolean>>;
  /**
   * Creates an instance.
   * @param message the fields, and how to answer them
   * @param fields each field with its problem
   * @param options `answers` kept, `status` (422 when the service refused), and `cause`
   */
  constructor(
    message: string,
    fields: Record<string, string>,
    options?: ErrorOptions & { status?: number; answers?: Record<string, string | boolean> },
  ) {
    super(message, options);
    this.fields = fields;
    this.answers = options?.answers ?? {};
  }
}

/**
 * The Terms of Use changed since they were accepted: visit `acceptUrl`,
 * accept, and run again (upstream's `TermsOutdatedError`).
 *
 * @example
 * ```ts
 * import { TermsOutdatedError } from "@laion/fmri";
 * const e = new TermsOutdatedError("https://laion-fmri.hebartlab.com/terms/accept", "2026-05-11");
 * console.log(e.message);
 * ```
 */
export class TermsOutdatedError extends AccessServiceError {
  /** Where to accept the current terms. */
  readonly acceptUrl: string;
  /** The current terms version, `"?"` when the service did not say. */
  readonly termsVersion: string;
  /**
   * Creates an instance.
   * @param acceptUrl where to accept the current terms
   * @param termsVersion the current terms version
   */
  constructor(acceptUrl: string, termsVersion: string, options?: ErrorOptions) {
    super(
      `The LAION-fMRI Terms of Use have been updated to v${termsVersion}. ` +
        `Visit ${acceptUrl} to accept, then re-run.`,
      { ...options, status: 403 },
    );
    this.acceptUrl = acceptUrl;
    this.termsVersion = termsVersion;
  }
}

/**
 * The service revoked this request id (upstream's `AccessRevokedError`).
 *
 * @example
 * ```ts
 * import { AccessRevokedError } from "@laion/fmri";
 * console.log(new AccessRevokedError("access revoked").status); // 403
 * ```
 */
export class AccessRevokedError extends AccessServiceError {
  /** Creates an instance. @param message the service's detail */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, status: 403 });
  }
}

/**
 * The service does not know this request id (upstream's `AccessNotFoundError`).
 *
 * @example
 * ```ts
 * import { AccessNotFoundError } from "@laion/fmri";
 * console.log(new AccessNotFoundError("unknown request_id").status); // 404
 * ```
 */
export class AccessNotFoundError extends AccessServiceError {
  /** Creates an instance. @param message the service's detail */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, status: 404 });
  }
}

/**
 * A TemplateFlow file (lib/templates) could not be fetched into its cache
 * folder: the endpoint is unreachable, the bucket has no such file, access
 * is denied, or the fetched file is not what the template should be.
 *
 * @example
 * ```ts
 * import { TemplateUnavailableError } from "@laion/fmri";
 * const e = new TemplateUnavailableError("tpl-MNI305/tpl-MNI305_T1w.nii.gz", "https://s3.us-east-1.amazonaws.com/templateflow/tpl-MNI305/tpl-MNI305_T1w.nii.gz", "/cache/tpl-MNI305/tpl-MNI305_T1w.nii.gz", "the endpoint cannot be reached");
 * ```
 */
export class TemplateUnavailableError extends LaionFmriError {
  /** The template's bucket key. */
  readonly key: string;
  /** The URL that was tried. */
  readonly url: string;
  /** The cache path the file belongs at. */
  readonly path: string;
  /**
   * Creates an instance.
   * @param key the bucket key, e.g. `tpl-MNI305/tpl-MNI305_T1w.nii.gz`
   * @param url the object's URL
   * @param path the local cache path
   * @param reason why it failed
   */
  constructor(key: string, url: string, path: string, reason: string, options?: ErrorOptions) {
    const template = key.split("/")[0].replace(/^tpl-/, "");
    super(
      `Cannot fetch the TemplateFlow template ${template} file ${key.split("/").pop()}` +
        `${url ? ` from ${url}` : ""}: ${reason}. Fix: connect to the network and retry; or ` +
        `point LAION_FMRI_TEMPLATEFLOW_ENDPOINT (or the \`endpoint\` option) at a reachable ` +
        `S3 server holding the \`templateflow\` bucket; or put the file at ${path} ` +
        `(TEMPLATEFLOW_HOME or the \`cacheDir\` option choose the cache folder).`,
      options,
    );
    this.key = key;
    this.url = url;
    this.path = path;
  }
}
