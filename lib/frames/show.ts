/**
 * `show(...)`: notebook output that arrives in its own cell, with bounded
 * DataFrame displays.
 * @module
 */
import { flushOutput, jupyter } from "../core/notebook.ts";
import { framePreviewBundle, isDataFrame } from "./frame_display.ts";
import { loadPolars } from "./polars.ts";

/**
 * Shows values in order, then waits until the Jupyter kernel has forwarded
 * them (see {@linkcode flushOutput}), so headless runs (nbconvert,
 * papermill) keep them in the right cell. In the Deno kernel a string is
 * shown as text, a Polars DataFrame as a bounded preview (shape, first rows
 * and columns, first values of list columns), and any other value through
 * its rich display (`Symbol.for("Jupyter.display")`) or as the kernel shows
 * a cell's value. Elsewhere each value goes to `console.log`.
 *
 * @example
 * ```ts
 * import { loadSplit, show } from "@laion/fmri";
 * const split = await loadSplit("random_0", { pool: "shared" });
 * await show(`Split ${split.name}`, split);
 * ```
 */
export async function show(...values: unknown[]): Promise<void> {
  const kernel = jupyter();
  if (!kernel) {
    for (const v of values) console.log(v);
    return;
  }
  for (const v of values) {
    // The kernel would show a string quoted, as an expression's value.
    if (typeof v === "string") await kernel.display({ "text/plain": v }, { raw: true });
    else if (isDataFrame(v)) {
      await kernel.display(framePreviewBundle(await loadPolars(), v), { raw: true });
    } else await kernel.display(v as never);
  }
  await flushOutput();
}
