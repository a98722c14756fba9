/**
 * Output that survives headless notebook runs. Deno's Jupyter kernel (2.9)
 * can report a cell as finished before it has forwarded the cell's last
 * `console.log` lines, `Deno.jupyter.display(...)` outputs and even its
 * result value; nbconvert and papermill stop listening at that point, so the
 * output is lost or lands in the next cell. A short pause at the end of the
 * cell lets everything through (measured on a quiet machine: 5 ms was always
 * enough; with both cores busy, 50 ms once lost a cell's last lines, so the
 * default is 250 ms). Outside the kernel the pause is skipped.
 * @module
 */
/** Options of {@linkcode flushOutput}. */
export interface FlushOutputOptions {
  /** Pause in milliseconds. @default 250 */
  ms?: number;
  /** Ends the pause early. */
  signal?: AbortSignal;
}

/**
 * The kernel's `Deno.jupyter`, or undefined outside `deno jupyter` (where
 * reading it throws).
 *
 * @example
 * ```ts
 * import { jupyter } from "./notebook.ts";
 * if (jupyter()) console.log("running in a notebook");
 * ```
 */
export function jupyter(): typeof Deno.jupyter | undefined {
  try {
    return typeof Deno.jupyter?.display === "function" ? Deno.jupyter : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the Jupyter kernel has forwarded the current cell's output;
 * end every cell that prints or displays with it. Resolves at once outside
 * the Deno kernel.
 *
 * @throws {RangeError} when `ms` is negative or not finite
 * @example
 * ```ts
 * import { flushOutput } from "@laion/fmri";
 * console.log("printed in a notebook cell");
 * await flushOutput();
 * ```
 */
export async function flushOutput(options: FlushOutputOptions = {}): Promise<void> {
  const { ms = 250, signal } = options;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`ms must be a finite number >= 0, got ${ms}`);
  }
  if (!jupyter() || signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
