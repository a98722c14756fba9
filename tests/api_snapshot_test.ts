// The public API (every entry point of deno.json "exports": names, kinds, signatures and public
// members, from `deno doc --json`) equals the committed tests/api_snapshot.json. A change to the
// surface is then a change to that file, visible in review; after a deliberate one, run
// `deno task api:snapshot` and commit the file.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ApiSurface,
  apiSurface,
  SNAPSHOT_PATH,
  surfaceDiff,
  UPDATE_COMMAND,
} from "../scripts/api_surface.ts";
import { repoPath } from "./_helpers.ts";

Deno.test("public API: every entry point equals the committed snapshot", async () => {
  const committed: ApiSurface = JSON.parse(await Deno.readTextFile(repoPath(SNAPSHOT_PATH)));
  const now = await apiSurface();
  const diff = surfaceDiff(committed, now);
  assert.ok(
    diff.length === 0,
    `the public API differs from ${SNAPSHOT_PATH} (+ added, - removed, ~ changed):\n` +
      `${diff.join("\n")}\n\nIf the change is deliberate, run \`${UPDATE_COMMAND}\` and commit ` +
      `${SNAPSHOT_PATH} (README's "Where did X go" table names the new home of a moved name).`,
  );
});

Deno.test("public API: the root stays a screen, and every subpath entry is a documented re-export", async () => {
  const now = await apiSurface();
  // The callable surface stays about 100 names; the types those signatures name come along.
  const values = Object.values(now["."]).filter((lines) => !/^(interface|type) /.test(lines[0]));
  assert.ok(values.length <= 110, `the root exports ${values.length} values; keep it about 100`);
  // JSR documents the root on its own: every type its signatures name is exported by it too.
  const lint = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", repoPath("mod.ts")],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(lint.stderr) + new TextDecoder().decode(lint.stdout);
  assert.equal(lint.code, 0, text.match(/error\[[^\n]*/g)?.join("\n") ?? text);
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  for (const [sub, file] of Object.entries(config.exports as Record<string, string>)) {
    if (sub === "./cli") continue; // the command line, not a library entry
    const text = await Deno.readTextFile(join(repoPath(""), file));
    assert.match(text, /@module/, `${file} (${sub}) needs a module doc with @module`);
    assert.match(text, /@example/, `${file} (${sub}) needs an @example`);
    const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const stray = code.split(/;\s*/).map((s) => s.trim()).filter((s) =>
      s && !/^export\s+(type\s+)?(\{[\s\S]*\}\s*from\s*"[^"]+"|\*\s+from\s*"[^"]+")$/.test(s)
    );
    if (sub !== ".") assert.deepEqual(stray, [], `${file} should only re-export by name`);
  }
});

Deno.test("public API: the surface diff names added, removed and changed lines", () => {
  const before: ApiSurface = {
    ".": { a: ["function a(): void"], b: ["interface B", "  x: number"] },
  };
  const after: ApiSurface = {
    ".": { b: ["interface B", "  x: string"], c: ["const c: 1"] },
    "./plot": { a: ["function a(): void"] },
  };
  assert.deepEqual(surfaceDiff(before, after), [
    "- . a: function a(): void",
    "~ . b:",
    "    - x: number",
    "    + x: string",
    "+ . c: const c: 1",
    "+ entry point ./plot (1 names)",
  ]);
});

Deno.test("README's 'Where did X go' table: each moved name is exported by the subpath it names, not by the root", async () => {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const section = readme.split("#### Where did X go")[1]?.split(/\n#{2,4} /)[0];
  assert.ok(section, "README has a 'Where did X go' section");
  const now = await apiSurface();
  const wrong: string[] = [];
  let rows = 0;
  for (const m of section.matchAll(/^\| `@laion\/fmri\/(\w+)`\s*\|([^|]*)\|/gm)) {
    rows++;
    const names = now[`./${m[1]}`];
    assert.ok(names, `README names @laion/fmri/${m[1]}, which deno.json does not export`);
    for (const n of m[2].matchAll(/`(\w+)`/g)) {
      if (!(n[1] in names)) wrong.push(`${n[1]} is not exported by @laion/fmri/${m[1]}`);
      if (n[1] in now["."]) wrong.push(`${n[1]} is in the root again: drop it from the table`);
    }
  }
  assert.ok(rows > 0, "the table has rows");
  assert.deepEqual(wrong, []);
});

Deno.test("public API: no property of a public type is snake_case (wire formats stay internal)", async () => {
  const now = await apiSurface();
  const snake: string[] = [];
  for (const [entry, names] of Object.entries(now)) {
    for (const [name, lines] of Object.entries(names)) {
      for (const line of lines) {
        for (
          const m of line.matchAll(
            /(?:^\s+|[{;]\s*)(?:readonly\s+)?([a-z][a-z0-9]*_[a-z0-9_]+)\??:/g,
          )
        ) {
          snake.push(`${entry} ${name}.${m[1]}`);
        }
      }
    }
  }
  assert.deepEqual(snake, []);
});

Deno.test("public API: deno doc --lint of all entry points is clean (every referenced type is exported somewhere, every export documented)", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...Object.values(config.exports as Record<string, string>)],
    cwd: repoPath(""),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  const problems = text.split("\n").filter((l) => /^error\[/.test(l));
  assert.ok(out.success && problems.length === 0, problems.join("\n") || text);
});
