/**
 * Recognises an S3 XML error response that was saved to disk as if it were
 * data (a failed GET written by a tool that ignored the status code).
 * @module
 */

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
