/**
 * Speed of the query tour against the local RGW.
 *
 *   bash scripts/with_local_s3.sh deno run --allow-net=127.0.0.1 --allow-env --allow-read \
 *     --allow-write=laion_fmri_quickstart --allow-run bench/tour_bench.ts
 *
 * Measured, side by side in one run:
 * - ours: `examples/querying.ts` as a subprocess (its own timer starts after module load, so the
 *   figure is the tour's work, not Deno's start-up), 5 runs;
 * - reference: the same discovery calls made the way upstream makes them (one listing per call,
 *   no cache, one after another), in this process, 5 runs;
 * - upstream's published run of the same tour: 42.04 s (against the real bucket, AWS CLI).
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { ROI_CATEGORIES } from "../mod.ts";
import { ROIS_PREFIX, SUBJECT_PREFIXES } from "../lib/core/constants.ts";
import { S3Source } from "../lib/bucket/mod.ts";

const endpoint = Deno.env.get("LAION_FMRI_S3_ENDPOINT");
if (!endpoint) throw new Error("Set LAION_FMRI_S3_ENDPOINT (run through scripts/with_local_s3.sh)");
const example = fromFileUrl(new URL("../examples/querying.ts", import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function oursOnce(): Promise<{ ms: number; requests: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-write=laion_fmri_quickstart",
      example,
      "--stats",
    ],
    env: { LAION_FMRI_S3_ENDPOINT: endpoint!, NO_COLOR: "1" },
    stdout: "null",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  const m = err.match(/tour: (\d+) ms, S3 requests: (\d+) list, (\d+) head, (\d+) get/);
  if (out.code !== 0 || !m) throw new Error(`tour failed: ${err}`);
  return { ms: Number(m[1]), requests: Number(m[2]) + Number(m[3]) + Number(m[4]) };
}

/** Upstream's call pattern: every discovery call lists again, sequentially. */
async function upstreamPatternOnce(): Promise<{ ms: number; requests: number }> {
  const s3 = new S3Source({ endpoint });
  const t0 = performance.now();
  const subjects = async () => {
    const names = new Set<string>();
    for (const p of SUBJECT_PREFIXES) {
      for (const c of (await s3.list(p, { delimiter: "/" })).commonPrefixes) names.add(c);
    }
    return [...names];
  };
  const rois = (sub: string) => s3.list(`${ROIS_PREFIX}${sub}/`);
  await subjects(); // describe(): get_subjects
  await rois("sub-01"); // describe(): get_rois(first)
  await subjects(); // print(get_subjects())
  await rois("sub-01"); // len(get_rois(SUBJECT))
  await rois("sub-01"); // print(get_rois(SUBJECT))
  for (const _ of ROI_CATEGORIES) await rois("sub-01");
  await s3.list("", { delimiter: "/" }); // inspect_bucket
  for (const p of SUBJECT_PREFIXES) await s3.list(p, { delimiter: "/" });
  const all = ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"];
  await subjects(); // cross-subject loop
  for (const sub of all) {
    await rois(sub);
    await rois(sub);
  }
  const ms = performance.now() - t0;
  return { ms, requests: s3.stats.list };
}

const RUNS = 5;
const ours: { ms: number; requests: number }[] = [];
const reference: { ms: number; requests: number }[] = [];
await oursOnce(); // warm the module cache and the server
for (let i = 0; i < RUNS; i++) {
  ours.push(await oursOnce());
  reference.push(await upstreamPatternOnce());
}
const o = median(ours.map((r) => r.ms));
const r = median(reference.map((x) => x.ms));
console.log("Query tour against the local RGW (median of 5 runs)");
console.log(
  `  ours (cached, concurrent listings):   ${o.toFixed(0)} ms, ${ours[0].requests} requests`,
);
console.log(
  `  upstream call pattern (no cache):     ${r.toFixed(0)} ms, ${reference[0].requests} requests`,
);
console.log(`  upstream's published run (real S3):   42040 ms`);
console.log(`  ratio upstream-pattern / ours:        ${(r / o).toFixed(1)}x`);
console.log(`  ratio published / ours:               ${(42040 / o).toFixed(0)}x`);
console.log(
  `  goal: <= 12 requests and < 1500 ms -> ${
    ours[0].requests <= 12 && o < 1500 ? "met" : "NOT met"
  }`,
);
