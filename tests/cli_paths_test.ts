/**
 * `deno task cli` runs in the folder it was called from (relative paths are
 * the caller's, as in any command), and one rule holds for a missing data
 * folder everywhere: an error naming the `mkdir` that creates it, never a
 * folder created silently.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataDirNotFoundError } from "../lib/core/errors.ts";
import { pathExists } from "../lib/core/fs.ts";
import { downloadEmbeddings } from "../lib/download/stimulus_side.ts";
import { denoDir, repoPath, taskCommand } from "./_helpers.ts";

/** A clean environment: no INIT_CWD inherited from `deno task test`, our own HOME. */
function env(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
    ...extra,
  };
}

async function run(args: string[], cwd: string, environment: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: environment,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task cli: a relative --data-dir is the caller's folder, in the error and in the config", async () => {
  const home = await Deno.makeTempDir({ prefix: "cli_paths_" });
  try {
    const here = join(home, "notebooks");
    await Deno.mkdir(here);
    const task = ["task", "--quiet", "--config", repoPath("deno.json"), "cli"];
    const missing = await run([...task, "config", "--data-dir", "./x"], here, env(home));
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(
      missing.stderr,
      new RegExp(
        `Data directory does not exist: ${here}/x\\. Create it first \\(mkdir -p ${here}/x\\)`,
      ),
    );
    assert.ok(!missing.stderr.includes(repoPath("x")), missing.stderr);
    assert.ok(!(await pathExists(join(here, "x"))), "config created the missing folder");

    await Deno.mkdir(join(here, "x"));
    const set = await run([...task, "config", "--data-dir", "./x"], here, env(home));
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), `Data directory set to: ${here}/x`);
    const config = JSON.parse(
      await Deno.readTextFile(join(home, ".config", "laion_fmri", "config.json")),
    );
    assert.equal(config.data_dir, join(here, "x"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a missing data folder is the same error in every command, and is never created", async () => {
  const home = await Deno.makeTempDir({ prefix: "cli_missing_" });
  try {
    const gone = join(home, "nonexistent", "x");
    // `deno task cli`'s own grants (net, env, read, write, ffi, sys), not --allow-all
    const [run0, ...grants] = taskCommand("cli", home);
    const cli = [run0, "--quiet", ...grants];
    // the service and the bucket are closed ports: nothing may be reached before the check
    const offline = env(home, {
      LAION_FMRI_ACCESS_URL: "http://127.0.0.1:9",
      LAION_FMRI_S3_ENDPOINT: "http://127.0.0.1:9",
    });
    const given = await run([...cli, "download-stimuli", "--data-dir", gone], home, offline);
    assert.equal(given.code, 1, given.stderr);
    assert.match(
      given.stderr,
      new RegExp(`does not exist: ${gone}\\. Create it first \\(mkdir -p ${gone}\\)`),
    );
    assert.ok(
      !(await pathExists(join(home, "nonexistent"))),
      "download-stimuli created the folder",
    );

    // the configured folder has gone (an unmounted drive): every download says so
    await Deno.mkdir(join(home, ".config", "laion_fmri"), { recursive: true });
    await Deno.writeTextFile(
      join(home, ".config", "laion_fmri", "config.json"),
      JSON.stringify({ data_dir: gone }),
    );
    for (
      const args of [
        ["download-stimuli"],
        ["download-embeddings", "CLIP", "--accept-license"],
        ["download-captions", "--accept-license"],
        ["download", "--subject", "01", "--accept-license"],
      ]
    ) {
      const r = await run([...cli, ...args], home, offline);
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`does not exist: ${gone}\\. .*mkdir -p ${gone}\\)`),
        args[0],
      );
      assert.match(
        r.stderr,
        /It is the configured one .*laion-fmri config --data-dir PATH/,
        args[0],
      );
      assert.ok(!(await pathExists(join(home, "nonexistent"))), `${args[0]} created the folder`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the API follows the same rule: downloadEmbeddings into a missing folder", async () => {
  const home = await Deno.makeTempDir({ prefix: "api_missing_" });
  try {
    const gone = join(home, "nope");
    await assert.rejects(
      downloadEmbeddings({ dataDir: gone, models: ["CLIP"], acceptLicense: true, quiet: true }),
      (e) => e instanceof DataDirNotFoundError && e.message.includes(`mkdir -p ${gone}`),
    );
    assert.ok(!(await pathExists(gone)));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
