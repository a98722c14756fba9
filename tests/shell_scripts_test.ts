// What the shell scripts share (scripts/_apt.sh, scripts/_daemon.sh) and with_local_s3.sh's
// options, run for real in bash: a fake apt-get records what would be installed.
import assert from "node:assert/strict";
import { repoPath } from "./_helpers.ts";

async function bash(script: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: repoPath(""),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("ensure_debs: apt-get update once per run (child scripts too), the dpkg lock timeout always, installed packages skipped", async () => {
  const bin = await Deno.makeTempDir({ prefix: "fake-apt-" });
  try {
    // apt-get logs its arguments; dpkg-query knows only `have`; id says root.
    await Deno.writeTextFile(`${bin}/apt-get`, `#!/bin/sh\necho "$*" >> ${bin}/log\n`);
    await Deno.writeTextFile(
      `${bin}/dpkg-query`,
      '#!/bin/sh\nfor a; do last="$a"; done\n[ "$last" = have ] && printf "install ok installed"\n' +
        "exit 0\n",
    );
    await Deno.writeTextFile(`${bin}/id`, "#!/bin/sh\necho 0\n");
    for (const f of ["apt-get", "dpkg-query", "id"]) await Deno.chmod(`${bin}/${f}`, 0o755);
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, LAION_FMRI_APT_UPDATED: "" };
    const r = await bash(
      "source scripts/_apt.sh && ensure_debs a have && ensure_debs have && ensure_debs b && " +
        'bash -c "source scripts/_apt.sh && ensure_debs c"',
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const log = (await Deno.readTextFile(`${bin}/log`)).trim().split("\n");
    assert.deepEqual(log, [
      "update -qq -o DPkg::Lock::Timeout=300",
      "install -y -qq -o DPkg::Lock::Timeout=300 a",
      "install -y -qq -o DPkg::Lock::Timeout=300 b",
      "install -y -qq -o DPkg::Lock::Timeout=300 c",
    ]);
    // Not root: the command to run, and a failure.
    await Deno.writeTextFile(`${bin}/id`, "#!/bin/sh\necho 1000\n");
    const user = await bash("source scripts/_apt.sh && ensure_debs procps", env);
    assert.equal(user.code, 1);
    assert.match(user.stderr, /missing Debian packages: procps .*sudo apt-get install -y procps/);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("apt is handled in scripts/_apt.sh only; with_local_s3.sh asks for procps (ps) itself", async () => {
  for await (const e of Deno.readDir(repoPath("scripts"))) {
    if (!e.name.endsWith(".sh") || e.name === "_apt.sh") continue;
    const text = await Deno.readTextFile(repoPath(`scripts/${e.name}`));
    assert.doesNotMatch(text, /^\s*[^#\n]*\bapt-get (update|install)/m, e.name);
  }
  const wrapper = await Deno.readTextFile(repoPath("scripts/with_local_s3.sh"));
  assert.match(wrapper, /command -v ps >\/dev\/null \|\| debs\+=\(procps\)/);
});

Deno.test("_daemon.sh: daemon_stop signals only a process with our mark on its command line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "daemon-" });
  try {
    const mark = `${dir}/our.conf`;
    // Two sleepers: one started "with our config", one not (a pid reused by someone else).
    const r = await bash(
      `set -e
      log() { echo "$*" >&2; }
      fail() { echo "$*" >&2; exit 1; }
      source scripts/_daemon.sh
      (exec -a "ourdaemon -c ${mark}" sleep 60) & ours=$!
      sleep 60 & theirs=$!
      echo $ours > ${dir}/ours.pid
      echo $theirs > ${dir}/theirs.pid
      sleep 0.2
      [ "$(daemon_pid ${dir}/ours.pid ${mark})" = "$ours" ]
      ! daemon_pid ${dir}/theirs.pid ${mark}
      daemon_stop theirs ${dir}/theirs.pid ${mark}
      daemon_stop ours ${dir}/ours.pid ${mark}
      kill -0 $theirs
      ! pid_is_ours $ours ${mark}
      kill $theirs
      echo done`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    assert.match(r.stderr, /stopping ours \(pid \d+\)/);
    assert.doesNotMatch(r.stderr, /stopping theirs/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with_local_s3.sh --buckets: names the valid buckets; --access needs laion-fmri-current", async () => {
  // (--no-server: the options are checked before anything is set up, and nothing starts anyway)
  const bad = await bash(
    "bash scripts/with_local_s3.sh --no-server --buckets laion-fmri,nope true",
  );
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /no bucket 'nope' \(valid: laion-fmri laion-fmri-pagination laion-fmri-current templateflow\)/,
  );
  const access = await bash(
    "bash scripts/with_local_s3.sh --no-server --buckets laion-fmri --access true",
  );
  assert.equal(access.code, 2);
  assert.match(access.stderr, /add laion-fmri-current to --buckets/);
  const unknown = await bash("bash scripts/with_local_s3.sh --no-server --minimal true");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option --minimal \(valid: --no-server, --buckets LIST/);
});
