/**
 * Recognises an S3 XML error response that was saved to disk as if it were
 * data (a failed GET written by a tool that ignored the status code), and
 * the file reads that refuse one.
 * @module
 */
import { MalformedFileError } from "./errors.ts";

/**
 * When `head` (the first bytes of a file) is an S3 XML error document, a
 * sentence saying so, with the S3 error code and message; otherwise
 * `undefined`. `kind` names what the file should have been.
 *
 * @example
 * ```ts
 * import { s3ErrorBodyProblem } from "./s3_error_body.ts";
 * const head = new TextEncoder().encode("<Error><Code>AccessDenied</Code></Error>");
 * s3ErrorBodyProblem(head, "NIfTI file");
 * // "this is an S3 error response saved as data, not a NIfTI file (S3 error AccessDenied)"
 * ```
 */
export function s3ErrorBodyProblem(head: Uint8Array | string, kind: string): string | undefined {
  let text = typeof head === "string" ? head : new TextDecoder().decode(head.subarray(0, 4096));
  text = text.replace(/^\uFEFF/, "").trimStart().slice(0, 4096);
  const isError = text.startsWith("<Error>") || text.startsWith("<Error ") ||
    (text.startsWith("<?xml") && /<Error[\s>]/.test(text));
  if (!isError) return undefined;
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  const detail = code ? ` (S3 error ${code}${message ? `: ${message}` : ""})` : "";
  return `this is an S3 error response saved as data, not a ${kind}${detail}`;
}

/** The `<Code>` of an S3 XML error document, if any. */
export function s3ErrorCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

/** Options of {@linkcode readChecked} and {@linkcode readTextChecked}. */
export interface ReadCheckedOptions {
  /** Aborts the read. */
  signal?: AbortSignal;
  /** A command that refetches the file, quoted in the error. @default undefined */
  refetch?: string;
}

/**
 * Throws when `head` (the first bytes of the file at `path`) is an S3 XML
 * error document saved as data; for readers that peek at a file rather than
 * read it whole ({@linkcode readChecked} does both).
 *
 * @param kind what the file should be, e.g. `"NIfTI file"`
 * @param refetch a command that refetches the file, quoted in the error
 * @throws {MalformedFileError} naming the file, the S3 error and `refetch`
 * @example
 * ```ts
 * import { refuseS3ErrorBody } from "./s3_error_body.ts";
 * refuseS3ErrorBody(new Uint8Array([0x1f, 0x8b]), "brain.nii.gz", "NIfTI file"); // fine
 * ```
 */
export function refuseS3ErrorBody(
  head: Uint8Array | string,
  path: string,
  kind: string,
  refetch?: string,
): void {
  const s3 = s3ErrorBodyProblem(head, kind);
  if (s3) throw new MalformedFileError(path, s3, refetch);
}

/**
 * The bytes of the file at `path`, refused when they are an S3 XML error
 * document saved as data: one read-and-check for every reader of a whole
 * file.
 *
 * @param kind what the file should be, e.g. `"FreeSurfer surface"`
 * @throws {MalformedFileError} naming the file, the S3 error and `refetch`
 * @example
 * ```ts
 * import { readChecked } from "./s3_error_body.ts";
 * const bytes = await readChecked("deno.json", "JSON file");
 * ```
 */
export async function readChecked(
  path: string,
  kind: string,
  options: ReadCheckedOptions = {},
): Promise<Uint8Array> {
  options.signal?.throwIfAborted();
  const bytes = await Deno.readFile(path, { signal: options.signal });
  refuseS3ErrorBody(bytes, path, kind, options.refetch);
  return bytes;
}

/**
 * {@linkcode readChecked} for a text file: its text, refused when it is an
 * S3 XML error document saved as data.
 *
 * @param kind what the file should be, e.g. `"LTA transform file"`
 * @throws {MalformedFileError} naming the file, the S3 error and `refetch`
 * @example
 * ```ts
 * import { readTextChecked } from "./s3_error_body.ts";
 * const text = await readTextChecked("deno.json", "JSON file");
 * ```
 */
export async function readTextChecked(
  path: string,
  kind: string,
  options: ReadCheckedOptions = {},
): Promise<string> {
  options.signal?.throwIfAborted();
  const text = await Deno.readTextFile(path, { signal: options.signal });
  refuseS3ErrorBody(text.slice(0, 4096), path, kind, options.refetch);
  return text;
}
