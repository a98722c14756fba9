/**
 * Benchmark: `download()` versus Debian's AWS CLI on the same keys, against
 * the local RGW holding a realistic-size session (sub-01/ses-01, ~1.25 GB),
 * plus an interrupted-at-half download and its resume.
 *
 * ```sh
 * apt-get install -y awscli
 * bash scripts/with_local_s3.sh deno run --allow-net=127.0.0.1 --allow-env --allow-read \
 *   --allow-write --allow-run bench/download_bench.ts [--data /tmp/laion-dl-bench-realistic] \
 *   [--bucket laion-fmri-bench] [--reps 2] [--aws /usr/bin/aws]
 * ```
 *
 * Generates the realistic dataset when missing (`scripts/generate.ts --size
 * realistic --subjects sub-01 --sessions ses-01`) and seeds it into its own
 * bucket (so the small test bucket `laion-fmri` is untouched). Both tools
 * download the keys of `download({ subject: "01", ses: "01" })` into a fresh
 * folder on the same disk, alternately; the best of `--reps` runs counts.
 *
 * Last figures (2 vCPUs shared with RGW and other jobs, load average 3-6, so
 * +-15% between runs; 208 keys, 1250.6 MB, the largest 1247.5 MB):
 * download() 202.3 MB/s, aws s3 cp 194.4 MB/s, ratio 1.04. download()
 * verifies every MD5 (the AWS CLI does not for ranged downloads). Interrupted
 * at 51.0%, the resumed run transferred 49.0% of the bytes (goal <= 55%: met).
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { download, setWarningHandler } from "../mod.ts";
import { planDownload } from "../lib/download/mod.ts";
import { S3Source } from "../lib/bucket/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string", default: "/tmp/laion-dl-bench-realistic" },
    bucket: { type: "string", default: "laion-fmri-bench" },
    reps: { type: "string", default: "2" },
    aws: { type: "string", default: "/usr/bin/aws" },
    endpoint: { type: "string" },
  },
});
const endpoint: string = values.endpoint ?? Deno.env.get("LAION_FMRI_S3_ENDPOINT") ?? "";
if (!endpoint) throw new Error("set LAION_FMRI_S3_ENDPOINT (run through scripts/with_local_s3.sh)");
const repo = new URL("../", import.meta.url).pathname;
const reps = Math.max(1, Number(values.reps));

async function run(cmd: string, args: string[], quiet = true): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: quiet ? "null" : "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} ... failed (${out.code})`);
  }
}

// 1. the realistic dataset, seeded into its own bucket
const bucketDir = join(values.data, "bucket");
if (!(await Deno.stat(bucketDir).then(() => true, () => false))) {
  console.error(`generating the realistic dataset in ${values.data} ...`);
  await run(Deno.execPath(), [
    "run",
    "--allow-read",
    `--allow-write=${values.data}`,
    "--allow-env",
    join(repo, "scripts/generate.ts"),
    "--size",
    "realistic",
    "--subjects",
    "sub-01",
    "--sessions",
    "ses-01",
    "--out",
    values.data,
    "--quiet",
  ]);
}
await run(Deno.execPath(), [
  "run",
  "--allow-read",
  "--allow-write=/tmp",
  "--allow-net=127.0.0.1",
  "--allow-env",
  join(repo, "scripts/seed.ts"),
  "--endpoint",
  endpoint,
  "--from",
  bucketDir,
  "--bucket",
  values.bucket,
]);

// 2. the keys of one subject's session
setWarningHandler(() => {});
const source = new S3Source({ endpoint, bucket: values.bucket });
const scratch = await Deno.makeTempDir({ prefix: "laion-dl-bench-" });
const plan = await planDownload({ subject: "01", ses: "01", dataDir: scratch, source });
const keys = plan.files.map((f) => f.key);
const total = plan.files.reduce((n, f) => n + f.size, 0);
console.log(
  `keys: ${keys.length} (${(total / 1e6).toFixed(1)} MB; largest ${
    (Math.max(...plan.files.map((f) => f.size)) / 1e6).toFixed(1)
  } MB), endpoint ${endpoint}, bucket ${values.bucket}`,
);

async function fresh(name: string): Promise<string> {
  const dir = join(scratch, name);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

async function ours(): Promise<number> {
  const dataDir = await fresh("ours");
  const s = new S3Source({ endpoint, bucket: values.bucket });
  const t = performance.now();
  const summary = await download({
    subject: "01",
    ses: "01",
    dataDir,
    source: s,
    acceptLicense: true,
    quiet: true,
  });
  const sec = (performance.now() - t) / 1000;
  if (summary.failures.length || summary.downloaded !== keys.length) {
    throw new Error(`download incomplete: ${JSON.stringify(summary.failures)}`);
  }
  return sec;
}

async function aws(): Promise<number> {
  const dir = await fresh("aws");
  const include = keys.flatMap((k) => ["--include", k]);
  const t = performance.now();
  await run(values.aws, [
    "s3",
    "cp",
    "--recursive",
    "--no-sign-request",
    "--only-show-errors",
    "--endpoint-url",
    endpoint,
    `s3://${values.bucket}/`,
    dir,
    "--exclude",
    "*",
    ...include,
  ]);
  const sec = (performance.now() - t) / 1000;
  for (const f of plan.files) {
    const size = (await Deno.stat(join(dir, f.key))).size;
    if (size !== f.size) throw new Error(`aws: ${f.key} has ${size} bytes, want ${f.size}`);
  }
  return sec;
}

// 3. alternate the tools; best of reps
const times = { ours: [] as number[], aws: [] as number[] };
const haveAws = await Deno.stat(values.aws).then(() => true, () => false);
for (let i = 0; i < reps; i++) {
  times.ours.push(await ours());
  if (haveAws) times.aws.push(await aws());
  else if (i === 0) console.log(`(no AWS CLI at ${values.aws}: apt-get install -y awscli)`);
}
const mbps = (sec: number) => total / 1e6 / sec;
const best = (xs: number[]) => Math.min(...xs);
console.log(
  `download():  ${mbps(best(times.ours)).toFixed(1)} MB/s (best of ${reps}: ${
    times.ours.map((t) => t.toFixed(2)).join(", ")
  } s)`,
);
if (haveAws) {
  console.log(
    `aws s3 cp:   ${mbps(best(times.aws)).toFixed(1)} MB/s (best of ${reps}: ${
      times.aws.map((t) => t.toFixed(2)).join(", ")
    } s)`,
  );
  console.log(`ratio download()/aws: ${(best(times.aws) / best(times.ours)).toFixed(2)}`);
}

// 4. interrupt at about half of the bytes, then resume
{
  const dataDir = await fresh("resume");
  const s = new S3Source({ endpoint, bucket: values.bucket });
  const abort = new AbortController();
  let atAbort = 0;
  await download({
    subject: "01",
    ses: "01",
    dataDir,
    source: s,
    acceptLicense: true,
    quiet: true,
    signal: abort.signal,
    onProgress: (p) => {
      if (!abort.signal.aborted && p.receivedBytes >= total / 2) {
        atAbort = p.receivedBytes;
        abort.abort(new DOMException("benchmark interrupt", "AbortError"));
      }
    },
  }).then(
    () => console.log("(download finished before the interrupt)"),
    (e) => {
      if ((e as Error)?.name !== "AbortError") throw e;
    },
  );
  const t = performance.now();
  const resumed = await download({
    subject: "01",
    ses: "01",
    dataDir,
    source: s,
    acceptLicense: true,
    quiet: true,
  });
  const sec = (performance.now() - t) / 1000;
  console.log(
    `interrupted at ${(atAbort / total * 100).toFixed(1)}% of ${(total / 1e6).toFixed(1)} MB; ` +
      `the resumed run transferred ${(resumed.bytes / total * 100).toFixed(1)}% ` +
      `(${(resumed.bytes / 1e6).toFixed(1)} MB in ${sec.toFixed(2)} s; ${resumed.skipped} files ` +
      `skipped, ${resumed.resumed} resumed); goal <= 55%: ${
        resumed.bytes <= 0.55 * total ? "met" : "NOT met"
      }`,
  );
  if (resumed.failures.length) throw new Error(JSON.stringify(resumed.failures));
}
await Deno.remove(scratch, { recursive: true });
