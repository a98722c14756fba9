// The laion-fmri CLI as a subprocess, with the flags of `deno task cli`.
import assert from "node:assert/strict";
import { localEndpoint, repoPath } from "./_helpers.ts";

const FLAGS = [
  "--allow-net=127.0.0.1",
  "--allow-env",
  "--allow-read",
  "--allow-write",
];

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, repoPath("cli.ts"), ...args],
    env: { NO_COLOR: "1", ...env },
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("cli: no command and --help print usage and exit 0", async () => {
  for (const args of [[], ["--help"], ["rois", "--help"]]) {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /usage: laion-fmri/);
  }
});

Deno.test("cli: subjects, rois and inspect read the bucket given by --endpoint", async () => {
  const endpoint = localEndpoint();
  const subjects = await cli(["subjects", "--endpoint", endpoint]);
  assert.equal(subjects.code, 0, subjects.stderr);
  assert.deepEqual(subjects.stdout.trim().split("\n"), [
    "sub-01",
    "sub-03",
    "sub-05",
    "sub-06",
    "sub-07",
  ]);
  const rois = await cli(["rois", "--subject", "01", "--category", "face", "--endpoint", endpoint]);
  assert.deepEqual(rois.stdout.trim().split("\n"), ["FFA1", "FFA2", "OFA", "pSTSfaces"]);
  const inspect = await cli(["inspect"], { LAION_FMRI_S3_ENDPOINT: endpoint });
  assert.match(inspect.stdout, /derivatives\/rois\/: 5 entries, 5 sub-\* entries/);
});

Deno.test("cli: info --subject shows that subject's sessions and ROI counts", async () => {
  const r = await cli(["info", "--subject", "sub-03", "--endpoint", localEndpoint()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Subject: sub-03/);
  assert.match(r.stdout, /ROIs: +43 in 8 categories/);
  assert.match(r.stdout, /held out \(ses-31, ses-32, ses-33, ses-34\)/);
  assert.match(r.stdout, /face +6 /);
});

Deno.test("cli: bad input exits 1 with one line and no stack trace", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /unknown command "frobnicate"/],
    [
      ["rois", "--category", "faces", "--subject", "sub-01", "--endpoint", localEndpoint()],
      /"faces"/,
    ],
    [["subjects", "--bogus"], /bogus/],
    [
      ["subjects", "--endpoint", "http://127.0.0.1:9"],
      /Cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9/,
    ],
    [["config"], /--data-dir/],
    [["config", "--data-dir", "/nonexistent/x"], /does not exist/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 1, args.join(" "));
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `one line for ${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0], /^laion-fmri: error: /);
    assert.match(lines[0], pattern);
  }
});

Deno.test("cli: config --data-dir stores the directory", async () => {
  const xdg = await Deno.makeTempDir();
  const data = await Deno.makeTempDir();
  try {
    const r = await cli(["config", "--data-dir", data], { XDG_CONFIG_HOME: xdg });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `Data directory set to: ${data}`);
    const stored = JSON.parse(await Deno.readTextFile(`${xdg}/laion_fmri/config.json`));
    assert.equal(stored.data_dir, data);
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
});
