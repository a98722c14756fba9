/**
 * Display in terminals (`Deno.inspect`) and Jupyter (Deno's kernel): the
 * symbols, HTML escaping, and bounded text for large values.
 * @module
 */

/** Deno's kernel calls `[JUPYTER_DISPLAY]()` for a rich display bundle. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;
/** `Deno.inspect` and `console.log` call `[CUSTOM_INSPECT]()`. */
export const CUSTOM_INSPECT: unique symbol = Symbol.for("Deno.customInspect") as never;

/** A Jupyter display bundle: MIME type -> content. */
export type DisplayBundle = Record<string, string>;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes `& < > " '` for HTML text and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./display.ts";
 * escapeHtml("<b>"); // "&lt;b&gt;"
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A display bundle of a one-line summary: plain text, and bold HTML. */
export function summaryBundle(text: string): DisplayBundle {
  return { "text/plain": text, "text/html": `<b>${escapeHtml(text)}</b>` };
}

/**
 * A display bundle of a small key/value table with a title.
 *
 * @example
 * ```ts
 * import { tableBundle } from "./display.ts";
 * tableBundle("Split random_0", [["pool", "shared"], ["n_train", "897"]], "Split random_0 (shared)");
 * ```
 */
export function tableBundle(
  title: string,
  rows: ReadonlyArray<readonly [string, string]>,
  plain: string,
): DisplayBundle {
  const body = rows.map(([k, v]) =>
    `<tr><th style="text-align:left">${escapeHtml(k)}</th>` +
    `<td style="text-align:left">${escapeHtml(v)}</td></tr>`
  ).join("");
  return {
    "text/plain": plain,
    "text/html": `<div><strong>${escapeHtml(title)}</strong><table>${body}</table></div>`,
  };
}
