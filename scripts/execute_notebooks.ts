/**
 * Re-executes the notebooks in place against the offline world and writes
 * their outputs (text, tables, pictures) into `notebooks/*.ipynb`, the way
 * they are committed. Runs under scripts/with_local_s3.sh, which starts and
 * seeds the local S3 and the local access service:
 *
 *   deno task notebooks:execute                       # every notebook
 *   deno task notebooks:execute querying loading      # some of them
 *   deno task notebooks:execute --check               # compare only, write nothing
 *
 * Each notebook runs in the Deno kernel with its bucket from the environment
 * (scripts/notebooks.ts), config in a scratch `XDG_CONFIG_HOME`, and, for the
 * ones that download gated images, a request registered on the local access
 * service (`LAION_FMRI_REQUEST_ID`). A notebook whose cell raises, or whose
 * outputs hold a machine-specific path, is not written. The data folder a
 * notebook creates next to itself (`notebooks/laion_fmri_*`) must not exist
 * before the run (its files would change the download counts); `--clean`
 * removes it first. It is removed after the run.
 * @module
 */
import { basename } from "node:path";
import { writeFileAtomic } from "../lib/core/fs.ts";
import {
  cellErrors,
  ensureKernel,
  executeNotebook,
  normalizeNotebook,
  NOTEBOOKS,
  outputDifferences,
  readNotebook,
  repoFile,
  serializeNotebook,
} from "./notebooks.ts";

const USAGE = "usage: deno task notebooks:execute [--check] [--clean] [NOTEBOOK...]\n" +
  `  NOTEBOOK: ${Object.keys(NOTEBOOKS).map((n) => basename(n, ".ipynb")).join(", ")} ` +
  "(default: all)";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** The notebooks named on the command line (short or repository-relative names). */
function selected(names: string[]): string[] {
  if (names.length === 0) return Object.keys(NOTEBOOKS);
  return names.map((n) => {
    const key = Object.keys(NOTEBOOKS).find((k) => k === n || basename(k, ".ipynb") === n);
    if (!key) throw new RangeError(`unknown notebook ${JSON.stringify(n)}\n${USAGE}`);
    return key;
  });
}

/** Runs one notebook; returns the normalized executed notebook. */
async function run(jupyter: string, notebook: string): Promise<string> {
  const scratch = repoFile(".scratch");
  await Deno.mkdir(scratch, { recursive: true });
  const xdg = await Deno.makeTempDir({ dir: scratch, prefix: "nb-xdg-" });
  const outDir = await Deno.makeTempDir({ dir: scratch, prefix: "nb-out-" });
  try {
    const executed = await executeNotebook(jupyter, notebook, outDir, xdg);
    const errors = cellErrors(executed.cells);
    if (errors.length) throw new Error(`${notebook}: a cell raised\n  ${errors.join("\n  ")}`);
    const text = serializeNotebook(normalizeNotebook(executed));
    const outputs = JSON.stringify(executed.cells.map((c) => c.outputs ?? []));
    for (const path of [repoFile("").replace(/\/$/, ""), xdg, outDir]) {
      if (outputs.includes(path)) {
        throw new Error(`${notebook}: an output holds the machine-specific path ${path}`);
      }
    }
    return text;
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
  }
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const check = args.includes("--check");
  const clean = args.includes("--clean");
  const unknown = args.filter((a) => a.startsWith("-") && !["--check", "--clean"].includes(a));
  if (unknown.length) throw new RangeError(`unknown option ${unknown[0]}\n${USAGE}`);
  const notebooks = selected(args.filter((a) => !a.startsWith("-")));

  for (const notebook of notebooks) {
    const dataDir = repoFile(NOTEBOOKS[notebook].dataDir);
    if (!(await exists(dataDir))) continue;
    if (!clean) {
      throw new Error(
        `${NOTEBOOKS[notebook].dataDir} exists (an earlier run of ${notebook}); its files would ` +
          "change the outputs. Remove it, or pass --clean to remove it first.",
      );
    }
    await Deno.remove(dataDir, { recursive: true });
  }

  const jupyter = await ensureKernel();
  let stale = 0;
  const started = performance.now();
  for (const notebook of notebooks) {
    const t0 = performance.now();
    const dataDir = repoFile(NOTEBOOKS[notebook].dataDir);
    let text: string;
    try {
      text = await run(jupyter, notebook);
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    const committed = await readNotebook(notebook);
    const diffs = outputDifferences(committed.cells, JSON.parse(text).cells);
    if (check) {
      if (diffs.length) stale++;
      console.error(
        `${notebook}: ${diffs.length ? `outputs differ\n  ${diffs.join("\n  ")}` : "up to date"}` +
          ` (${seconds} s)`,
      );
      continue;
    }
    const path = repoFile(notebook);
    const same = text === await Deno.readTextFile(path);
    if (!same) await writeFileAtomic(path, text);
    console.error(
      `${notebook}: ${same ? "unchanged" : "written"} (${
        diffs.length ? `outputs of ${diffs.length} code cells changed` : "same outputs"
      }, ${seconds} s)`,
    );
  }
  console.error(
    `${notebooks.length} notebooks in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (check && stale) {
    console.error(
      `${stale} notebooks are stale: run \`deno task notebooks:execute\` and commit them`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`execute_notebooks: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
