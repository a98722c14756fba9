/**
 * Whole-brain voxelwise encoding as a job array (lib/jobs, `laion-fmri encode`) on the small
 * synthetic current-layout bucket, with a real Slurm (scripts/slurm.sh: slurmctld, slurmd,
 * munge): the whole array is submitted, one task is cancelled mid-run (`scancel`), merge names
 * it with the exact sbatch command, that command reruns it, and the merged maps equal the
 * single-process run over the same voxels bit for bit, scikit-learn's RidgeCV per voxel
 * (tests/reference/tutorial_ref.py) and the generator's planted voxels. A shard rerun after
 * success is a no-op; the index comes from each array contract's variable.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint, repoPath, synthCurrentDir } from "./_helpers.ts";
import { arrayTasks, slurm, slurmConf, stopSlurmInCi, taskState, waitForJob } from "./_slurm.ts";
import { FaultProxy } from "./fault_proxy.ts";
import {
  EncodingPlanConflictError,
  type EncodingPlanOptions,
  planEncodingJob,
  planPaths,
  readEncodingPlan,
  readPlanDecomposition,
  readPlanFeatures,
} from "../lib/jobs/encode_plan.ts";
import { voxelwiseDecomposition } from "../lib/jobs/voxelwise.ts";
import {
  encodeVoxelBlock,
  EncodingShardFailedError,
  finishedShard,
  readShardValues,
  runEncodingShard,
  SHARD_ARRAYS,
} from "../lib/jobs/encode_shard.ts";
import { EncodingShardsMissingError, mergeEncodingJob } from "../lib/jobs/encode_merge.ts";
import { arraySpec, shardIndex } from "../lib/jobs/shard_index.ts";
import { fitEncodingModel } from "../lib/analysis/encoding.ts";
import { readNiftiVolume } from "../lib/formats/nifti.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { gridIndices } from "../lib/subject/voxel_selection.ts";

const bits = (a: Float64Array) => new BigUint64Array(a.buffer, a.byteOffset, a.length);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Merged shards against a single-process run: reliability (plain TypeScript) bit for bit, the
 * same alphas, and r and the LOO score equal up to BLAS: OpenBLAS computes a column with its
 * full or its edge kernel depending on the block's width and thread count, which moves the
 * last bits (seen: about 1e-16).
 */
function sameWithinBlas(
  merged: Record<(typeof SHARD_ARRAYS)[number], Float64Array>,
  single: Record<(typeof SHARD_ARRAYS)[number], Float64Array>,
  what: string,
) {
  assert.deepEqual(bits(merged.reliability), bits(single.reliability), `${what}: reliability`);
  assert.deepEqual(bits(merged.alpha), bits(single.alpha), `${what}: alpha`);
  for (const k of ["r", "looScore"] as const) {
    let worst = 0, identical = 0;
    merged[k].forEach((x, i) => {
      const y = single[k][i];
      if (Object.is(x, y)) identical++;
      else worst = Math.max(worst, Math.abs(x - y)); // NaN on one side only: NaN, fails below
    });
    console.log(
      `${what}: ${k} bit-identical for ${identical}/${
        merged[k].length
      } voxels, max |diff| ${worst}`,
    );
    assert.ok(worst <= 1e-12, `${what}: ${k} differs by ${worst}`);
  }
}

async function tmpFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".tmp")) out.push(e.name);
  return out;
}

Deno.test("shard index: --index, then SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX", () => {
  const names = ["SLURM_ARRAY_TASK_ID", "AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"];
  const saved = names.map((n) => Deno.env.get(n));
  try {
    for (const n of names) Deno.env.delete(n);
    assert.throws(
      () => shardIndex(),
      (e) => e instanceof RangeError && names.every((n) => e.message.includes(n)),
    );
    Deno.env.set("JOB_COMPLETION_INDEX", "4");
    assert.deepEqual(shardIndex(), { index: 4, from: "JOB_COMPLETION_INDEX" });
    Deno.env.set("AWS_BATCH_JOB_ARRAY_INDEX", "2");
    assert.deepEqual(shardIndex(), { index: 2, from: "AWS_BATCH_JOB_ARRAY_INDEX" });
    Deno.env.set("SLURM_ARRAY_TASK_ID", "7");
    assert.deepEqual(shardIndex(), { index: 7, from: "SLURM_ARRAY_TASK_ID" });
    assert.deepEqual(shardIndex("0"), { index: 0, from: "--index" });
    assert.throws(() => shardIndex("-1"), /--index must be a non-negative integer, got "-1"/);
    assert.equal(arraySpec([9, 3, 4, 5, 7, 4]), "3-5,7,9");
    assert.equal(arraySpec([2]), "2");
  } finally {
    names.forEach((n, i) =>
      saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!)
    );
  }
});

Deno.test("encode on a real Slurm: array, scancel mid-run, rerun by merge's command, merged = single process = sklearn", async (t) => {
  await slurmConf(); // starts the cluster (installs slurm-wlm and munge when missing)
  const dataDir = await makeCurrentDataDir();
  const dir = await Deno.makeTempDir({ prefix: "laion-encode-" });
  // A throwaway TemplateFlow cache for merge.sbatch (the plan grants it; sbatch exports it).
  const templateHome = await Deno.makeTempDir({ prefix: "laion-encode-templateflow-" });
  const savedHome = Deno.env.get("TEMPLATEFLOW_HOME");
  Deno.env.set("TEMPLATEFLOW_HOME", templateHome);
  // Between the tasks and the S3: a proxy that adds latency, so a task is still running when
  // it is cancelled (the planning below runs without it).
  const proxy = new FaultProxy(localEndpoint(), CURRENT_BUCKET);
  // The plan: written once below, and again (unmeasured) to show it keeps its decomposition.
  const planOptions: EncodingPlanOptions = {
    subjects: ["sub-01"],
    model: "CLIP",
    shardSize: 100,
    outDir: dir,
    dataDir,
    remote: { endpoint: proxy.url, bucket: CURRENT_BUCKET },
  };
  try {
    // A planning process far bigger than a shard: the measured peak must be the shard's own
    // (Linux carries a parent's peak over fork + exec into getrusage's ru_maxrss).
    let ballast: Uint8Array | undefined = new Uint8Array(2 ** 30).fill(1);
    const plan = await planEncodingJob(planOptions);
    assert.equal(ballast.length, 2 ** 30);
    ballast = undefined;
    const s = plan.subjects[0];
    const nShards = Math.ceil(s.nVoxels / 100);
    assert.equal(plan.shards.length, nShards);
    assert.ok(nShards >= 4, `${nShards} shards`);
    assert.deepEqual(plan.shards.at(-1), {
      index: nShards - 1,
      subject: "sub-01",
      start: (nShards - 1) * 100,
      end: s.nVoxels,
    });
    // Shard 0 was run to measure the requests; the script asks for what it measured.
    assert.ok(await finishedShard(dir, plan, 0));
    const script = await Deno.readTextFile(planPaths.sbatch(dir));
    assert.match(script, new RegExp(`^#SBATCH --array=0-${nShards - 1}$`, "m"));
    assert.match(script, new RegExp(`^#SBATCH --mem=${plan.resources.memoryMiB}M$`, "m"));
    assert.ok(
      plan.resources.measuredPeakBytes! > 0 && plan.resources.measuredPeakBytes! <
          plan.resources.memoryMiB * 2 ** 20,
    );
    assert.ok(!script.includes("-A ") && !script.includes("--allow-all"));

    const victim = 2;
    let jobId = "";
    await t.step("the whole array; one task cancelled while it runs", async () => {
      proxy.latencyMs = 400;
      jobId = await slurm("sbatch", "--parsable", planPaths.sbatch(dir));
      // Cancelled once it is reading its rows: mid-run, not before it started.
      const victimLog = () => join(dir, "logs", `${jobId}_${victim}.out`);
      const deadline = Date.now() + 60_000;
      while (!(await Deno.readTextFile(victimLog()).catch(() => "")).includes("reading")) {
        assert.ok(Date.now() < deadline, `task ${victim} never started reading`);
        await sleep(20);
      }
      assert.equal((await arrayTasks(jobId)).get(victim), "RUNNING");
      await slurm("scancel", `${jobId}_${victim}`);
      await waitForJob(jobId);
      assert.equal(await taskState(jobId, victim), "CANCELLED");
      // The requests come from shard 0's own peak: like the tasks', not the planning process's.
      const peaks = await Promise.all(
        [1, 3].map(async (i) => (await finishedShard(dir, plan, i))!.peakRssBytes!),
      );
      const measured = plan.resources.measuredPeakBytes!;
      assert.ok(
        measured < 2 * Math.max(...peaks) && measured > Math.min(...peaks) / 2,
        `shard 0 measured ${measured} B, tasks peaked at ${peaks.join(", ")} B`,
      );
      for (const i of plan.shards.map((x) => x.index).filter((i) => i !== victim)) {
        assert.equal(await taskState(jobId, i), "COMPLETED", `task ${i}`);
        assert.ok(await finishedShard(dir, plan, i), `shard ${i} finished`);
      }
      // Killed mid-run: no result, nothing half-written.
      assert.equal(await finishedShard(dir, plan, victim), undefined);
      assert.deepEqual(await tmpFiles(join(dir, "shards")), []);
      const log = await Deno.readTextFile(join(dir, "logs", `${jobId}_${victim}.out`));
      assert.match(log, /shard 2\/\d+ \(sub-01 voxels 200-299\): reading 3 sessions/);
      assert.doesNotMatch(log, /: done in/);
      // Task 0's shard was done by the plan: its task found it and did nothing.
      assert.match(
        await Deno.readTextFile(join(dir, "logs", `${jobId}_0.out`)),
        /shard 0 \(from SLURM_ARRAY_TASK_ID\)[\s\S]*already done/,
      );
    });

    await t.step(
      "merge names the cancelled shard with the sbatch command that reruns it",
      async () => {
        const e = await mergeEncodingJob(dir).then(() => undefined, (e) => e);
        assert.ok(e instanceof EncodingShardsMissingError, String(e));
        assert.deepEqual(e.missing, [victim]);
        assert.equal(e.command, `sbatch --array=${victim} ${planPaths.sbatch(dir)}`);
        assert.ok(e.message.includes(e.command));
        // The command line says the same in its one error line, exit code 1, no maps written.
        const cli = async (...args: string[]) => {
          const out = await new Deno.Command(Deno.execPath(), {
            args: [...plan.command.slice(1), "encode", ...args],
            stdout: "piped",
            stderr: "piped",
          }).output();
          return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
        };
        const merge = await cli("merge", "--plan", dir);
        assert.equal(merge.code, 1);
        assert.ok(merge.stderr.includes(e.command), merge.stderr);
        assert.equal(await Deno.stat(planPaths.maps(dir)).catch(() => null), null);
        // Outside an array task and without --index, run names every way to give the index.
        const run = await cli("run", "--plan", dir);
        assert.equal(run.code, 1);
        assert.match(
          run.stderr,
          /pass --index N, or run as an array task that sets one of SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX/,
        );
        proxy.latencyMs = 0;
        const [cmd, ...args] = e.command.split(" ");
        const rerun = await slurm(cmd, "--parsable", ...args);
        await waitForJob(rerun);
        assert.equal(await taskState(rerun, victim), "COMPLETED");
        assert.ok(await finishedShard(dir, plan, victim));
      },
    );

    await t.step(
      "merge.sbatch after the array (afterany): the maps, fsaverage maps and pictures on a node",
      async () => {
        const script = await Deno.readTextFile(planPaths.mergeSbatch(dir));
        assert.match(script, /^#SBATCH --job-name=laion-encode-CLIP-merge$/m);
        assert.ok(script.includes(`--dependency=afterany:$job ${planPaths.mergeSbatch(dir)}`));
        assert.ok(!script.includes("--allow-all") && !script.includes(" -A "), script);
        assert.ok(!script.includes("--fsaverage none"), script);
        assert.equal(plan.merge?.fsaverage, true);
        assert.ok(plan.merge.command.some((a) => a.includes(templateHome)), "the cache's grant");
        const job = await slurm(
          "sbatch",
          "--parsable",
          `--dependency=afterany:${jobId}`,
          planPaths.mergeSbatch(dir),
        );
        await waitForJob(job, 300_000);
        const log = await Deno.readTextFile(join(dir, "logs", `merge_${job}.out`));
        const state = (await slurm("scontrol", "-o", "show", "job", job)).match(/JobState=(\S+)/);
        assert.equal(state?.[1], "COMPLETED", log);
        assert.match(log, /maps on fsaverage5/);
        for (
          const file of [
            "sub-01_task-images_space-T1w_model-CLIP_stat-r_statmap.nii.gz",
            "voxelwise_model-CLIP.parquet",
            "sub-01_model-CLIP_stat-r_statMap.png",
            "sub-01_model-CLIP_stat-r_surface.png",
          ]
        ) {
          assert.ok(log.includes(join(dir, "maps", file)), `${file} in the log:\n${log}`);
          assert.ok((await Deno.stat(join(dir, "maps", file))).size > 0, file);
        }
        assert.ok(
          [...Deno.readDirSync(join(dir, "maps"))].some((e) => e.name.endsWith(".func.gii")),
        );
      },
    );

    // fsaverage maps are tests/encode_maps_test.ts's (with a throwaway template cache; the
    // default cache is the user's ~/.cache)
    const merged = await mergeEncodingJob(dir, { fsaverage: false });
    const m = merged.subjects[0];
    const single = await encodeVoxelBlock(dir, await readEncodingPlan(dir), s, 0, s.nVoxels);
    const features = await readPlanFeatures(dir, s);

    await t.step(
      "merged maps equal single-process runs over the same voxels (bit for bit up to BLAS)",
      async () => {
        assert.equal(single.fit.fitted, m.fitted);
        assert.ok(m.fitted > s.nVoxels * 0.9, `${m.fitted} of ${s.nVoxels} fitted`);
        // In this process, where OpenBLAS runs on every core.
        sameWithinBlas(m.values, single.fit, "this process");
        // The same job as ONE shard of every voxel, run as a task runs (own process, 1 thread).
        const whole = await Deno.makeTempDir({ prefix: "laion-encode-whole-" });
        try {
          const one = await planEncodingJob({
            subjects: ["sub-01"],
            model: "CLIP",
            shardSize: s.nVoxels,
            outDir: whole,
            dataDir,
            remote: { endpoint: proxy.url, bucket: CURRENT_BUCKET },
          });
          assert.equal(one.shards.length, 1);
          sameWithinBlas(m.values, await readShardValues(whole, 0), "one task of every voxel");
        } finally {
          await Deno.remove(whole, { recursive: true });
        }
      },
    );

    await t.step(
      "the tutorial's fitEncodingModel gives the same alpha and r on its reliable voxels",
      async () => {
        const fit = await fitEncodingModel(single.averages, features);
        assert.ok(fit.voxels.length >= 3);
        fit.voxels.forEach((v, c) => {
          assert.equal(m.values.alpha[v], fit.ridge.bestAlpha[c], `alpha of voxel ${v}`);
          assert.ok(Math.abs(m.values.r[v] - fit.voxelR[c]) <= 1e-12, `r of voxel ${v}`);
          assert.equal(m.values.reliability[v], fit.reliability[v]);
        });
        assert.equal(m.reliable, fit.voxels.length);
      },
    );

    await t.step(
      "scikit-learn's RidgeCV per voxel on the same betas (tutorial_ref.py)",
      async () => {
        // The betas read independently of the job: every voxel, every session, one call each.
        const sub = await loadSubject("sub-01", { dataDir });
        const betas = [], labels: string[] = [];
        for (const session of s.sessions) {
          const b = await sub.getBetaMatrix({
            session,
            maskSource: "anatomical",
            betasSource: "model",
          });
          for (let tr = 0; tr < b.shape[0]; tr++) {
            betas.push(Array.from(b.values.subarray(tr * b.shape[1], (tr + 1) * b.shape[1])));
          }
          labels.push(...(b.trials.getColumn("label").toArray() as string[]));
        }
        const f = features;
        const problem = join(dir, "problem.json"), result = join(dir, "result.json");
        await Deno.writeTextFile(
          problem,
          JSON.stringify({
            subject: "sub-01",
            roi: "brain",
            sessions: s.sessions,
            betas,
            labels,
            featureImages: s.images,
            features: Array.from(
              { length: f.rows },
              (_, i) => Array.from(f.data.subarray(i * f.cols, (i + 1) * f.cols)),
            ),
            alphas: plan.alphas,
            threshold: -1, // every voxel with a split-half r: the whole brain, not only reliable ones
          }),
        );
        const py = await new Deno.Command("/usr/bin/python3", {
          args: [repoPath("tests/reference/tutorial_ref.py"), problem, result],
          stderr: "piped",
        }).output();
        assert.ok(py.success, new TextDecoder().decode(py.stderr));
        const ref = JSON.parse(await Deno.readTextFile(result));
        assert.equal(ref.excludedTestImages, 0);
        assert.deepEqual(
          ref.voxels,
          Array.from(m.values.r.keys()).filter((v) => !Number.isNaN(m.values.r[v])),
        );
        ref.voxels.forEach((v: number, c: number) => {
          assert.equal(m.values.alpha[v], ref.bestAlpha[c], `alpha of voxel ${v}`);
          assert.ok(Math.abs(m.values.r[v] - ref.voxelR[c]) <= 1e-6, `r of voxel ${v}`);
          assert.ok(Math.abs(m.values.reliability[v] - ref.reliability[v]) <= 1e-9);
        });
      },
    );

    await t.step(
      "the planted voxels (generator's ground truth) are reliable and predicted",
      async () => {
        const truth = JSON.parse(
          await Deno.readTextFile(join(synthCurrentDir(), "ground-truth", "encoding.json")),
        ).subjects["sub-01"].voxels as { modelRow: number; snr: number }[];
        const strong = truth.filter((v) => v.snr > 1);
        assert.ok(strong.length >= 2);
        for (const v of strong) {
          // modelRow: the voxel's row of the model files = its place on the job's voxel axis
          const r = m.values.r[v.modelRow], rel = m.values.reliability[v.modelRow];
          assert.ok(rel > 0.2, `reliability of ${v.modelRow}: ${rel}`);
          assert.ok(r > 0.3, `r of ${v.modelRow}: ${r}`);
        }
      },
    );

    await t.step(
      "NIfTI maps on the subject's grid and the Parquet table hold the merged values",
      async () => {
        const sub = await loadSubject("sub-01", { dataDir });
        const flat = gridIndices(await sub.getBrainMask({ source: "anatomical", res: "1pt8" }));
        assert.equal(flat.length, s.nVoxels);
        for (const k of ["r", "alpha", "reliability"] as const) {
          const vol = await readNiftiVolume(m.niftis[k]);
          const inBrain = new Uint8Array(vol.data.length);
          flat.forEach((f, c) => {
            inBrain[f] = 1;
            assert.ok(Object.is(vol.data[f], Math.fround(m.values[k][c])), `${k} at voxel ${c}`);
          });
          assert.ok(vol.data.every((x, f) => inBrain[f] || x === 0), `${k}: 0 outside the brain`);
        }
        const table = pl.readParquet(merged.parquet);
        assert.equal(table.height, s.nVoxels);
        assert.deepEqual(
          bits(Float64Array.from(table.getColumn("r").toArray() as number[])),
          bits(m.values.r),
        );
      },
    );

    await t.step(
      "a shard rerun after success is a no-op (API and CLI, index from the env)",
      async () => {
        const stat = async () =>
          (await Promise.all(
            [planPaths.record(dir, 1), planPaths.values(dir, 1)].map((p) => Deno.stat(p)),
          ))
            .map((i) => i.mtime?.getTime());
        const before = await stat();
        const api = await runEncodingShard(dir, 1);
        assert.equal(api.skipped, true);
        const cli = await new Deno.Command(Deno.execPath(), {
          args: [...plan.command.slice(1), "encode", "run", "--plan", dir],
          env: { AWS_BATCH_JOB_ARRAY_INDEX: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const log = new TextDecoder().decode(cli.stderr);
        assert.ok(cli.success, log);
        assert.match(log, /shard 1 \(from AWS_BATCH_JOB_ARRAY_INDEX\)[\s\S]*already done/);
        assert.deepEqual(await stat(), before);
        assert.equal(proxy.gets().filter((r) => r.key.endsWith("_model.h5")).length > 0, true);
      },
    );

    await t.step(
      "a shard whose reads fail names itself and its rerun command, writes nothing",
      async () => {
        await Deno.remove(planPaths.record(dir, 3));
        await Deno.remove(planPaths.values(dir, 3));
        proxy.addFault({
          kind: "forbidden",
          times: 1000,
          match: (r) => r.key.endsWith("_model.h5"),
        });
        try {
          await assert.rejects(
            runEncodingShard(dir, 3),
            (e) =>
              e instanceof EncodingShardFailedError && e.index === 3 &&
              e.message.startsWith(`shard 3/${nShards} (sub-01 voxels 300-399) failed: `) &&
              e.message.includes(`sbatch --array=3 ${planPaths.sbatch(dir)}`) &&
              e.cause instanceof Error,
          );
        } finally {
          proxy.clearFaults();
        }
        assert.equal(await finishedShard(dir, plan, 3), undefined);
        assert.equal(
          await Deno.stat(planPaths.values(dir, 3)).catch(() => null),
          null,
        );
        assert.deepEqual(await tmpFiles(join(dir, "shards")), []);
        assert.equal((await runEncodingShard(dir, 3)).skipped, false);
        const merged3 = Object.fromEntries(
          SHARD_ARRAYS.map((k) => [k, m.values[k].subarray(300, 400)]),
        );
        sameWithinBlas(merged3 as typeof m.values, await readShardValues(dir, 3), "shard 3 rerun");
      },
    );

    await t.step("a shard index outside the plan names the valid range", async () => {
      await assert.rejects(
        runEncodingShard(dir, nShards),
        (e) => e instanceof RangeError && e.message.includes(`valid 0..${nShards - 1}`),
      );
    });

    await t.step(
      "the plan's ridge decomposition: every shard's, kept by a rewrite, a changed file named",
      async () => {
        const ridge = plan.subjects[0].ridge!;
        assert.ok(ridge, "the plan stores the decomposition");
        const file = join(dir, ridge.file);
        const stored = await readPlanDecomposition(dir, plan.subjects[0]);
        const fresh = await voxelwiseDecomposition(s.images, features);
        assert.equal(stored!.interceptDim, fresh.interceptDim);
        assert.deepEqual(bits(stored!.values), bits(fresh.values));
        assert.deepEqual(bits(stored!.testProjection), bits(fresh.testProjection));
        // The same plan written again keeps the decomposition its finished shards used.
        const bytes = await Deno.readFile(file);
        const again = await planEncodingJob({ ...planOptions, measure: false });
        assert.equal(again.planId, plan.planId);
        assert.deepEqual(again.subjects[0].ridge, ridge);
        assert.deepEqual(await Deno.readFile(file), bytes);
        assert.ok(await finishedShard(dir, again, 1), "finished shards stay finished");
        // A changed file: the shard names it and writes nothing.
        const changed = bytes.slice();
        changed[8] ^= 1;
        await Deno.writeFile(file, changed);
        try {
          await assert.rejects(
            runEncodingShard(dir, 1, { force: true }),
            (e) =>
              e instanceof EncodingShardFailedError &&
              e.message.includes(`${file} does not match its plan (SHA-256 differs)`) &&
              e.message.includes("--overwrite"),
          );
          assert.ok(await finishedShard(dir, again, 1), "the old result is untouched");
        } finally {
          await Deno.writeFile(file, bytes);
        }
      },
    );

    await t.step(
      "a refused plan leaves the folder's plan whole; bad input is named",
      async () => {
        const files = ["plan.json", "encode.sbatch", "merge.sbatch", s.features, s.ridge!.file];
        // Each write replaces its file (a new inode), even with the same bytes: a refused plan
        // must write nothing.
        const state = () =>
          Promise.all(files.map(async (f) => {
            const st = await Deno.stat(join(dir, f));
            return [f, st.ino, st.mtime?.getTime(), (await Deno.readFile(join(dir, f))).length];
          }));
        const before = await state();
        // Another plan (fewer sessions) into the same folder, without --overwrite.
        await assert.rejects(
          planEncodingJob({
            subjects: ["sub-01"],
            sessions: s.sessions.slice(0, 1),
            model: "CLIP",
            shardSize: 100,
            outDir: dir,
            dataDir,
            remote: { endpoint: proxy.url, bucket: CURRENT_BUCKET },
            measure: false,
          }),
          (e) => e instanceof EncodingPlanConflictError && e.message.includes("--overwrite"),
        );
        assert.deepEqual(await state(), before, "no file of the folder's plan was written");
        assert.equal((await readPlanFeatures(dir, s)).rows, s.images.length);
        await assert.rejects(
          planEncodingJob({
            subjects: ["sub-01"],
            model: "CLIP",
            outDir: dir,
            dataDir,
            cpusPerTask: 0,
          }),
          /cpusPerTask must be a positive integer, got 0/,
        );
        const broken = await Deno.makeTempDir({ prefix: "laion-encode-broken-" });
        try {
          await Deno.writeTextFile(join(broken, "plan.json"), "{ not json");
          await assert.rejects(
            readEncodingPlan(broken),
            (e) =>
              e instanceof Error && e.message.includes(join(broken, "plan.json")) &&
              e.message.includes("is not valid JSON") && e.message.includes("--overwrite"),
          );
        } finally {
          await Deno.remove(broken, { recursive: true });
        }
      },
    );
  } finally {
    await proxy.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(templateHome, { recursive: true }).catch(() => {});
    if (savedHome === undefined) Deno.env.delete("TEMPLATEFLOW_HOME");
    else Deno.env.set("TEMPLATEFLOW_HOME", savedHome);
    await stopSlurmInCi();
  }
});
