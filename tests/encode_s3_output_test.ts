/**
 * The encode job with its output on an S3 prefix (lib/jobs/store.ts) against the local Ceph RGW,
 * signed with the seeding user's credentials from the AWS environment: plan -> run every shard ->
 * merge gives the same values as the folder version; a finished shard is skipped on rerun; a run
 * aborted before its record leaves no record and the rerun completes; an object above the part
 * size goes up as a multipart upload (its ETag carries the part count), an upload aborted
 * mid-way leaves neither the object nor the multipart upload, and a process killed (SIGKILL)
 * mid-upload leaves no object; errors name the prefix and what is missing.
 */
import assert from "node:assert/strict";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint, repoPath } from "./_helpers.ts";
import { planEncodingJob, readEncodingPlan } from "../lib/jobs/encode_plan.ts";
import {
  finishedShard,
  readShardValues,
  runEncodingShard,
  SHARD_ARRAYS,
} from "../lib/jobs/encode_shard.ts";
import { mergeEncodingJob } from "../lib/jobs/encode_merge.ts";
import { jobStore, JobStoreError } from "../lib/jobs/store.ts";
import { encodingMapsData } from "../lib/jobs/encode_pictures.ts";
import { pillow } from "./_pillow.ts";

const bits = (a: Float64Array) => new BigUint64Array(a.buffer, a.byteOffset, a.length);
const MIB = 2 ** 20;

Deno.test("encode output on an S3 prefix: plan, run, merge = folder; skip, abort, multipart, errors", async (t) => {
  const endpoint = localEndpoint();
  const env = {
    AWS_ACCESS_KEY_ID: "laionfmriseed",
    AWS_SECRET_ACCESS_KEY: "laionfmriseedsecret",
    AWS_REGION: "us-east-1",
  };
  const unset = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"];
  const saved = [...Object.keys(env), ...unset].map((k) => [k, Deno.env.get(k)] as const);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  for (const k of unset) Deno.env.delete(k);
  const admin = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  const bucket = `laion-encode-out-${crypto.randomUUID().slice(0, 8)}`;
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  const dataDir = await makeCurrentDataDir();
  const folder = await Deno.makeTempDir({ prefix: "laion-encode-folder-" });
  const out = `s3://${bucket}/jobs/clip/`;
  const remote = { endpoint, bucket: CURRENT_BUCKET };
  try {
    await t.step("plan -> run all shards -> merge on S3 equals the folder version", async () => {
      const common = {
        subjects: ["sub-01"],
        model: "CLIP" as const,
        shardSize: 200,
        dataDir,
        remote,
        measure: false,
      };
      const a = await planEncodingJob({ ...common, outDir: folder });
      // Shard 0 measured as a task runs it: its own process with the plan's grants (the AWS
      // chain's variables, the endpoint's host), writing its record to the S3 prefix.
      // The endpoint is given to the API only (not in the environment): the task gets it from
      // the --endpoint of its command line.
      jobStore(out, { endpoint });
      const b = await planEncodingJob({ ...common, outDir: out, measure: true });
      assert.ok((b.resources.measuredPeakBytes ?? 0) > 0, JSON.stringify(b.resources));
      assert.equal((await runEncodingShard(out, 0)).skipped, true);
      assert.equal(b.planId, a.planId);
      assert.ok(b.shards.length >= 2, `${b.shards.length} shards`);
      assert.deepEqual((await readEncodingPlan(out)).shards, a.shards);
      // The plan's task command carries the grants an S3 output needs.
      assert.ok(b.command.includes("--allow-env"), b.command.join(" "));
      assert.ok(b.command.some((x) => x.startsWith("--allow-net=") && x.includes("127.0.0.1")));
      const sbatch = new TextDecoder().decode(await jobStore(out).read("encode.sbatch"));
      assert.ok(sbatch.includes(`encode run --plan ${out} --endpoint ${endpoint}`), sbatch);
      // merge.sbatch: the merge on a node, its maps written in a temporary folder first.
      const merge = new TextDecoder().decode(await jobStore(out).read("merge.sbatch"));
      assert.ok(merge.includes(`encode merge --plan ${out} --endpoint ${endpoint}`), merge);
      const tmp = Deno.env.get("TMPDIR") || "/tmp";
      assert.match(merge, new RegExp(`--allow-write=[^ ]*${tmp.replaceAll("/", "\\/")}`), merge);
      for (const s of a.shards) {
        assert.equal((await runEncodingShard(folder, s.index)).skipped, false);
        // --force for shard 0: this process's BLAS threads, as the folder run's (bit for bit).
        const force = s.index === 0;
        assert.equal((await runEncodingShard(out, s.index, { force })).skipped, false);
      }
      const mf = await mergeEncodingJob(folder);
      const ms = await mergeEncodingJob(out);
      for (const k of SHARD_ARRAYS) {
        assert.deepEqual(bits(ms.subjects[0].values[k]), bits(mf.subjects[0].values[k]), k);
      }
      assert.ok(ms.subjects[0].fitted > 0);
      // The maps went up to <prefix>maps/, named by their s3:// URLs.
      assert.ok(ms.parquet.startsWith(`${out}maps/`), ms.parquet);
      const parquet = await jobStore(out).read(ms.parquet.slice(out.length));
      assert.deepEqual(parquet, await Deno.readFile(mf.parquet));
      for (const [k, url] of Object.entries(ms.subjects[0].niftis)) {
        assert.ok(url.startsWith(`${out}maps/`), url);
        assert.ok(await jobStore(out).exists(url.slice(out.length)), `${k}: ${url}`);
      }
    });

    await t.step("an S3 plan's pictures: drawn from its maps, uploaded beside them", async () => {
      // The library fetches the r map from the prefix: the same volume as the folder's.
      const ms = await mergeEncodingJob(out, { fsaverage: false });
      const mf = await mergeEncodingJob(folder, { fsaverage: false });
      const [ds, df] = [
        await encodingMapsData(out, ms.subjects[0]),
        await encodingMapsData(folder, mf.subjects[0]),
      ];
      assert.equal(ds.rVolume.length, df.rVolume.length);
      assert.deepEqual(ds.rVolume, df.rVolume);
      // The command line draws them in a temporary folder and uploads them under maps/.
      const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
      const cli = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          `--allow-write=${dataDir},${tmp}`,
          "--allow-net=127.0.0.1",
          "--allow-env",
          "--allow-ffi",
          "--allow-sys=cpus,networkInterfaces,hostname,osRelease",
          repoPath("cli.ts"),
          "encode",
          "merge",
          "--plan",
          out,
          "--endpoint",
          endpoint,
          "--fsaverage",
          "none",
        ],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(cli.stdout);
      assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
      for (const name of ["statMap", "histogram"]) {
        const key = `maps/sub-01_model-CLIP_stat-r_${name}.png`;
        assert.ok(stdout.includes(`${out}${key}`), stdout);
        const info = await pillow((await jobStore(out).read(key))!);
        assert.ok(info.size[0] >= 300 && info.colours > 20, `${key}: ${JSON.stringify(info)}`);
      }
      assert.ok(!stdout.includes("no pictures"), stdout);
    });

    await t.step("a finished shard is skipped on rerun", async () => {
      const r = await runEncodingShard(out, 1);
      assert.equal(r.skipped, true);
    });

    await t.step("a run aborted before its record leaves none; the rerun completes", async () => {
      const plan = await readEncodingPlan(out);
      const before = await readShardValues(out, 1);
      await jobStore(out).removePrefix("shards/shard-00001.");
      assert.equal(await jobStore(out).exists("shards/shard-00001.json"), false);
      const ac = new AbortController();
      await assert.rejects(
        runEncodingShard(out, 1, {
          signal: ac.signal,
          // "read … fitted …" comes after the fit, right before the values are written.
          onProgress: (m) => {
            if (/fitted/.test(m)) ac.abort(new DOMException("killed", "AbortError"));
          },
        }),
        (e: Error) => e.name === "AbortError",
      );
      assert.equal(await jobStore(out).exists("shards/shard-00001.json"), false);
      assert.equal(await finishedShard(out, plan, 1), undefined);
      assert.equal((await runEncodingShard(out, 1)).skipped, false);
      const after = await readShardValues(out, 1);
      for (const k of SHARD_ARRAYS) assert.deepEqual(bits(after[k]), bits(before[k]), k);
    });

    await t.step(
      "above the part size: a multipart upload; aborted mid-way: nothing left",
      async () => {
        const store = jobStore(`s3://${bucket}/multipart/`, { endpoint, partSize: 5 * MIB });
        const words = new Uint32Array(3 * MIB);
        for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761);
        const big = new Uint8Array(words.buffer);
        await store.write("big.bin", big);
        const head = await admin.send(
          new HeadObjectCommand({ Bucket: bucket, Key: "multipart/big.bin" }),
        );
        assert.match(head.ETag ?? "", /-3"?$/, `ETag ${head.ETag}: 3 parts of 5 MiB`);
        assert.deepEqual(await store.read("big.bin"), big);

        const huge = new Uint8Array(60 * MIB).fill(7);
        const ac = new AbortController();
        const pending = store.write("huge.bin", huge, { signal: ac.signal });
        const uploads = async () =>
          (await admin.send(
            new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "multipart/huge.bin" }),
          )).Uploads ?? [];
        let seen = false;
        for (let i = 0; i < 500 && !seen; i++) {
          seen = (await uploads()).length > 0;
          if (!seen) await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(seen, "the multipart upload was started");
        ac.abort(new DOMException("killed", "AbortError"));
        await assert.rejects(pending, (e: Error) => e.name === "AbortError");
        assert.equal(await store.exists("huge.bin"), false);
        assert.deepEqual(await uploads(), [], "AbortMultipartUpload cleaned up its parts");
      },
    );

    await t.step(
      "a process killed mid-upload leaves no object; the rewrite completes",
      async () => {
        const key = "killed/huge.bin";
        const store = new URL("../lib/jobs/store.ts", import.meta.url).href;
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "eval",
            `import { jobStore } from "${store}";\n` +
            `await jobStore("s3://${bucket}/killed/", { endpoint: "${endpoint}", partSize: 5 * 2 ** 20 })` +
            `.write("huge.bin", new Uint8Array(80 * 2 ** 20).fill(3));`,
          ],
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const uploads = async () =>
          (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key })))
            .Uploads ?? [];
        let seen: Awaited<ReturnType<typeof uploads>> = [];
        for (let i = 0; i < 3000 && !seen.length; i++) {
          seen = await uploads();
          if (!seen.length) await new Promise((r) => setTimeout(r, 10));
        }
        child.kill("SIGKILL");
        const status = await child.status;
        assert.equal(seen.length, 1, "the child started its multipart upload");
        assert.equal(status.success, false, "killed before it completed");
        const again = jobStore(`s3://${bucket}/killed/`, { endpoint, partSize: 5 * MIB });
        assert.equal(await again.exists("huge.bin"), false, "no object from the killed upload");
        // What a lifecycle rule (AbortIncompleteMultipartUpload) removes: the orphaned parts.
        await admin.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: seen[0].UploadId }),
        );
        await again.write("huge.bin", new Uint8Array(11 * MIB).fill(4));
        assert.equal((await again.read("huge.bin"))?.length, 11 * MIB);
      },
    );

    await t.step("errors name the prefix and what is missing", async () => {
      const gone = jobStore(`s3://${bucket}-missing/x/`, { endpoint });
      await assert.rejects(
        gone.write("a.json", "{}"),
        (e) =>
          e instanceof JobStoreError && e.message.includes(`s3://${bucket}-missing/x/`) &&
          /does not exist/.test(e.message),
      );
      Deno.env.set("AWS_SECRET_ACCESS_KEY", "wrong-secret");
      try {
        await assert.rejects(
          jobStore(`s3://${bucket}/denied/`, { endpoint }).write("a.json", "{}"),
          (e) =>
            e instanceof JobStoreError && e.message.includes(`s3://${bucket}/denied/`) &&
            e.message.includes("s3:PutObject"),
        );
      } finally {
        Deno.env.set("AWS_SECRET_ACCESS_KEY", env.AWS_SECRET_ACCESS_KEY);
      }
      assert.throws(() => jobStore("s3://b/p/", { partSize: MIB }), RangeError);
    });
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    await Deno.remove(folder, { recursive: true });
    admin.destroy();
  }
});
