// What `deno publish` would upload: the library only (mod.ts, cli.ts, lib/, the splits installer,
// README, LICENSE, deno.json), never test tooling (scripts/, tests/, bench/, the generator's HDF5
// writer), examples, notebooks or pictures. `--dry-run` lists the files without any network.

import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { repoPath } from "./_helpers.ts";

async function publishedFiles(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    // --no-check: the file list is the point here; type checking is deno check's job.
    args: ["publish", "--dry-run", "--allow-dirty", "--no-check"],
    cwd: repoPath(""),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  return [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) =>
    relative(repoPath(""), fromFileUrl(m[1]))
  ).sort();
}

Deno.test("publish: the package carries the library and its licence, no test tooling", async () => {
  const files = await publishedFiles();
  for (
    const f of ["LICENSE", "README.md", "deno.json", "mod.ts", "cli.ts", "lib/formats/hdf5.ts"]
  ) {
    assert.ok(files.includes(f), `${f} is not published: ${files.join(", ")}`);
  }
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  for (const entry of Object.values(config.exports as Record<string, string>)) {
    assert.ok(files.includes(entry.replace(/^\.\//, "")), `entry point ${entry} is not published`);
  }
  const stray = files.filter((f) =>
    /^(scripts|tests|bench|examples|notebooks|docs|\.scratch|node_modules)\//.test(f) ||
    /_test\.ts$/.test(f) || /hdf5_(write|encode|messages)\.ts$/.test(f)
  );
  assert.deepEqual(stray, [], "test tooling or examples would be published");
  assert.ok(files.every((f) => /^(lib\/|splits\/|[^/]+$)/.test(f)), files.join("\n"));
});

Deno.test("publish: LICENSE is the BSD-3-Clause text that deno.json's licence names", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  assert.equal(config.license, "BSD-3-Clause");
  const text = await Deno.readTextFile(repoPath("LICENSE"));
  assert.match(text, /^BSD 3-Clause License\n/);
  assert.match(text, /Neither the name of the copyright holder nor the names of its contributors/);
});
