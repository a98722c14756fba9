/**
 * What the realistic benchmarks share: running a command from the
 * repository root, and a bench-only RGW with a public-read bucket (own
 * ports and state folder, so the tests' RGW is left alone).
 * @module
 */
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { pathExists } from "../lib/core/fs.ts";
import { seedClient } from "../scripts/seed.ts";
import { currentKeys } from "../scripts/synth/current_keys.ts";
import { modelKey } from "../lib/subject/remote_model.ts";

/** The repository root. */
export const repo: string = new URL("..", import.meta.url).pathname;

/** Runs a command from the repository root; its stdout, trimmed. */
export async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, cwd: repo, stderr: "inherit" }).output();
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * Generates the realistic current-layout dataset into `dir` unless its
 * ground truth (`marker`, relative to `dir`) is there already.
 */
export async function ensureRealisticCurrent(dir: string, marker: string): Promise<void> {
  if (await pathExists(`${dir}/${marker}`)) return;
  console.log(`Generating the realistic current-layout dataset in ${dir} ...`);
  await run(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-ffi", // sharp encodes the stimulus JPEGs
    "scripts/generate.ts",
    "--layout",
    "current",
    "--size",
    "realistic",
    "--out",
    dir,
  ]);
}

/** A bench RGW: its state folder, ports and memstore size (scripts/local_s3.sh variables). */
export interface BenchRgw {
  dir: string;
  port: number;
  monPort: number;
  memstoreGiB: number;
}

function env(rgw: BenchRgw): Record<string, string> {
  return {
    LAION_FMRI_RGW_DIR: rgw.dir,
    LAION_FMRI_RGW_PORT: String(rgw.port),
    LAION_FMRI_RGW_MON_PORT: String(rgw.monPort),
    LAION_FMRI_RGW_MEMSTORE_BYTES: String(rgw.memstoreGiB * 2 ** 30),
  };
}

/**
 * Starts the RGW and makes `bucket` anonymously readable and listable, as
 * the real bucket is; returns its endpoint and a seeding client.
 */
export async function startBenchRgw(
  rgw: BenchRgw,
  bucket: string,
): Promise<{ endpoint: string; s3: S3Client }> {
  const endpoint = await run("bash", ["scripts/local_s3.sh", "start"], env(rgw));
  const s3 = seedClient(endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject", "s3:ListBucket"],
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        }],
      }),
    }),
  );
  return { endpoint, s3 };
}

/** Stops the RGW and removes its state (errors ignored: it may be stopped already). */
export async function stopBenchRgw(rgw: BenchRgw): Promise<void> {
  await run("bash", ["scripts/local_s3.sh", "stop"], env(rgw)).catch(() => {});
}

/** The bucket key of a session's trial table. */
export function trialsKey(subject: string, session: string): string {
  return `derivatives/glmsingle-tedana/${subject}/${session}/func/` +
    `${subject}_${session}_task-images_desc-SingletrialBetas_trials.tsv`;
}

/**
 * Uploads the generated file `from` (a key under `bucketDir`, the dataset's `bucket/` folder) as
 * `key` (the same key by default), in one PUT.
 */
export async function putGenerated(
  s3: S3Client,
  bucket: string,
  bucketDir: string,
  key: string,
  from: string = key,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: await Deno.readFile(`${bucketDir}/${from}`),
    }),
  );
}

/**
 * Uploads `subject`'s ses-01 GLMsingle model file and trial table under the
 * keys of each of `sessions` (the realistic profile has one session: the
 * copies make N sessions to read), and its `res-1pt8` brain mask and T1w.
 * `bucketDir` is the generated dataset's `bucket/` folder.
 */
export async function uploadSessionCopies(
  s3: S3Client,
  bucket: string,
  bucketDir: string,
  subject: string,
  sessions: readonly string[],
): Promise<void> {
  const put = (key: string, from = key) => putGenerated(s3, bucket, bucketDir, key, from);
  for (const ses of sessions) {
    await put(modelKey(subject, ses), modelKey(subject, "ses-01"));
    await put(trialsKey(subject, ses), trialsKey(subject, "ses-01"));
  }
  for (const suffix of ["mask", "T1w"] as const) {
    await put(
      currentKeys.anatomical(subject, {
        res: "1pt8",
        desc: suffix === "mask" ? "brain" : undefined,
        suffix,
      }),
    );
  }
}
