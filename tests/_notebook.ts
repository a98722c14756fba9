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

/**
 * Each code cell's outputs, for comparing runs: the type, stream name, text
 * and display data, with consecutive stream outputs of one stream merged
 * (how the kernel splits a stream into messages is not part of the output).
 */
export function cellOutputs(cells: Cell[]): unknown[][] {
  return cells.filter((c) => c.cell_type === "code").map((c) => {
    const out: { type: string; name?: string; text?: string; data?: Record<string, string> }[] = [];
    for (const o of c.outputs ?? []) {
      const last = out.at(-1);
      if (o.output_type === "stream" && last?.type === "stream" && last.name === o.name) {
        last.text += joinText(o.text);
      } else if (o.output_type === "stream") {
        out.push({ type: "stream", name: o.name, text: joinText(o.text) });
      } else {
        const data = Object.fromEntries(
          Object.entries(o.data ?? {}).map(([k, v]) => [k, joinText(v)]),
        );
        out.push({ type: o.output_type, data });
      }
    }
    return out;
  });
}

/** The PNG pictures the cells showed inline, decoded from base64, in order. */
export function inlinePngs(cells: Cell[]): Uint8Array[] {
  return cells.flatMap((c) => c.outputs ?? []).map((o) => joinText(o.data?.["image/png"]))
    .filter((b) => b !== "").map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
}
