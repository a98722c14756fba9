/**
 * User-facing warnings (upstream's `UserWarning`s), routed through one
 * replaceable handler so programs and tests can collect them.
 * @module
 */

/** Receives each warning message. */
export type WarningHandler = (message: string) => void;

const defaultHandler: WarningHandler = (message) => console.warn(`Warning: ${message}`);
let handler: WarningHandler = defaultHandler;

/**
 * Replaces the warning handler; returns the previous one. Pass nothing to
 * restore the default (print `Warning: ...` to stderr).
 *
 * @example
 * ```ts
 * import { setWarningHandler } from "@laion/fmri";
 * const seen: string[] = [];
 * const previous = setWarningHandler((m) => seen.push(m));
 * // ... calls that may warn ...
 * setWarningHandler(previous);
 * ```
 */
export function setWarningHandler(next?: WarningHandler): WarningHandler {
  const previous = handler;
  handler = next ?? defaultHandler;
  return previous;
}

/** Emits one warning through the current handler. */
export function warn(message: string): void {
  handler(message);
}
