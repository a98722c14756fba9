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
  const r = await run(["--allow-read", `--allow-env=${SDK_ENV}`], [
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
  assert.match(r.stderr, /Permission needed to load the S3 client: run deno with --allow-env=AWS_/);
});

Deno.test("the S3 layer never reads HOME, AWS_PROFILE or ~/.aws", async () => {
  // Only the three variables the SDK reads at load time, no HOME, no read access
  // outside the repository: discovery still works.
  const r = await run(
    [`--allow-read=${repoPath("")}`, `--allow-env=${SDK_ENV}`, "--allow-net=127.0.0.1"],
    ["subjects", "--endpoint", localEndpoint()],
  );
  assert.equal(r.code, 0, r.stderr);
});
