/** Shared test helpers: the local S3 endpoint, the synthetic dataset, the seed tour. */
import { fileURLToPath as fromFileUrl } from "node:url";
import { setWarningHandler } from "../lib/core/warnings.ts";

/** The local RGW endpoint that `deno task test` starts; a clear failure without it. */
export function localEndpoint(): string {
  const endpoint = Deno.env.get("LAION_FMRI_S3_ENDPOINT");
  if (!endpoint) {
    throw new Error(
      "LAION_FMRI_S3_ENDPOINT is not set: run the tests with `deno task test`, which starts " +
        "and seeds the local S3 (Ceph RGW).",
    );
  }
  return endpoint;
}

/** Folder of the generated small synthetic dataset (`bucket/` and `ground-truth/`). */
export function synthDir(): string {
  const dir = Deno.env.get("LAION_FMRI_SYNTH_DIR");
  if (!dir) {
    throw new Error("LAION_FMRI_SYNTH_DIR is not set: run the tests with `deno task test`.");
  }
  return dir;
}

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return fromFileUrl(new URL(`../${relative}`, import.meta.url));
}

/** Absolute path of a file in the `shared/` folder beside the repository. */
export function sharedPath(relative: string): string {
  return fromFileUrl(new URL(`../../shared/${relative}`, import.meta.url));
}

const OUTPUT_LINE = new RegExp(
  "^(All subjects: |Querying subject: |All ROIs \\(|\\['|" +
    "(body|character|face|laion|motion|object|place|retinotopy): \\[|" +
    "Pools: |Splits: |OOD types: |Split: |Pool: |Family: |n_train: |n_test: |Loaded: |" +
    "OOD shape only: |sub-\\d+: \\d+ ROIs total)",
);

/** Lines of a block that follows the line `marker` up to the line `until`. */
function blockAfter(lines: string[], marker: string, until: string): string[] {
  const start = lines.indexOf(marker);
  const end = lines.findIndex((l, i) => i > start && l.startsWith(until));
  if (start < 0 || end < 0) throw new Error(`seed block ${marker} not found`);
  return lines.slice(start + 1, end);
}

/** Whitespace-normalized, non-empty lines. */
export function normalizeLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim().replace(/\s+/g, " ")).filter((l) => l !== "");
}

/**
 * The printed output of upstream's documented tour, in order, from
 * `shared/seed/querying-the-dataset.txt` (the seed's text lost indentation
 * and blank lines, so lines are compared whitespace-normalized).
 */
export function seedTourOutput(): string[] {
  const lines = normalizeLines(Deno.readTextFileSync(sharedPath("seed/querying-the-dataset.txt")));
  const describe = blockAfter(lines, "describe()", "Subjects in the bucket");
  const inspect = blockAfter(lines, "inspect_bucket()", "Bundled train/test splits");
  const rest = lines.filter((l) => OUTPUT_LINE.test(l));
  const beforeInspect = rest.filter((l) =>
    !/^(Pools|Splits|OOD|Split|Pool|Family|n_|Loaded|sub-)/.test(l)
  );
  const afterInspect = rest.slice(beforeInspect.length);
  return [...describe, ...beforeInspect, ...inspect, ...afterInspect];
}

/**
 * Upstream's f-strings (examples/plot_03_querying.py and laion_fmri/discovery.py
 * of the seed's era) whose padding the seed's text lost: [prefix of the
 * whitespace-normalized line, the label as Python prints it, indent].
 */
const UPSTREAM_LABELS: [RegExp, (m: RegExpMatchArray) => string][] = [
  // describe(): print(f"  Bucket:    s3://{LAION_FMRI_BUCKET}") etc.
  [/^(Bucket|Subjects|ROIs): (.*)$/, (m) => `  ${`${m[1]}:`.padEnd(10)} ${m[2]}`],
  // print(f"Pools:     {list_pools()}"), f"Splits:    ...", f"OOD types: ..."
  [/^(Pools|Splits|OOD types): (.*)$/, (m) => `${`${m[1]}:`.padEnd(10)} ${m[2]}`],
  // print(f"Split:    {split.name}") ... f"Loaded:   {len(train_ids)} train / ..."
  [/^(Split|Pool|Family|n_train|n_test|Loaded): (.*)$/, (m) => `${`${m[1]}:`.padEnd(9)} ${m[2]}`],
  // print(f"OOD shape only:  test ids = {len(test_shape)}")
  [/^OOD shape only: (.*)$/, (m) => `OOD shape only:  ${m[1]}`],
  // print(f"  {sub_id}: {n_total:>3} ROIs total, {n_face} face")
  [/^(sub-\d+): (\d+) (ROIs total.*)$/, (m) => `  ${m[1]}: ${m[2].padStart(3)} ${m[3]}`],
  // inspect_bucket(): print(f"  {name}/") for each top-level prefix
  [/^([a-z]+\/)$/, (m) => `  ${m[1]}`],
];

/**
 * The exact bytes upstream's tour program prints: the seed's output lines
 * with upstream's padding put back, the blank line of `print()` after the
 * ROI list, and a final newline.
 */
export function upstreamTourText(): string {
  const out: string[] = [];
  let inDescribe = true;
  for (const line of seedTourOutput()) {
    if (line.startsWith("All subjects:")) inDescribe = false;
    // "Bucket: s3://..." is indented inside describe() only; inspect_bucket() prints it flush.
    const rule = UPSTREAM_LABELS.find(([re], i) => (i > 0 || inDescribe) && re.test(line));
    out.push(rule ? rule[1](line.match(rule[0])!) : line);
    if (line.startsWith("['")) out.push(""); // print() after print(get_rois(SUBJECT))
  }
  return out.join("\n") + "\n";
}

/** ROI totals per subject `[all, face]`, from the seed's cross-subject loop output. */
export const ROI_TOTALS: Record<string, [number, number]> = Object.fromEntries(
  seedTourOutput().flatMap((l) => {
    const m = l.match(/^(sub-\d+): (\d+) ROIs total, (\d+) face$/);
    return m ? [[m[1], [Number(m[2]), Number(m[3])]]] : [];
  }),
);

/** The command line of a task in deno.json. */
function taskLine(task: string): string {
  const tasks = JSON.parse(Deno.readTextFileSync(repoPath("deno.json"))).tasks;
  return typeof tasks[task] === "string" ? tasks[task] : tasks[task].command;
}

/** The `deno run ...` part of a task, with `$HOME` replaced. */
export function taskCommand(task: string, home: string): string[] {
  const command = taskLine(task);
  const run = command.slice(command.indexOf("deno run"))
    // `R="$PWD" && cd "$INIT_CWD" && deno run ... "$R/cli.ts"`: $R is the repository
    .replace(/"\$R\/([^"]*)"/g, (_m, rel: string) => repoPath(rel));
  return run.replaceAll("$HOME", home).split(/\s+/).slice(1);
}

/** The `NAME=value` assignments a task's command line starts with (e.g. an offline bucket). */
export function taskEnv(task: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of taskLine(task).split(/\s+/)) {
    const m = word.match(/^([A-Z_][A-Z0-9_]*)=(\S*)$/);
    if (!m) break;
    env[m[1]] = m[2];
  }
  return env;
}

/** Deno's cache folder of this process, for subprocesses that get another HOME. */
export function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
}

/** Every file under `dir`, at any depth, as `dir/…` paths (in directory order). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Every key of the generated current-layout bucket tree under `prefix`, sorted (from disk). */
export function synthCurrentKeys(prefix: string): string[] {
  const root = `${synthCurrentDir()}/bucket`;
  return filesUnder(`${root}/${prefix}`.replace(/\/+$/, ""))
    .map((path) => path.slice(root.length + 1)).sort();
}

/** Folder of the generated small current-layout dataset (`bucket/` and `ground-truth/`). */
export function synthCurrentDir(): string {
  const dir = Deno.env.get("LAION_FMRI_SYNTH_CURRENT_DIR");
  if (!dir) {
    throw new Error(
      "LAION_FMRI_SYNTH_CURRENT_DIR is not set: run the tests with `deno task test`.",
    );
  }
  return dir;
}

/** Collects warnings while `fn` runs. */
export async function withWarnings<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const seen: string[] = [];
  const previous = setWarningHandler((m) => seen.push(m));
  try {
    return [await fn(), seen];
  } finally {
    setWarningHandler(previous);
  }
}

/**
 * Runs the CLI (`cli.ts`) as a subprocess with loopback net, env and read
 * grants (plus `--allow-write=` of `write` when given); decoded output.
 */
export async function runCliLoopback(
  args: string[],
  options: { write?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const grants = ["--allow-net=127.0.0.1", "--allow-env", "--allow-read"];
  if (options.write) grants.push(`--allow-write=${options.write}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...grants, repoPath("cli.ts"), ...args],
    env: { NO_COLOR: "1", ...options.env },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}
