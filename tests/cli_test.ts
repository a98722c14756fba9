// The laion-fmri CLI as a subprocess, with the flags of `deno task cli`.
import assert from "node:assert/strict";
import { denoDir, localEndpoint, repoPath, taskCommand } from "./_helpers.ts";
import { pathExists } from "../lib/core/fs.ts";

const FLAGS = [
  "--allow-ffi",
  "--allow-sys=cpus,networkInterfaces,hostname",
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
      ["subjects", "--endpoint", "http://127.0.0.1:39"],
      /Cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:39/,
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

Deno.test("cli: info --subject shows what is on disk; export writes partitions", async () => {
  const { makeDataDir } = await import("./_data_dir.ts");
  const data = await makeDataDir();
  const xdg = await Deno.makeTempDir();
  try {
    const env = { XDG_CONFIG_HOME: xdg };
    assert.equal((await cli(["config", "--data-dir", data], env)).code, 0);
    const info = await cli(["info", "--subject", "01", "--endpoint", localEndpoint()], env);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /On disk: +\S+\n +3 sessions \(ses-01, ses-02, ses-03\), 40 ROIs/);
    const none = await cli(["info", "--subject", "sub-07", "--endpoint", localEndpoint()], {
      XDG_CONFIG_HOME: await Deno.makeTempDir(),
    });
    assert.match(none.stdout, /On disk: +no data directory configured/);
    const out = `${data}/export`;
    const exp = await cli(
      ["export", "--subject", "sub-03", "--ses", "ses-01,ses-02", "--roi", "face", "--out", out],
      env,
    );
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /Wrote 2 partition\(s\), skipped 0/);
    assert.match(exp.stderr, /\[2\/2\] sub-03 ses-02/);
    await Deno.stat(`${out}/subject=sub-03/session=ses-02/part.parquet`);
    // Another ROI into the same folder is refused, naming --overwrite; with it, replaced.
    const other = [
      "export",
      "--subject",
      "sub-03",
      "--ses",
      "ses-01",
      "--roi",
      "FFA1",
      "--out",
      out,
    ];
    const refused = await cli(other, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /roi: "face" there, "FFA1" now.*--overwrite/);
    const replaced = await cli([...other, "--overwrite", "--quiet"], env);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /Wrote 1 partition\(s\), skipped 0/);
    assert.equal(await pathExists(`${out}/subject=sub-03/session=ses-02`), false);
    const bad = await cli(["export", "--subject", "sub-03", "--out", out, "--format", "csv"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unknown format "csv"/);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(xdg, { recursive: true });
  }
});

Deno.test("cli: with exactly the task's flags, every error is one line and exit 1", async () => {
  // Before: `export` without --out printed its line, then a NotCapable stack trace from reading
  // LAION_FMRI_DEBUG, which the task does not grant; unknown subjects exited 0.
  const home = await Deno.makeTempDir();
  try {
    const flags = taskCommand("cli", home).slice(0, -1); // without "cli.ts"
    const configured = await cli(["config", "--data-dir", home], {
      HOME: home,
      DENO_DIR: denoDir(),
    });
    assert.equal(configured.code, 0, configured.stderr);
    const cases: [string[], RegExp][] = [
      [["export", "--subject", "01"], /export needs --out DIR/],
      [["info", "--subject", "99"], /Unknown subject 'sub-99'\. Valid: \['sub-01'/],
      [["rois", "--subject", "02"], /Unknown subject 'sub-02'/],
      [["download", "--subject", "02", "--accept-license"], /Unknown subject 'sub-02'/],
      [["info", "--subject", "1"], /did you mean 'sub-01'/],
    ];
    for (const [args, pattern] of cases) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...flags, repoPath("cli.ts"), ...args],
        env: {
          NO_COLOR: "1",
          HOME: home,
          DENO_DIR: denoDir(),
          LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${args.join(" ")}: ${stderr}`);
      assert.deepEqual(stderr.trim().split("\n").length, 1, `one line: ${stderr}`);
      assert.match(stderr, pattern);
    }
    const debug = await new Deno.Command(Deno.execPath(), {
      args: [...flags, repoPath("cli.ts"), "--debug", "export", "--subject", "01"],
      env: { NO_COLOR: "1", HOME: home, DENO_DIR: denoDir() },
    }).output();
    assert.equal(debug.code, 1);
    assert.match(new TextDecoder().decode(debug.stderr), /export needs --out DIR\n[^]*at /);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
