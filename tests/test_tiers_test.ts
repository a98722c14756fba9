// The test tiers (scripts/test_tiers.ts): membership follows from what a test file uses, the unit
// tier needs no server, and `deno task test` still runs everything.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileSeconds, shard, testTiers } from "../scripts/test_tiers.ts";
import { repoPath } from "./_helpers.ts";

Deno.test("tiers: every test file is in exactly one tier; the server ones say why", async () => {
  const tiers = await testTiers();
  const all: string[] = [];
  for await (const e of Deno.readDir(repoPath("tests"))) {
    if (e.name.endsWith("_test.ts")) all.push(`tests/${e.name}`);
  }
  assert.deepEqual([...tiers.unit, ...tiers.server].sort(), all.sort());
  assert.equal(new Set([...tiers.unit, ...tiers.server]).size, all.length);
  for (const f of tiers.server) assert.ok(tiers.reasons[f], `${f} has no reason`);
  // Known members, one of each kind of marker.
  for (
    const f of [
      "tests/errors_test.ts",
      "tests/api_snapshot_test.ts",
      "tests/subject_test.ts",
      "tests/test_tiers_test.ts",
    ]
  ) {
    assert.ok(tiers.unit.includes(f), `${f} should be a unit test`);
  }
  assert.match(tiers.reasons["tests/access_test.ts"], /localEndpoint/);
  assert.match(tiers.reasons["tests/notebook_test.ts"], /Jupyter/);
});

Deno.test("tiers: every notebook test (a *_notebook_test.ts, or a file that imports tests/_notebook.ts) is a server test", async () => {
  // They start Jupyter and run notebooks against the local S3; only real_by_default_test.ts
  // imports tests/_notebook.ts for its text helpers alone.
  const tiers = await testTiers();
  const notebookTests: string[] = [];
  for await (const e of Deno.readDir(repoPath("tests"))) {
    if (!e.name.endsWith("_test.ts") || e.name === "real_by_default_test.ts") continue;
    const text = await Deno.readTextFile(repoPath(`tests/${e.name}`));
    if (e.name.endsWith("_notebook_test.ts") || /from "\.\/_notebook\.ts"/.test(text)) {
      notebookTests.push(`tests/${e.name}`);
    }
  }
  assert.ok(notebookTests.includes("tests/encode_job_notebook_test.ts"));
  for (const f of notebookTests.sort()) {
    assert.ok(tiers.server.includes(f), `${f} runs a notebook but is in the unit tier`);
  }
  assert.ok(tiers.unit.includes("tests/real_by_default_test.ts"));
});

Deno.test("tiers: a new file lands by what it calls, also through a fixture it imports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tiers-" });
  try {
    // The markers are spelled in pieces here, so that this file itself stays in the unit tier.
    const [endpoint, kernel, accessUrl] = [
      "localEnd" + "point",
      "ensure" + "Kernel",
      "LAION_FMRI_" + "ACCESS_URL",
    ];
    const write = (name: string, text: string) =>
      Deno.writeTextFile(
        join(dir, name),
        text.replaceAll("ENDPOINT", endpoint).replaceAll("KERNEL", kernel).replaceAll(
          "ACCESS",
          accessUrl,
        ),
      );
    await write("_helpers.ts", "export function ENDPOINT() { return Deno.env.get('X'); }\n");
    await write("_fixture.ts", 'import { ENDPOINT } from "./_helpers.ts";\nENDPOINT();\n');
    await write(
      "plain_test.ts",
      'import { ENDPOINT } from "./_helpers.ts";\nDeno.test("a", () => {});\n',
    );
    await write("direct_test.ts", 'import { ENDPOINT } from "./_helpers.ts";\nENDPOINT();\n');
    await write("via_fixture_test.ts", 'import "./_fixture.ts";\n');
    await write("jupyter_test.ts", "await KERNEL();\n");
    await write("notebook_run_test.ts", `await ${"execute" + "InTemp"}("a.ipynb", "a");\n`);
    await write("access_test.ts", 'const u = Deno.env.get("ACCESS");\n');
    const tiers = await testTiers(dir);
    const names = (l: string[]) => l.map((f) => f.split("/").at(-1)).sort();
    assert.deepEqual(names(tiers.unit), ["plain_test.ts"]);
    assert.deepEqual(names(tiers.server), [
      "access_test.ts",
      "direct_test.ts",
      "jupyter_test.ts",
      "notebook_run_test.ts",
      "via_fixture_test.ts",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tiers: shards balance the recorded seconds; deno test output gives seconds per file", async () => {
  const files = [
    "tests/errors_test.ts",
    "tests/ids_test.ts",
    "tests/tsv_test.ts",
    "tests/core_test.ts",
  ];
  const groups = await shard(files, 2, {
    "tests/errors_test.ts": 30,
    "tests/ids_test.ts": 20,
    "tests/tsv_test.ts": 5,
    "tests/core_test.ts": 5,
  });
  assert.deepEqual(
    groups,
    [["tests/errors_test.ts"], ["tests/core_test.ts", "tests/ids_test.ts", "tests/tsv_test.ts"]]
      .map((g) => g.sort()),
  );
  const out = "running 2 tests from ./tests/a_test.ts\n" +
    "first ... \x1b[32mok\x1b[0m (1s)\n  step ... ok (900ms)\nsecond ... FAILED (250ms)\n" +
    "running 1 test from ./tests/b_test.ts\nonly ... ok (1m2s)\n";
  assert.deepEqual(fileSeconds(out), { "tests/a_test.ts": 1.25, "tests/b_test.ts": 62 });
});

Deno.test("tiers: test:unit runs the unit tier without a server; test still runs all of tests/", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(repoPath("deno.json"))).tasks;
  const unit: string = tasks["test:unit"].command;
  assert.ok(unit.startsWith("bash scripts/with_local_s3.sh --no-server "), unit);
  assert.match(unit, /scripts\/test_tiers\.ts run unit -- /);
  assert.ok(!/\s-A\s|--allow-all/.test(unit));
  const full: string = tasks.test.command;
  assert.ok(full.startsWith("bash scripts/with_local_s3.sh deno test "), full);
  assert.ok(full.trimEnd().endsWith(" tests/"), full);
  // Both tiers get the same list of programs the tests start, never --allow-run alone.
  // (the last flag of each; Deno.execPath() is a path of its own when deno on PATH is a link)
  const runList = (c: string) => c.slice(c.lastIndexOf("--allow-run")).replace(/ tests\/$/, "");
  assert.equal(runList(unit), runList(full), "test:unit and test grant other programs");
  assert.match(runList(full), /^--allow-run=deno,.*Deno\.execPath\(\).*,\/usr\/bin\/sbatch,/);
});

Deno.test("tiers: no task grants every program (--allow-run without a list)", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(repoPath("deno.json"))).tasks;
  for (const [name, task] of Object.entries(tasks)) {
    const command = typeof task === "string" ? task : (task as { command: string }).command;
    assert.doesNotMatch(command, /--allow-run(?!=)/, `${name}: ${command}`);
  }
});
