/**
 * The two test tiers, decided from what each test file uses, so that a new test lands in the
 * right one without a list to keep:
 *
 * - **server**: the file, or a fixture of tests/ it imports (transitively), reaches the local S3
 *   (Ceph RGW) or the local access service, or runs Jupyter — see {@linkcode SERVER_MARKERS};
 * - **unit**: every other `tests/*_test.ts`. These need no server: `deno task test:unit` runs them
 *   with the synthetic dataset generated but no RGW, access service or Jupyter started (and
 *   `LAION_FMRI_S3_ENDPOINT` unset, so a test that reaches for the server anyway fails with the
 *   message that names `deno task test`).
 *
 * `deno task test` runs both tiers (all of tests/), as before.
 *
 *   deno run --allow-read scripts/test_tiers.ts unit     # the unit tier's files, one a line
 *   deno run --allow-read scripts/test_tiers.ts server   # the server tier's files
 *   deno run --allow-read --allow-run=deno scripts/test_tiers.ts run unit -- <deno test flags>
 *                                                        # the unit tier in one process per core
 */
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** What puts a test file (or a fixture it imports) in the server tier, with why. */
export const SERVER_MARKERS: readonly [RegExp, string][] = [
  [/(?<!function )\blocalEndpoint\(/, "the local S3 endpoint (localEndpoint())"],
  [/LAION_FMRI_S3_ENDPOINT/, "the local S3 endpoint (LAION_FMRI_S3_ENDPOINT)"],
  [/LAION_FMRI_ACCESS_URL/, "the local access service (LAION_FMRI_ACCESS_URL)"],
  [
    /LAION_FMRI_TEMPLATEFLOW_ENDPOINT/,
    "the local templateflow bucket (LAION_FMRI_TEMPLATEFLOW_ENDPOINT)",
  ],
  // templateflowFiles() with no endpoint reads LAION_FMRI_TEMPLATEFLOW_ENDPOINT itself
  [/(?<!function )\btemplateflowFiles\(/, "the local templateflow bucket (templateflowFiles())"],
  [/(?<!function )\btaskCommand\(/, "a deno task of the repository (taskCommand())"],
  [/(?<!function )\bensureKernel\(/, "Jupyter (ensureKernel() of tests/_notebook.ts)"],
  // The notebook runners of tests/_notebook.ts start Jupyter themselves and the notebooks read
  // the local S3 (and access service); a call of one counts, their definitions do not.
  [
    /(?<!function )\b(?:executeInTemp|executeChecked|executeNotebook)\(/,
    "Jupyter and the local S3 (a notebook runner of tests/_notebook.ts)",
  ],
];

/**
 * Fixtures whose markers do not pass to their importers: tests/_helpers.ts and tests/_notebook.ts
 * define the accessors (`localEndpoint`, `taskCommand`, `ensureKernel`, `executeInTemp`, …), and
 * only a call of one in a test file (or another fixture) counts.
 */
const DEFINITIONS = new Set(["_helpers.ts", "_notebook.ts"]);

const ROOT = fromFileUrl(new URL("..", import.meta.url));

/** The tier of each test file (path relative to the repository) and, for the server tier, why. */
export interface Tiers {
  unit: string[];
  server: string[];
  /** Server-tier file → the first marker found, and where. */
  reasons: Record<string, string>;
}

/** Local imports of a file inside tests/ (fixtures, helpers), as absolute paths. */
function localImports(file: string, text: string): string[] {
  const out: string[] = [];
  // Import statements only (at the start of a line), not a path quoted inside a string.
  const re = /^(?:import|export)\b[^;]*?from\s*"(\.\/[^"]+\.ts)"|^import\s*"(\.\/[^"]+\.ts)"/gm;
  for (const m of text.matchAll(re)) out.push(join(dirname(file), m[1] ?? m[2]));
  return out;
}

/** The first server marker in `file` or a tests/ fixture it imports, as "why (where)". */
async function serverReason(
  file: string,
  seen = new Set<string>(),
): Promise<string | undefined> {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const text = await Deno.readTextFile(file);
  if (!DEFINITIONS.has(basename(file))) {
    for (const [re, why] of SERVER_MARKERS) {
      if (re.test(text)) return `${why} in ${relative(ROOT, file)}`;
    }
  }
  for (const dep of localImports(file, text)) {
    const why = await serverReason(dep, seen);
    if (why) return why;
  }
  return undefined;
}

/** Both tiers of the `*_test.ts` files in `dir` (the repository's tests/ by default). */
export async function testTiers(dir: string = join(ROOT, "tests")): Promise<Tiers> {
  const tiers: Tiers = { unit: [], server: [], reasons: {} };
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith("_test.ts")) files.push(join(dir, e.name));
  }
  for (const file of files.sort()) {
    const rel = relative(ROOT, file);
    const why = await serverReason(file);
    if (why) {
      tiers.server.push(rel);
      tiers.reasons[rel] = why;
    } else tiers.unit.push(rel);
  }
  return tiers;
}

/** Where the last run's seconds per test file are kept (a cache, never committed). */
const TIMES_PATH = join(ROOT, ".scratch", "test-times.json");

/**
 * Splits `files` into `jobs` groups of about equal work: heaviest first onto the lightest group.
 * A file's weight is its seconds in the last run (`times`), else its size scaled by the seconds
 * per byte of the files that have times (its size alone when none has).
 */
export async function shard(
  files: readonly string[],
  jobs: number,
  times: Record<string, number> = {},
): Promise<string[][]> {
  const sized = await Promise.all(
    files.map(async (f) => ({ f, size: (await Deno.stat(join(ROOT, f))).size })),
  );
  const timed = sized.filter((x) => times[x.f] !== undefined);
  const perByte = timed.length
    ? timed.reduce((a, x) => a + times[x.f], 0) / timed.reduce((a, x) => a + x.size, 0)
    : 1;
  const weighed = sized.map((x) => ({ f: x.f, w: times[x.f] ?? x.size * perByte }));
  weighed.sort((a, b) => b.w - a.w || a.f.localeCompare(b.f));
  const groups = Array.from({ length: Math.max(1, jobs) }, () => ({ files: [] as string[], w: 0 }));
  for (const { f, w } of weighed) {
    const g = groups.reduce((a, b) => (b.w < a.w ? b : a));
    g.files.push(f);
    g.w += w;
  }
  return groups.map((g) => g.files.sort()).filter((g) => g.length > 0);
}

/** Seconds per test file from `deno test` output (its "running N tests from ./file" headers and
 * the duration of each top-level test). */
export function fileSeconds(output: string): Record<string, number> {
  const times: Record<string, number> = {};
  let file: string | undefined;
  // deno-lint-ignore no-control-regex
  for (const line of output.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
    const head = line.match(/^running \d+ tests? from \.\/(\S+)/);
    if (head) {
      file = head[1];
      times[file] ??= 0;
      continue;
    }
    const m = line.match(/^\S.* \.\.\. (?:ok|FAILED|ignored) \((?:(\d+)m)?([\d.]+)(ms|s|µs)\)$/);
    if (!m || file === undefined) continue;
    const unit = { ms: 1e-3, s: 1, "µs": 1e-6 }[m[3]]!;
    times[file] += Number(m[1] ?? 0) * 60 + Number(m[2]) * unit;
  }
  return times;
}

/**
 * Runs the unit tier as `jobs` `deno test` processes side by side (each file in one process, so
 * tests that set environment variables cannot race), with `flags`; prints each process's output
 * when it ends and returns the exit code (0 when all passed). The server tier is not run this
 * way: its tests share one RGW, Slurm cluster and Jupyter set-up, and `deno task test` runs them
 * in one process.
 */
export async function runUnitTier(jobs: number, flags: readonly string[]): Promise<number> {
  const tier = "unit";
  const files = (await testTiers())[tier];
  const known: Record<string, number> = await Deno.readTextFile(TIMES_PATH).then(
    JSON.parse,
    () => ({}),
  );
  const groups = await shard(files, jobs, known);
  const t0 = performance.now();
  // Type-check the whole tier once (cached by deno for the same set of files), then run the
  // processes with --no-check: each process would otherwise check its own group again.
  const check = await new Deno.Command("deno", { args: ["check", ...files], cwd: ROOT }).output();
  if (!check.success) return check.code || 1;
  const results = await Promise.all(groups.map(async (group, i) => {
    const out = await new Deno.Command("deno", {
      args: ["test", "--no-check", ...flags, ...group],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    console.log(`\n── test:${tier} process ${i + 1}/${groups.length} (${group.length} files) ──`);
    await Deno.stdout.write(out.stdout);
    await Deno.stderr.write(out.stderr);
    const text = dec.decode(out.stdout);
    for (const [f, secs] of Object.entries(fileSeconds(text))) known[`tests/${basename(f)}`] = secs;
    return { i, code: out.code, tail: text.trim().split("\n").at(-1) ?? "" };
  }));
  try {
    await Deno.mkdir(dirname(TIMES_PATH), { recursive: true });
    await Deno.writeTextFile(`${TIMES_PATH}.tmp`, JSON.stringify(known, null, 1) + "\n");
    await Deno.rename(`${TIMES_PATH}.tmp`, TIMES_PATH);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e; // balancing by size next time is fine
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`\ntest:${tier}: ${files.length} files in ${groups.length} processes, ${secs} s`);
  for (const r of results) console.log(`  process ${r.i + 1}: ${r.tail}`);
  return results.some((r) => r.code !== 0) ? 1 : 0;
}

if (import.meta.main) {
  const [mode, tier, ...rest] = Deno.args;
  if (mode === "run" && tier === "unit") {
    // run unit [--jobs N] -- <deno test flags>
    const dash = rest.indexOf("--");
    const own = dash < 0 ? rest : rest.slice(0, dash);
    const jobsAt = own.indexOf("--jobs");
    const jobs = jobsAt < 0 ? navigator.hardwareConcurrency : Number(own[jobsAt + 1]);
    if (!Number.isInteger(jobs) || jobs < 1) {
      console.error(`--jobs needs a whole number of processes >= 1, got ${own[jobsAt + 1]}`);
      Deno.exit(2);
    }
    Deno.exit(await runUnitTier(jobs, dash < 0 ? [] : rest.slice(dash + 1)));
  }
  if (mode !== "unit" && mode !== "server") {
    console.error(
      "usage: deno run --allow-read scripts/test_tiers.ts unit|server   (list a tier's files)\n" +
        "       deno run --allow-read --allow-run=deno scripts/test_tiers.ts run unit " +
        "[--jobs N] -- <deno test flags>",
    );
    Deno.exit(2);
  }
  const tiers = await testTiers();
  console.log(tiers[mode].join("\n"));
}
