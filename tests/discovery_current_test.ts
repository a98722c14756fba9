// Discovery on the current layout (bucket `laion-fmri-current`), the
// configurable bucket name (option, env variable, CLI flag) and layout
// detection. Expected texts are built from upstream's f-strings and the
// generator's tree on disk, not from our own output.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, getSubjects, getSubjectSessions, inspectBucket } from "../mod.ts";
import { getBucketLayout } from "../lib/bucket/mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { CURRENT_SUBJECT_PREFIXES, SUBJECT_PREFIXES } from "../lib/core/constants.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { localEndpoint, repoPath } from "./_helpers.ts";

function currentDir(): string {
  const dir = Deno.env.get("LAION_FMRI_SYNTH_CURRENT_DIR");
  if (!dir) throw new Error("LAION_FMRI_SYNTH_CURRENT_DIR is not set: run via with_local_s3.sh");
  return dir;
}

function current() {
  return new CachedSource(new S3Source({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET }));
}

function seed() {
  return new CachedSource(new S3Source({ endpoint: localEndpoint() }));
}

/** Sorted folder names of the generated bucket tree under `prefix` (S3 common prefixes). */
function foldersOnDisk(prefix: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(join(currentDir(), "bucket", prefix))) {
      if (e.isDirectory) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

const SUBJECTS = ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"];

Deno.test("layout: detected from the root listing, seed and current", async () => {
  assert.equal(await getBucketLayout({ source: seed() }), "seed");
  assert.equal(await getBucketLayout({ source: current() }), "current");
  assert.equal(await getBucketLayout({ source: seed(), layout: "current" }), "current");
  await assert.rejects(
    () => getBucketLayout({ source: seed(), layout: "newest" as "seed" }),
    RangeError,
  );
});

Deno.test("getSubjects on the current layout lists upstream's six probes", async () => {
  const s = current();
  assert.deepEqual(await getSubjects({ source: s }), SUBJECTS);
  // Each of the six probes was listed, the raw BIDS root included.
  const inner = s.inner as S3Source;
  const before = inner.stats.list;
  for (const p of CURRENT_SUBJECT_PREFIXES) await s.list(p, { delimiter: "/" });
  assert.equal(inner.stats.list, before, "all six probes already cached");
  // The seed's two probes alone, when the seed layout is asked for.
  assert.deepEqual(await getSubjects({ source: current(), layout: "seed" }), SUBJECTS);
});

Deno.test("inspectBucket on the current layout prints what upstream prints", async () => {
  // Upstream (discovery.py c621024):
  //   print(f"Bucket: s3://{BUCKET}")
  //   print(f"Top-level prefixes ({len(top)}):"); for p in sorted(top): print(f"  {p}/")
  //   label = _SUBJECT_PREFIX_LABELS.get(prefix, prefix)
  //   print(f"{label}: {len(entries)} entries, {n_sub} sub-* entries")
  const labels: Record<string, string> = { "": "sub-*/  (raw BIDS root)" };
  const root = foldersOnDisk("");
  const expected = [
    `Bucket: s3://${CURRENT_BUCKET}`,
    `Top-level prefixes (${root.length}):`,
    ...root.map((p) => `  ${p}/`),
    ...CURRENT_SUBJECT_PREFIXES.map((prefix) => {
      const entries = foldersOnDisk(prefix);
      const subs = entries.filter((e) => e.startsWith("sub-")).length;
      return `${labels[prefix] ?? prefix}: ${entries.length} entries, ${subs} sub-* entries`;
    }),
  ].join("\n");
  assert.equal(await inspectBucket({ source: current(), print: false }), expected);
  assert.match(expected, /^sub-\*\/ {2}\(raw BIDS root\): 7 entries, 5 sub-\* entries$/m);
  assert.match(expected, /^derivatives\/localizers\/: 5 entries, 5 sub-\* entries$/m);
  // The seed layout, asked for on the same bucket: the seed's two probe lines.
  const asSeed = await inspectBucket({ source: current(), layout: "seed", print: false });
  assert.deepEqual(
    asSeed.split("\n").slice(-2).map((l) => l.split(":")[0]),
    [...SUBJECT_PREFIXES],
  );
});

Deno.test("describe on the current layout names the bucket, subjects and res-1pt8 ROIs", async () => {
  const rois = new Set<string>();
  for (const category of foldersOnDisk("derivatives/rois/sub-01")) {
    for (
      const f of Deno.readDirSync(join(currentDir(), "bucket/derivatives/rois/sub-01", category))
    ) {
      const m = f.name.match(/^sub-01_space-T1w_res-1pt8_label-(.+)_mask\.nii\.gz$/);
      if (m) rois.add(m[1].replaceAll("-", ""));
    }
  }
  assert.ok(rois.size > 0);
  assert.equal(
    await describe({ source: current(), print: false }),
    [
      "LAION-fMRI Dataset",
      `  Bucket:    s3://${CURRENT_BUCKET}`,
      `  Subjects:  5 (${SUBJECTS.join(", ")})`,
      `  ROIs:      ${[...rois].sort().join(", ")}`,
    ].join("\n"),
  );
});

Deno.test("getSubjectSessions: ses-31 betas held out, its oloc maps public (current layout only)", async () => {
  const cur = await getSubjectSessions("sub-01", { source: current() });
  assert.deepEqual(cur.public, ["ses-01", "ses-02", "ses-03"]);
  assert.deepEqual(cur.heldOut, ["ses-31", "ses-32", "ses-33", "ses-34"]);
  assert.deepEqual(cur.heldOutWithPublicMaps, ["ses-31"]);
  const old = await getSubjectSessions("sub-01", { source: seed() });
  assert.deepEqual(old.heldOutWithPublicMaps, []);
  assert.deepEqual(old.heldOut, ["ses-31", "ses-32", "ses-33", "ses-34"]);
});

async function cli(args: string[], env: Record<string, string>, allowEnv = "--allow-env") {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      allowEnv,
      "--allow-read",
      repoPath("cli.ts"),
      ...args,
    ],
    env: { NO_COLOR: "1", LAION_FMRI_S3_ENDPOINT: localEndpoint(), ...env },
    clearEnv: true,
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("bucket name: --bucket, LAION_FMRI_BUCKET, default laion-fmri; messages name it", async () => {
  const byFlag = await cli(["inspect", "--bucket", CURRENT_BUCKET], {});
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.match(byFlag.stdout, /^Bucket: s3:\/\/laion-fmri-current\n/);
  assert.match(byFlag.stdout, /^sub-\*\/ {2}\(raw BIDS root\): /m);
  const byEnv = await cli(["info"], { LAION_FMRI_BUCKET: CURRENT_BUCKET });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  assert.match(byEnv.stdout, /Bucket: {4}s3:\/\/laion-fmri-current\n/);
  const flagWins = await cli(["inspect", "--bucket", "laion-fmri"], {
    LAION_FMRI_BUCKET: CURRENT_BUCKET,
  });
  assert.match(flagWins.stdout, /^Bucket: s3:\/\/laion-fmri\nTop-level prefixes \(1\):/);
  const info = await cli(["info", "--subject", "01", "--bucket", CURRENT_BUCKET], {});
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /public localizer maps of held-out ses-31 \(oloc\)/);
  const bad = await cli(["subjects", "--bucket", "Not_A_Bucket"], {});
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^laion-fmri: error: Invalid bucket name "Not_A_Bucket"/);
  // An unknown bucket is an error naming it, never the default bucket's answer.
  const missing = await cli(["subjects", "--bucket", "laion-fmri-nothere"], {});
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /laion-fmri-nothere/);
});

Deno.test("an unpermitted LAION_FMRI_BUCKET is an error naming it, never read as unset", async () => {
  const r = await cli(
    ["subjects"],
    { LAION_FMRI_BUCKET: CURRENT_BUCKET },
    "--allow-env=LAION_FMRI_S3_ENDPOINT,AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA," +
      "AWS_LAMBDA_BENCHMARK_MODE,AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /LAION_FMRI_BUCKET.*--allow-env=[A-Z_,]*LAION_FMRI_BUCKET/);
});
