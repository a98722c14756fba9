/**
 * Running a notebook headless in the Deno Jupyter kernel with Debian's
 * `jupyter nbconvert`, and reading its outputs. Shared by the notebook tests.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { localEndpoint, repoPath } from "./_helpers.ts";

/** Overall limit for one nbconvert run (each cell also has a 120 s limit). */
const RUN_TIMEOUT_MS = 300_000;

/** One output of a cell, as nbformat stores it. */
export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

/** One cell, as nbformat stores it. */
export interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}

/** nbformat's multi-line strings as one string. */
export const joinText = (
  t: string | string[] | undefined,
) => (Array.isArray(t) ? t.join("") : t ?? "");
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Installs the Deno kernel (and Debian's Jupyter when missing); returns the jupyter to call. */
export async function ensureKernel(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [repoPath("scripts/jupyter_kernel.sh")],
    cwd: repoPath(""),
  }).output();
  assert.equal(out.code, 0, `scripts/jupyter_kernel.sh failed:\n${decode(out.stderr)}`);
  const jupyter = decode(out.stdout).trim().split("\n").at(-1)!;
  assert.equal(jupyter, "/usr/bin/jupyter");
  return jupyter;
}

/**
 * Runs a notebook of the repository in place (the kernel's cwd is its
 * folder, so `../mod.ts` resolves) against the local S3, with config under
 * `xdg`, and returns the executed cells (also written to `outDir`).
 */
export async function executeNotebook(
  jupyter: string,
  notebook: string,
  outDir: string,
  xdg: string,
): Promise<Cell[]> {
  const name = basename(notebook);
  const out = await new Deno.Command(jupyter, {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--allow-errors",
      "--ExecutePreprocessor.kernel_name=deno",
      "--ExecutePreprocessor.timeout=120",
      "--output-dir",
      outDir,
      "--output",
      name,
      repoPath(notebook),
    ],
    cwd: repoPath(""),
    env: { LAION_FMRI_S3_ENDPOINT: localEndpoint(), XDG_CONFIG_HOME: xdg, NO_COLOR: "1" },
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  assert.equal(out.code, 0, `nbconvert failed:\n${decode(out.stderr)}`);
  return JSON.parse(await Deno.readTextFile(join(outDir, name))).cells;
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

/**
 * Runs a notebook and, when `missing(cells)` reports an incomplete output
 * (the kernel can drop late output), runs it once more after `beforeRetry`.
 * A cell that raised fails at once and is never retried.
 */
export async function executeWithRetry(
  jupyter: string,
  notebook: string,
  outDir: string,
  xdg: string,
  missing: (cells: Cell[]) => string | undefined,
  beforeRetry?: () => Promise<void>,
): Promise<Cell[]> {
  let cells = await executeNotebook(jupyter, notebook, outDir, xdg);
  assert.deepEqual(cellErrors(cells), [], "a notebook cell raised");
  const firstProblem = missing(cells);
  if (firstProblem) {
    console.warn(`notebook output incomplete, retrying once: ${firstProblem.split("\n")[0]}`);
    await beforeRetry?.();
    cells = await executeNotebook(jupyter, notebook, outDir, xdg);
    assert.deepEqual(cellErrors(cells), [], "a notebook cell raised (retry)");
  }
  return cells;
}
