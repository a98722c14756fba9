// What users read and run names only the real dataset: the examples, the
// notebooks' cells, the README's code blocks, the library's JSDoc and CLI
// help never name a test bucket or a loopback endpoint; every example task
// has a real twin (network to the real hosts only, no bucket argument) and an
// `:offline` twin that starts the local S3 and chooses the local bucket
// through the environment.
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoPath } from "./_helpers.ts";
import { type Cell, joinText } from "./_notebook.ts";

/** Names that exist only in the test world. */
const TEST_WORLD =
  /laion-fmri-(current|pagination|access-test|access-empty)|127\.0\.0\.1|localhost|:7480\b/;
/**
 * The hosts a real task may reach: the bucket (regional, and the global name
 * presigned URLs may use) and the access service.
 */
const REAL_HOSTS = new Set([
  "laion-fmri.s3.us-west-2.amazonaws.com",
  "laion-fmri.s3.amazonaws.com",
  "laion-fmri.hebartlab.com",
]);
/** The example tasks, each with an `:offline` twin. */
const EXAMPLE_TASKS = ["tour", "tour:current", "encoding"];

// deno-lint-ignore no-explicit-any
const tasks: Record<string, any> = JSON.parse(Deno.readTextFileSync(repoPath("deno.json"))).tasks;
const command = (t: string): string => typeof tasks[t] === "string" ? tasks[t] : tasks[t].command;

/** Lines of `text` that name the test world, as "file:line: text". */
function leaks(file: string, text: string, firstLine = 1): string[] {
  return text.split("\n").flatMap((l, i) =>
    TEST_WORLD.test(l) ? [`${file}:${firstLine + i}: ${l.trim()}`] : []
  );
}

/** Every `.ts` file under a folder of the repository. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(repoPath(dir))) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await tsFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

Deno.test("examples, notebook cells, README code, JSDoc and CLI help name no test bucket or loopback endpoint", async () => {
  const found: string[] = [];
  const sources = [
    ...await tsFiles("examples"),
    ...await tsFiles("lib"),
    "mod.ts",
    "cli.ts",
  ];
  for (const f of sources) found.push(...leaks(f, await Deno.readTextFile(repoPath(f))));
  for await (const e of Deno.readDir(repoPath("notebooks"))) {
    if (!e.name.endsWith(".ipynb")) continue;
    const cells: Cell[] =
      JSON.parse(await Deno.readTextFile(repoPath(`notebooks/${e.name}`))).cells;
    cells.forEach((c, i) =>
      found.push(...leaks(`notebooks/${e.name} cell ${i}`, joinText(c.source)))
    );
  }
  // The README's code blocks (its prose describes the offline set-up).
  const readme = (await Deno.readTextFile(repoPath("README.md"))).split("\n");
  let inBlock = false;
  readme.forEach((l, i) => {
    if (l.startsWith("```")) inBlock = !inBlock;
    else if (inBlock) found.push(...leaks("README.md", l, i + 1));
  });
  assert.deepEqual(found, [], "the test world leaked into what users read and run");
});

Deno.test("every example task reaches only the real hosts and has an :offline twin", () => {
  const pairs = Object.keys(tasks).filter((t) => tasks[`${t}:offline`] !== undefined);
  for (const t of EXAMPLE_TASKS) assert.ok(pairs.includes(t), `deno task ${t} and ${t}:offline`);
  for (const t of pairs) {
    const real = command(t), offline = command(`${t}:offline`);
    assert.ok(!real.includes("with_local_s3"), `${t} must not start the local S3`);
    assert.doesNotMatch(real, /--bucket|LAION_FMRI_\w+=|--allow-all|\s-A\s/, t);
    const hosts = real.match(/--allow-net=(\S+)/)?.[1].split(",") ?? [];
    assert.ok(hosts.length > 0, `${t} names its hosts`);
    for (const h of hosts) assert.ok(REAL_HOSTS.has(h), `${t}: --allow-net host ${h}`);
    // (with_local_s3.sh's own options, e.g. `--buckets laion-fmri`, say what to seed)
    assert.match(
      offline,
      /^(LAION_FMRI_\w+=\S+ )*bash scripts\/with_local_s3\.sh (--[a-z-]+ (?!deno )\S+ |--[a-z-]+ )*deno run /,
    );
    assert.doesNotMatch(
      offline.slice(offline.indexOf(" deno run ")),
      /--bucket/,
      `${t}:offline chooses its bucket by environment`,
    );
    // The same program with the same arguments: only the world around it differs.
    const program = (c: string) => c.slice(c.search(/\S+\.ts\b/));
    assert.equal(program(offline), program(real), `${t} and ${t}:offline run the same program`);
  }
});

Deno.test("every notebook is committed executed and says in its first cell where the outputs come from", async () => {
  for await (const e of Deno.readDir(repoPath("notebooks"))) {
    if (!e.name.endsWith(".ipynb")) continue;
    const name = `notebooks/${e.name}`;
    const cells: (Cell & { execution_count?: number | null })[] =
      JSON.parse(await Deno.readTextFile(repoPath(name))).cells;
    assert.equal(cells[0].cell_type, "markdown", `${name}: the first cell is markdown`);
    assert.match(
      joinText(cells[0].source),
      /offline run[\s\S]*deno task notebooks:execute|deno task notebooks:execute[\s\S]*offline/,
      `${name}: the first cell says its outputs come from an offline run (notebooks:execute)`,
    );
    const code = cells.filter((c) => c.cell_type === "code");
    const unexecuted = code.flatMap((c, i) => typeof c.execution_count === "number" ? [] : [i]);
    assert.deepEqual(unexecuted, [], `${name}: code cells without an execution count`);
    assert.ok(code.some((c) => (c.outputs ?? []).length > 0), `${name} has no outputs`);
  }
});
