/**
 * scripts/slurm.sh, the single-node Slurm of the job-array tests, on its own state folder and
 * ports (beside the cluster the other tests share): start is idempotent, status tells, and stop
 * cancels a running job and leaves no daemon, batch step or job script of it behind.
 */
import assert from "node:assert/strict";
import { repoPath } from "./_helpers.ts";

async function sh(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command("bash", {
    args: [repoPath("scripts/slurm.sh"), ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout).trim(),
    stderr: text.decode(out.stderr),
  };
}

/** Live (non-zombie) processes whose command line mentions `needle` (by `ps`: Deno keeps /proc). */
async function processesWith(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l));
}

Deno.test("scripts/slurm.sh: idempotent start, status, and a stop that cancels running jobs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "laion-slurm-" });
  await Deno.remove(dir);
  const env = { LAION_FMRI_SLURM_DIR: dir, LAION_FMRI_SLURM_PORT: "7827" };
  try {
    assert.equal((await sh(env, "status")).code, 1);
    const first = await sh(env, "start");
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${dir}/slurm.conf`);
    const again = await sh(env, "start");
    assert.equal(again.stdout, first.stdout);
    assert.match(again.stderr, /already running/);
    assert.equal((await sh(env, "status")).stdout, first.stdout);
    const conf = await Deno.readTextFile(first.stdout);
    for (
      const line of [
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
      ]
    ) assert.ok(conf.includes(line), line);

    const run = (cmd: string, ...args: string[]) =>
      new Deno.Command(cmd, { args, env: { SLURM_CONF: first.stdout }, stdout: "piped" }).output()
        .then((o) => new TextDecoder().decode(o.stdout).trim());
    const job = await run(
      "sbatch",
      "--parsable",
      "--mem=50M",
      "-o",
      "/dev/null",
      "--wrap",
      "sleep 300",
    );
    const deadline = Date.now() + 30_000;
    while ((await run("squeue", "-h", "-j", job, "-o", "%T")) !== "RUNNING") {
      assert.ok(Date.now() < deadline, `job ${job} never ran`);
      await new Promise((r) => setTimeout(r, 100));
    }
    while ((await processesWith(`${dir}/spool`)).length === 0) {
      assert.ok(Date.now() < deadline, `job ${job}'s script never started`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const stop = await sh(env, "stop");
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, new RegExp(`cancelling jobs ${job}`));
    assert.equal((await sh(env, "status")).code, 1);
    assert.deepEqual(await processesWith(dir), []);
    assert.equal(await Deno.stat(dir).catch(() => null), null);
  } finally {
    await sh(env, "stop");
    await Deno.remove(`${dir}.lock`).catch(() => {});
  }
});
