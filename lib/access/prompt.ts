/**
 * Questions on stdout, answers read line by line from stdin, whether stdin
 * is a terminal or a pipe (upstream's `input()`).
 * @module
 */

/**
 * Asks one question and returns the answer line without its newline;
 * `null` or `undefined` at end of input.
 *
 * @example
 * ```ts
 * import type { LinePrompt } from "@laion/fmri/access";
 * // Answers read from somewhere else than stdin, e.g. a GUI dialog of your own.
 * declare function dialog(question: string): Promise<string | null>;
 * const prompt: LinePrompt = (question) => dialog(question);
 * ```
 */
export type LinePrompt = (
  question: string,
) => Promise<string | null | undefined> | string | null | undefined;

/** Bytes read from stdin past the last line returned (shared by every reader). */
let pending = new Uint8Array(0);
let ended = false;

async function readLine(): Promise<string | null> {
  const buf = new Uint8Array(4096);
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = new TextDecoder().decode(pending.subarray(0, nl));
      pending = pending.slice(nl + 1);
      return line.replace(/\r$/, "");
    }
    if (ended) {
      if (pending.length === 0) return null;
      const line = new TextDecoder().decode(pending);
      pending = new Uint8Array(0);
      return line;
    }
    const n = await Deno.stdin.read(buf);
    if (n === null) ended = true;
    else {
      const next = new Uint8Array(pending.length + n);
      next.set(pending);
      next.set(buf.subarray(0, n), pending.length);
      pending = next;
    }
  }
}

/**
 * The default prompt: the question on stdout, the answer one line of stdin.
 *
 * @example
 * ```ts
 * import { lineReader } from "./prompt.ts";
 * const name = await lineReader()("Full name: ");
 * ```
 */
export function lineReader(): LinePrompt {
  return async (question) => {
    await Deno.stdout.write(new TextEncoder().encode(question));
    return await readLine();
  };
}
