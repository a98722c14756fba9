/**
 * The real single-node Slurm of scripts/slurm.sh for the job-array tests: started (and its
 * Debian packages installed, as root) on first use, left running for the next test file
 * (CI=true: stopped by {@linkcode stopSlurmInCi}), and thin wrappers around its clients.
 */
import { repoPath } from "./_helpers.ts";

let conf: string | undefined;

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout).trim();
}

/** SLURM_CONF of the running cluster (started on first call). */
export async function slurmConf(): Promise<string> {
  conf ??= (await run("bash", [repoPath("scripts/slurm.sh"), "start"])).split("\n").at(-1)!;
  return conf;
}

/** Runs a Slurm client (`sbatch`, `squeue`, `scancel`, `scontrol`) against our cluster. */
export async function slurm(cmd: string, ...args: string[]): Promise<string> {
  return run(cmd, args, { SLURM_CONF: await slurmConf() });
}

/** Array index -> state (`PENDING`, `RUNNING`, …) of the tasks of `jobId` still in the queue. */
export async function arrayTasks(jobId: string): Promise<Map<number, string>> {
  const out = await slurm("squeue", "-h", "-r", "-j", jobId, "-o", "%K %T");
  const tasks = new Map<number, string>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [k, state] = line.trim().split(/\s+/);
    tasks.set(Number(k), state);
  }
  return tasks;
}

/** The final state of one array task (`COMPLETED`, `CANCELLED`, `FAILED`, …). */
export async function taskState(jobId: string, index: number): Promise<string> {
  const out = await slurm("scontrol", "-o", "show", "job", `${jobId}_${index}`);
  return out.match(/JobState=(\S+)/)?.[1] ?? "UNKNOWN";
}

/** Waits until no task of `jobId` is queued or running. */
export async function waitForJob(jobId: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await arrayTasks(jobId)).size > 0) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} still queued after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Under CI=true, stops the cluster (as with_local_s3.sh stops the S3). */
export async function stopSlurmInCi(): Promise<void> {
  if (Deno.env.get("CI") === "true" && conf) {
    await run("bash", [repoPath("scripts/slurm.sh"), "stop"]);
    conf = undefined;
  }
}
