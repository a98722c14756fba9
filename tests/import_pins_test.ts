// The library imports its npm packages by full `npm:name@version` specifiers
// equal to deno.json's pins, so that a checkout imported by path from another
// project (which does not read our deno.json) resolves them (issue 10, item 13).
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { repoPath } from "./_helpers.ts";

const PINS: Record<string, string> = JSON.parse(
  await Deno.readTextFile(repoPath("deno.json")),
).imports;

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** Every module specifier of a file's import/export statements (JSDoc examples left out). */
async function specifiers(path: string): Promise<{ spec: string; line: string }[]> {
  const out: { spec: string; line: string }[] = [];
  for (const line of (await Deno.readTextFile(path)).split("\n")) {
    if (/^\s*(\*|\/\/)/.test(line)) continue;
    for (const m of line.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)"([^"]+)"/g)) {
      out.push({ spec: m[1], line: line.trim() });
    }
  }
  return out;
}

async function libraryFiles(): Promise<string[]> {
  const files = [repoPath("mod.ts"), repoPath("cli.ts")];
  for await (const f of tsFiles(repoPath("lib"))) files.push(f);
  return files.sort();
}

Deno.test("library npm imports are full specifiers equal to deno.json's pins", async () => {
  const bare = Object.keys(PINS);
  const problems: string[] = [];
  let npmImports = 0;
  for (const file of await libraryFiles()) {
    const name = relative(repoPath(""), file);
    for (const { spec } of await specifiers(file)) {
      if (spec.startsWith("npm:")) {
        npmImports++;
        const m = spec.match(/^npm:(@?[^@/]+(?:\/[^@/]+)?)@([^/]+)(\/.*)?$/);
        const pin = m ? PINS[m[1]] : undefined;
        if (!m || pin !== `npm:${m[1]}@${m[2]}`) {
          problems.push(`${name}: ${spec} (deno.json pins ${pin ?? "nothing"})`);
        }
      } else if (bare.some((b) => spec === b || spec.startsWith(`${b}/`))) {
        problems.push(`${name}: bare "${spec}" (use "${PINS[spec] ?? spec}")`);
      } else if (spec.startsWith("jsr:")) problems.push(`${name}: ${spec} (JSR is unreachable)`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(npmImports >= 10, `only ${npmImports} npm: imports found; is the scan broken?`);
});

/** Runs `code` with `deno run` in a fresh folder outside the repository. */
async function runOutside(code: string, denoJson?: string) {
  const dir = await Deno.makeTempDir({ prefix: "laion-path-import-" });
  try {
    assert.ok(relative(repoPath(""), dir).startsWith(".."), "temp dir outside the checkout");
    await Deno.writeTextFile(join(dir, "main.ts"), code);
    if (denoJson !== undefined) await Deno.writeTextFile(join(dir, "deno.json"), denoJson);
    await Deno.writeTextFile(join(dir, "trials.tsv"), "run\tlabel\n1\ta.jpg\n2\tb.jpg\n2\tc.jpg\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-ffi",
        "--allow-sys=cpus,networkInterfaces,hostname",
        "--allow-env",
        "main.ts",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(120_000),
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SCRIPT = `
import { formatList, readTsv } from "${pathToFileURL(repoPath("mod.ts")).href}";
import { listPools } from "${pathToFileURL(repoPath("lib/splits/mod.ts")).href}";
import { readNiftiHeader } from "${pathToFileURL(repoPath("lib/formats/mod.ts")).href}";
const df = await readTsv("trials.tsv");
const runs = df.getColumn("run").toArray();
console.log(JSON.stringify({
  pools: listPools(),
  list: formatList(["a", "b"]),
  shape: [df.height, df.width],
  runs,
  reader: typeof readNiftiHeader,
}));
`;

for (
  const [what, denoJson] of [
    ["with no deno.json", undefined],
    ["with its own deno.json and import map", '{ "imports": { "path": "node:path" } }\n'],
  ] as const
) {
  Deno.test(`mod.ts imported by path from a project ${what} runs Polars code`, async () => {
    const { code, stdout, stderr } = await runOutside(SCRIPT, denoJson);
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(result.pools, ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]);
    assert.equal(result.list, "['a', 'b']");
    assert.deepEqual(result.shape, [3, 2]);
    assert.deepEqual(result.runs, [1, 2, 2]);
    assert.equal(result.reader, "function");
  });
}
