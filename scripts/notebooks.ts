/**
 * The notebooks of `notebooks/`, run headless in the Deno Jupyter kernel with
 * Debian's `jupyter nbconvert` against the offline world (the local S3 and
 * access service that scripts/with_local_s3.sh starts), and what a run must
 * reproduce. Shared by scripts/execute_notebooks.ts (which writes the outputs
 * into the committed notebooks) and the notebook tests (which compare a fresh
 * run with them, see {@linkcode outputDifferences}).
 *
 * The notebooks never name a bucket or a service: the environment chooses
 * them (`LAION_FMRI_BUCKET`, `LAION_FMRI_S3_ENDPOINT`, `LAION_FMRI_ACCESS_URL`,
 * `LAION_FMRI_REQUEST_ID`), set here per notebook.
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUCKET, BUCKET_ENV } from "../lib/core/constants.ts";
import { registerRequest } from "./register_request.ts";

/** The local bucket of the seed's snapshot (the real bucket's name). */
const SEED_BUCKET = BUCKET;
/**
 * The local bucket of the current layout (scripts/seed.ts's `CURRENT_BUCKET`,
 * not imported: seed.ts loads the AWS SDK, which needs more permissions).
 */
const CURRENT_BUCKET = "laion-fmri-current";

/** What one notebook needs from the offline world. */
export interface NotebookSpec {
  /** The local bucket it reads (`LAION_FMRI_BUCKET`). */
  bucket: string;
  /** It downloads gated images: a request registered on the local access service. */
  access: boolean;
  /** The data folder it creates next to itself (repository-relative). */
  dataDir: string;
  /**
   * It fetches TemplateFlow files: the local `templateflow` bucket
   * (`LAION_FMRI_TEMPLATEFLOW_ENDPOINT`), cached under its data folder.
   * @default false
   */
  templateflow?: boolean;
}

/**
 * Every notebook, in reading order: the querying and loading notebooks read
 * the seed's snapshot, the others the current layout.
 */
export const NOTEBOOKS: Readonly<Record<string, NotebookSpec>> = {
  "notebooks/querying.ipynb": {
    bucket: SEED_BUCKET,
    access: false,
    dataDir: "notebooks/laion_fmri_quickstart",
  },
  "notebooks/loading.ipynb": {
    bucket: SEED_BUCKET,
    access: false,
    dataDir: "notebooks/laion_fmri_loading",
  },
  "notebooks/current.ipynb": {
    bucket: CURRENT_BUCKET,
    access: false,
    dataDir: "notebooks/laion_fmri_current",
  },
  "notebooks/stimuli.ipynb": {
    bucket: CURRENT_BUCKET,
    access: true,
    dataDir: "notebooks/laion_fmri_stimuli",
  },
  "notebooks/encoding.ipynb": {
    bucket: CURRENT_BUCKET,
    access: true,
    dataDir: "notebooks/laion_fmri_encoding",
  },
  "notebooks/templates.ipynb": {
    bucket: CURRENT_BUCKET,
    access: false,
    dataDir: "notebooks/laion_fmri_templates",
    templateflow: true,
  },
  "notebooks/encode_job.ipynb": {
    bucket: CURRENT_BUCKET,
    access: false,
    dataDir: "notebooks/laion_fmri_encode_job",
    templateflow: true,
  },
};

/** Overall limit for one nbconvert run (each cell also has its own limit). */
const RUN_TIMEOUT_MS = 600_000;
/** Limit for one cell. */
const CELL_TIMEOUT_S = 180;

/** One output of a cell, as nbformat stores it. */
export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** One cell, as nbformat stores it. */
export interface Cell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
}

/** A notebook, as nbformat stores it. */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** Absolute path of a file in the repository. */
export function repoFile(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/** nbformat's multi-line strings as one string. */
export const joinText = (
  t: string | string[] | undefined,
) => (Array.isArray(t) ? t.join("") : t ?? "");
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The spec of a notebook, or a RangeError that lists the known ones. */
export function notebookSpec(notebook: string): NotebookSpec {
  const spec = NOTEBOOKS[notebook];
  if (!spec) {
    throw new RangeError(
      `unknown notebook ${JSON.stringify(notebook)}; known: ${Object.keys(NOTEBOOKS).join(", ")}`,
    );
  }
  return spec;
}

/**
 * Installs the Deno kernel (and Debian's Jupyter when missing) with
 * scripts/jupyter_kernel.sh; returns the jupyter to call.
 */
export async function ensureKernel(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [repoFile("scripts/jupyter_kernel.sh")],
    cwd: repoFile(""),
  }).output();
  if (out.code !== 0) throw new Error(`scripts/jupyter_kernel.sh failed:\n${decode(out.stderr)}`);
  return decode(out.stdout).trim().split("\n").at(-1)!;
}

/** The variable `name`, or an error naming the wrapper that sets it. */
function offlineEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(
      `${name} is not set: run under scripts/with_local_s3.sh (e.g. \`deno task notebooks:execute\` ` +
        "or `deno task test`), which starts the local S3 and access service.",
    );
  }
  return value;
}

let requestId: Promise<string> | undefined;

/**
 * The request id the kernel gets as `LAION_FMRI_REQUEST_ID`, so no notebook
 * fills in a form: the caller's own when the environment has one (a test that
 * registered it), else the offline world's request (scripts/register_request.ts)
 * on the local access service (`LAION_FMRI_ACCESS_URL`), filed once per process.
 */
export function offlineRequestId(): Promise<string> {
  const given = Deno.env.get("LAION_FMRI_REQUEST_ID");
  if (given) return Promise.resolve(given);
  requestId ??= registerRequest(offlineEnv("LAION_FMRI_ACCESS_URL"));
  return requestId;
}

/**
 * The environment of a notebook's kernel: the local S3 and the notebook's
 * bucket, config under `xdg`, and for the notebooks that need it a request id
 * on the local access service.
 */
export async function notebookEnv(notebook: string, xdg: string): Promise<Record<string, string>> {
  const spec = notebookSpec(notebook);
  const env: Record<string, string> = {
    LAION_FMRI_S3_ENDPOINT: offlineEnv("LAION_FMRI_S3_ENDPOINT"),
    [BUCKET_ENV]: spec.bucket,
    XDG_CONFIG_HOME: xdg,
    NO_COLOR: "1",
  };
  if (spec.templateflow) {
    env.LAION_FMRI_TEMPLATEFLOW_ENDPOINT = offlineEnv("LAION_FMRI_TEMPLATEFLOW_ENDPOINT");
    env.TEMPLATEFLOW_HOME = repoFile(`${spec.dataDir}/templateflow`);
  }
  if (spec.access) {
    env.LAION_FMRI_ACCESS_URL = offlineEnv("LAION_FMRI_ACCESS_URL");
    env.LAION_FMRI_REQUEST_ID = await offlineRequestId();
  }
  return env;
}

/**
 * Runs a notebook of the repository (the kernel's cwd is its folder, so
 * `../mod.ts` resolves) against the offline world with config under `xdg`;
 * writes the executed notebook to `outDir` and returns it.
 */
export async function executeNotebook(
  jupyter: string,
  notebook: string,
  outDir: string,
  xdg: string,
): Promise<Notebook> {
  const name = basename(notebook);
  const out = await new Deno.Command(jupyter, {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--allow-errors",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
      "--ExecutePreprocessor.record_timing=False",
      "--output-dir",
      outDir,
      "--output",
      name,
      repoFile(notebook),
    ],
    cwd: repoFile(""),
    env: await notebookEnv(notebook, xdg),
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  if (out.code !== 0) throw new Error(`nbconvert ${notebook} failed:\n${decode(out.stderr)}`);
  return JSON.parse(await Deno.readTextFile(join(outDir, name)));
}

/** The cells that raised, as "cell N: Name: message". */
export function cellErrors(cells: Cell[]): string[] {
  return cells.flatMap((c, i) =>
    (c.outputs ?? []).filter((o) => o.output_type === "error").map((o) =>
      `cell ${i}: ${o.ename}: ${o.evalue}`
    )
  );
}

/**
 * A notebook as committed: nbconvert's executed file without what differs
 * from run to run: cell timing metadata (in case a runner recorded it) and
 * the intermediate states of lines redrawn with `\r` (progress bars).
 */
export function normalizeNotebook(executed: Notebook): Notebook {
  const cells = executed.cells.map((c) => {
    const { execution: _, ...metadata } = c.metadata ?? {};
    const outputs = c.outputs?.map((o) =>
      o.output_type === "stream" && joinText(o.text).includes("\r")
        ? { ...o, text: splitLines(settleCarriageReturns(joinText(o.text))) }
        : o
    );
    return { ...c, metadata, ...(outputs ? { outputs } : {}) };
  });
  return { ...executed, cells };
}

/**
 * A stream as a terminal would leave it: of each line redrawn with `\r` (a
 * progress bar) only its last state remains.
 */
export function settleCarriageReturns(text: string): string {
  return text.split("\n").map((l) => l.split("\r").filter((s) => s !== "").at(-1) ?? "")
    .join("\n");
}

/** nbformat's list-of-lines form (each line keeps its newline). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A comparable view of one output (see {@linkcode cellOutputs}). */
export interface OutputView {
  type: string;
  name?: string;
  text?: string;
  data?: Record<string, string>;
}

/**
 * Each code cell's outputs, for comparing runs: the type, stream name, text
 * and display data (every MIME type, pictures as their base64 bytes), with
 * consecutive stream outputs of one stream merged (how the kernel splits a
 * stream into messages is not part of the output) and lines redrawn with `\r`
 * settled to their last state. Execution counts and metadata are left out.
 */
export function cellOutputs(cells: Cell[]): OutputView[][] {
  return cells.filter((c) => c.cell_type === "code").map((c) => {
    const out: OutputView[] = [];
    for (const o of c.outputs ?? []) {
      const last = out.at(-1);
      if (o.output_type === "stream" && last?.type === "stream" && last.name === o.name) {
        last.text += joinText(o.text);
      } else if (o.output_type === "stream") {
        out.push({ type: "stream", name: o.name, text: joinText(o.text) });
      } else if (o.output_type === "error") {
        out.push({ type: "error", text: `${o.ename}: ${o.evalue}` });
      } else {
        const data = Object.fromEntries(
          Object.entries(o.data ?? {}).map(([k, v]) => [k, joinText(v)]),
        );
        out.push({ type: o.output_type, data });
      }
    }
    for (const o of out) if (o.type === "stream") o.text = settleCarriageReturns(o.text ?? "");
    return out;
  });
}

/**
 * Where a fresh run's outputs differ from the committed ones, one line per
 * differing code cell (empty when they match). Everything is compared
 * exactly (text, HTML, and PNG pictures byte for byte: the library's PNG
 * encoding is deterministic), except execution counts and metadata.
 */
export function outputDifferences(committed: Cell[], fresh: Cell[]): string[] {
  const a = cellOutputs(committed), b = cellOutputs(fresh);
  const diffs: string[] = [];
  if (a.length !== b.length) {
    diffs.push(`${a.length} code cells committed, ${b.length} in the fresh run`);
  }
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = firstDifference(a[i], b[i]);
    if (d) diffs.push(`code cell ${i + 1}: ${d}`);
  }
  return diffs;
}

/** The first difference between two cells' outputs, described, or undefined. */
function firstDifference(a: OutputView[], b: OutputView[]): string | undefined {
  if (a.length !== b.length) {
    return `${a.length} outputs committed, ${b.length} now (${
      b.map((o) => o.type).join(", ") || "none"
    })`;
  }
  for (let k = 0; k < a.length; k++) {
    const [x, y] = [a[k], b[k]];
    if (x.type !== y.type || x.name !== y.name) {
      return `output ${k}: ${x.type}/${x.name ?? ""} committed, ${y.type}/${y.name ?? ""} now`;
    }
    if (x.text !== y.text) return `output ${k}: ${lineDiff(x.text ?? "", y.text ?? "")}`;
    const keys = new Set([...Object.keys(x.data ?? {}), ...Object.keys(y.data ?? {})]);
    for (const key of keys) {
      const [u, v] = [x.data?.[key], y.data?.[key]];
      if (u === v) continue;
      if (u === undefined || v === undefined) {
        return `output ${k}: ${key} ${u === undefined ? "appeared" : "disappeared"}`;
      }
      return key.startsWith("image/")
        ? `output ${k}: ${key} differs (${u.length} vs ${v.length} base64 characters)`
        : `output ${k}: ${key}: ${lineDiff(u, v)}`;
    }
  }
  return undefined;
}

/** The first differing line of two texts. */
function lineDiff(a: string, b: string): string {
  const x = a.split("\n"), y = b.split("\n");
  const i = x.findIndex((l, n) => l !== y[n]);
  const at = i < 0 ? x.length : i;
  const clip = (s: string | undefined) =>
    s === undefined ? "(none)" : JSON.stringify(s.slice(0, 200));
  return `line ${at + 1}: committed ${clip(x[at])}, now ${clip(y[at])}`;
}

/** Reads a committed notebook of the repository. */
export async function readNotebook(notebook: string): Promise<Notebook> {
  return JSON.parse(await Deno.readTextFile(repoFile(notebook)));
}

/** Serializes a notebook the way Jupyter does (1-space indent, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}
