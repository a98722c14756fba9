// A missing Deno permission gives an error that names the flag to add.
import assert from "node:assert/strict";
import { localEndpoint, repoPath } from "./_helpers.ts";

const SDK_ENV = "AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA,AWS_LAMBDA_BENCHMARK_MODE," +
  "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

async function run(flags: string[], args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, repoPath("cli.ts"), ...args],
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("without --allow-net the error names the host to allow", async () => {
  const endpoint = localEndpoint();
  const r = await run(["--allow-read", `--allow-env=${SDK_ENV},LAION_FMRI_BUCKET`], [
    "subjects",
    "--endpoint",
    endpoint,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`--allow-net=${new URL(endpoint).host.replace(".", "\\.")}`));
});

Deno.test("without the SDK's env variables the error names them", async () => {
  const r = await run(["--allow-read", "--allow-net=127.0.0.1"], [
    "subjects",
    "--endpoint",
    localEndpoint(),
  ]);
  assert.equal(r.code, 1);
  // With LAION_FMRI_BUCKET, which the same call reads: every missing variable in one flag.
  assert.match(
    r.stderr,
    /Permission needed to read LAION_FMRI_BUCKET .*and load the S3 client: run deno with --allow-env=AWS_\w+,\w+,\w+,LAION_FMRI_BUCKET\n/,
  );
});

Deno.test("the S3 layer never reads HOME, AWS_PROFILE or ~/.aws", async () => {
  // Only the three variables the SDK reads at load time (and the bucket setting), no HOME, no read access
  // outside the repository: discovery still works.
  const r = await run(
    [
      `--allow-read=${repoPath("")}`,
      `--allow-env=${SDK_ENV},LAION_FMRI_BUCKET`,
      "--allow-net=127.0.0.1",
    ],
    ["subjects", "--endpoint", localEndpoint()],
  );
  assert.equal(r.code, 0, r.stderr);
});

/** Runs a snippet importing mod.ts with exactly `flags`; `env` is the whole environment. */
async function runSnippet(flags: string[], code: string, env: Record<string, string>) {
  const file = await Deno.makeTempFile({
    dir: repoPath("tests"),
    prefix: ".snippet-",
    suffix: ".ts",
  });
  try {
    await Deno.writeTextFile(file, code.replaceAll("MOD", repoPath("mod.ts")));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags, file],
      env: { NO_COLOR: "1", ...env },
      clearEnv: true,
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("an unpermitted LAION_FMRI_S3_ENDPOINT is an error naming every env flag at once", async () => {
  // Before: the variable read as unset, and the tour went to the real bucket without a word.
  const r = await runSnippet(
    ["--allow-read", "--allow-net=127.0.0.1"],
    `import { getSubjects } from "MOD"; console.log(await getSubjects());`,
    { LAION_FMRI_S3_ENDPOINT: localEndpoint() },
  );
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /PermissionMissingError: Permission needed to read LAION_FMRI_S3_ENDPOINT.*--allow-env=LAION_FMRI_S3_ENDPOINT,AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA,AWS_LAMBDA_BENCHMARK_MODE,AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED/,
  );
});

Deno.test("an unpermitted XDG_CONFIG_HOME is an error, never a silent fall back to HOME", async () => {
  const home = await Deno.makeTempDir();
  try {
    const r = await runSnippet(
      ["--allow-read", `--allow-write=${home}`, "--allow-env=HOME"],
      `import { configPath } from "MOD"; console.log(configPath());`,
      { HOME: home, XDG_CONFIG_HOME: `${home}/xdg` },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /find the config file: run deno with --allow-env=XDG_CONFIG_HOME\b/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("an unpermitted LAION_FMRI_SPLITS_DIR is an error naming it", async () => {
  const r = await runSnippet(
    ["--allow-read"],
    `import { loadSplit } from "MOD"; console.log((await loadSplit("tau", { pool: "shared" })).nTest);`,
    { LAION_FMRI_SPLITS_DIR: "/nonexistent" },
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--allow-env=LAION_FMRI_SPLITS_DIR/);
});
