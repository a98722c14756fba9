/**
 * Running a notebook headless in the Deno Jupyter kernel with Debian's
 * `jupyter nbconvert`, reading its outputs, and comparing them with the
 * committed ones. Shared by the notebook tests; the machinery is in
 * scripts/notebooks.ts, which `deno task notebooks:execute` uses too.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import {
  type Cell,
  cellOutputs,
  ensureKernel as installKernel,
  executeNotebook as execute,
  joinText,
  type Output,
  outputDifferences,
  readNotebook,
} from "../scripts/notebooks.ts";

export { type Cell, cellOutputs, joinText, type Output };

/** Installs the Deno kernel (and Debian's Jupyter when missing); returns the jupyter to call. */
export async function ensureKernel(): Promise<string> {
  const jupyter = await installKernel();
  assert.equal(jupyter, "/usr/bin/jupyter");
  return jupyter;
}

/**
 * Runs a notebook of the repository in place (the kernel's cwd is its
 * folder, so `../mod.ts` resolves) against the local S3 with the notebook's
 * bucket and, when it downloads gated images, a request on the local access
 * service (scripts/notebooks.ts), with config under `xdg`, and returns the
 * executed cells (also written to `outDir`).
 */
export async function executeNotebook(
  jupyter: string,
  notebook: string,
  outDir: string,
  xdg: string,
): Promise<Cell[]> {
  return (await execute(jupyter, notebook, outDir, xdg)).cells;
}

/**
 * Fails when a fresh run's outputs (`cells`) differ from the ones committed
 * in `notebook`: text, HTML and PNG bytes exactly, execution counts and
 * metadata ignored (scripts/notebooks.ts, `outputDifferences`).
 */
export async function assertMatchesCommitted(notebook: string, cells: Cell[]): Promise<void> {
  const diffs = outputDifferences((await readNotebook(notebook)).cells, cells);
  assert.deepEqual(
    diffs,
    [],
    `the committed outputs of ${notebook} are stale; re-execute it with ` +
      `\`deno task notebooks:execute ${basename(notebook, ".ipynb")}\` and commit it`,
  );
}

/** The cells that raised, as "cell N: Name: message". */
export function cellErrors(cells: Cell[]): string[] {
  return cells.flatMap((c, i) =>
    (c.outputs ?? []).filter((o) => o.output_type === "error").map((o) =>
      `cell ${i}: ${o.ename}: ${o.evalue}`
    )
  );
}

/** Text of every output (stdout, and text/plain of displays and results), in order. */
export function outputText(cells: Cell[]): string {
  return cells.flatMap((c) => c.outputs ?? []).map((o) => {
    if (o.output_type === "stream") return o.name === "stdout" ? joinText(o.text) : "";
    return joinText(o.data?.["text/plain"]);
  }).join("\n");
}

/** Runs a notebook (see {@linkcode executeNotebook}) and fails when a cell raised. */
export async function executeChecked(
  jupyter: string,
  notebook: string,
  outDir: string,
  xdg: string,
): Promise<Cell[]> {
  const cells = await executeNotebook(jupyter, notebook, outDir, xdg);
  assert.deepEqual(cellErrors(cells), [], "a notebook cell raised");
  return cells;
}

/** The PNG pictures the cells showed inline, decoded from base64, in order. */
export function inlinePngs(cells: Cell[]): Uint8Array[] {
  return cells.flatMap((c) => c.outputs ?? []).map((o) => joinText(o.data?.["image/png"]))
    .filter((b) => b !== "").map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
}

/**
 * Runs a repository notebook in throwaway config and output folders (removed afterwards, with
 * the notebook's data folder `dataDir`, repository-relative), fails when a cell raised, and
 * returns its cells.
 */
export async function executeInTemp(notebook: string, dataDir: string): Promise<Cell[]> {
  const jupyter = await ensureKernel();
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    return await executeChecked(jupyter, notebook, outDir, xdg);
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    const data = new URL(`../${dataDir}`, import.meta.url);
    await Deno.remove(data, { recursive: true }).catch(() => {});
  }
}
