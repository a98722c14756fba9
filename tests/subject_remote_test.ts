/**
 * Betas without the download (`betasSource: "remote"`: model-file rows by
 * HTTP range, small files fetched on demand), and several ROIs over several
 * sessions in one pass (one read per session, parallel decode workers,
 * stacked with a `session` column): each equal, bit for bit, to the local
 * per-session reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InvalidChoiceError,
  LaionFmriError,
  MalformedFileError,
  S3RequestError,
} from "../lib/core/errors.ts";
import { S3Source } from "../lib/bucket/s3_source.ts";
import { pathExists } from "../lib/core/fs.ts";
import { decodeNiftiFiles } from "../lib/formats/nifti_pool.ts";
import { readNifti4dMasked } from "../lib/formats/nifti.ts";
import { getRequestStats } from "../lib/bucket/cached_source.ts";
import type { BetaMatrix } from "../lib/subject/beta_matrix.ts";
import { modelKey } from "../lib/subject/remote_model.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint } from "./_helpers.ts";
import { FaultProxy } from "./fault_proxy.ts";

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const remote = () => ({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET });

function sameMatrix(a: BetaMatrix, b: BetaMatrix, what: string) {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  assert.deepEqual(bits(a.values), bits(b.values), `${what}: values`);
  assert.deepEqual(a.brainIndex, b.brainIndex, `${what}: voxels`);
}

Deno.test("remote subject: nothing downloaded, betas bit-identical to the local files", async (t) => {
  const local = await makeCurrentDataDir();
  const empty = await Deno.makeTempDir({ prefix: "laion-remote-" });
  try {
    const sub = await loadSubject("sub-01", { dataDir: local });
    const rem = await loadSubject("sub-01", {
      dataDir: empty,
      betasSource: "remote",
      remote: remote(),
    });
    assert.equal(rem.betasSource, "remote");
    assert.equal(rem.maskSource, "anatomical");

    await t.step("sessions come from the bucket (held-out ones apart)", async () => {
      assert.deepEqual(await rem.getSessions(), await sub.getSessions());
      await assert.rejects(rem.getBetaMatrix({ session: "ses-31", roi: "FFA1" }), LaionFmriError);
      await assert.rejects(
        rem.getBetaMatrix({ session: "ses-09", roi: "FFA1" }),
        (e) => e instanceof InvalidChoiceError && e.message.includes("ses-01"),
      );
    });

    await t.step("ROI betas equal the local NIfTI's and the local model file's", async () => {
      for (const roi of ["FFA1", "face", ["V1v", "FFA1"]]) {
        for (const session of await sub.getSessions()) {
          const want = await sub.getBetaMatrix({ session, roi });
          const got = await rem.getBetaMatrix({ session, roi });
          sameMatrix(got, want, `${roi} ${session}`);
          assert.deepEqual(got.trials.toRecords(), want.trials.toRecords());
        }
      }
      const shared = { session: "ses-02", roi: "face", stimuli: "shared" } as const;
      sameMatrix(await rem.getBetaMatrix(shared), await sub.getBetaMatrix(shared), "shared");
      const df = await rem.getBetas({ session: 1, roi: "FFA1" });
      const want = await sub.getBetas({ session: 1, roi: "FFA1" });
      assert.deepEqual(df.getColumn("betas").toArray(), want.getColumn("betas").toArray());
    });

    await t.step("a local subject reads remote per call", async () => {
      const got = await sub.getBetaMatrix({
        session: 3,
        roi: "face",
        betasSource: "remote",
        remote: remote(),
      });
      sameMatrix(got, await sub.getBetaMatrix({ session: 3, roi: "face" }), "per call");
      await assert.rejects(
        sub.getBetaMatrix({ session: 3, roi: "face", betasSource: "s3" as "remote" }),
        (e) => e instanceof InvalidChoiceError && e.message.includes("remote"),
      );
    });

    await t.step("only the small files came to disk, never a model file or betas", async () => {
      const anat = join(empty, "derivatives/anatomical/sub-01/ses-PrismaAnat/anat");
      assert.ok(await pathExists(anat), "anatomical mask fetched");
      assert.ok(await pathExists(rem.paths.trials("ses-01")), "trial table fetched");
      assert.ok(await pathExists(join(rem.paths.roisDir, "face")), "ROI folder fetched");
      assert.equal(await pathExists(join(empty, modelKey("sub-01", "ses-01"))), false);
      assert.equal(await pathExists(rem.paths.betas("ses-01")), false);
    });
  } finally {
    await Deno.remove(local, { recursive: true });
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("a subject missing from the bucket is a clear error", async () => {
  const empty = await Deno.makeTempDir({ prefix: "laion-remote-" });
  try {
    await assert.rejects(
      loadSubject("sub-04", { dataDir: empty, betasSource: "remote", remote: remote() }),
      (e) => e instanceof LaionFmriError && e.message.includes("sub-04"),
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("several ROIs x sessions in one pass: stacked, equal to per-session reads", async () => {
  const local = await makeCurrentDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir: local });
    const sessions = await sub.getSessions();
    const rois = { face: "face", ffa1: "FFA1", early: ["V1v", "V2d"] };
    const serial = await sub.getRoiBetaMatrices({ sessions, rois, workers: 0 });
    const parallel = await sub.getRoiBetaMatrices({ sessions, rois, workers: 2 });
    const fromModel = await sub.getRoiBetaMatrices({ sessions, rois, betasSource: "model" });
    const before = getRequestStats().get;
    const fromBucket = await sub.getRoiBetaMatrices({
      sessions,
      rois,
      betasSource: "remote",
      remote: remote(),
    });
    assert.ok(getRequestStats().get > before, "the remote pass went to the bucket");
    assert.deepEqual([...serial.keys()], ["face", "ffa1", "early"]);
    for (const [key, query] of Object.entries(rois)) {
      const per = await Promise.all(
        sessions.map((session) => sub.getBetaMatrix({ session, roi: query })),
      );
      const m = serial.get(key)!;
      const rows = per.reduce((n, p) => n + p.shape[0], 0);
      assert.deepEqual(m.shape, [rows, per[0].shape[1]]);
      const stacked = new Float32Array(rows * per[0].shape[1]);
      let at = 0;
      for (const p of per) stacked.set(p.values, at), at += p.values.length;
      assert.deepEqual(bits(m.values), bits(stacked), key);
      assert.deepEqual(m.brainIndex, per[0].brainIndex);
      assert.deepEqual(
        m.trials.getColumn("session").toArray(),
        per.flatMap((p) => Array(p.shape[0]).fill(p.session)),
      );
      for (const other of [parallel, fromModel, fromBucket]) {
        sameMatrix(other.get(key)!, m, key);
      }
    }
    const frames = await sub.getRoiBetas({ sessions: [1, 2], rois: ["FFA1"], stimuli: "shared" });
    const df = frames.get("FFA1")!;
    assert.deepEqual(
      [...new Set(df.getColumn("session").toArray())],
      ["ses-01", "ses-02"],
    );
    assert.ok(
      (df.getColumn("label").toArray() as string[]).every((l) => l.startsWith("shared_")),
    );
    await assert.rejects(sub.getRoiBetaMatrices({ sessions, rois: [] }), RangeError);
    await assert.rejects(sub.getRoiBetaMatrices({ sessions, rois, workers: -1 }), RangeError);
  } finally {
    await Deno.remove(local, { recursive: true });
  }
});

Deno.test("decode workers: equal to the serial read; a bad file fails as in this thread", async () => {
  const local = await makeCurrentDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir: local });
    const mask = await sub.getBrainMask();
    const paths = (await sub.getSessions()).map((s) => sub.paths.betas(s));
    const jobs = paths.map((path) => ({ path, mask }));
    const pooled = await decodeNiftiFiles(jobs, { workers: 2 });
    for (const [i, path] of paths.entries()) {
      assert.deepEqual(bits(pooled[i].data), bits((await readNifti4dMasked(path, mask)).data));
    }
    const bad = join(local, "cut.nii.gz");
    const bytes = await Deno.readFile(paths[0]);
    await Deno.writeFile(bad, bytes.subarray(0, bytes.length >> 1));
    let done = 0;
    await assert.rejects(
      decodeNiftiFiles([...jobs, { path: bad, mask }], {
        workers: 2,
        onFile: () => void done++,
      }),
      MalformedFileError,
    );
    assert.ok(done >= paths.length - 1);
  } finally {
    await Deno.remove(local, { recursive: true });
  }
});

Deno.test("remote subject through a faulty server: right numbers or a clear error", async () => {
  const local = await makeCurrentDataDir();
  const empty = await Deno.makeTempDir({ prefix: "laion-remote-" });
  const proxy = new FaultProxy(localEndpoint(), CURRENT_BUCKET);
  try {
    const want = await (await loadSubject("sub-01", { dataDir: local }))
      .getBetaMatrix({ session: 2, roi: "face" });
    const source = new S3Source({ endpoint: proxy.url, bucket: CURRENT_BUCKET, maxAttempts: 1 });
    const rem = await loadSubject("sub-01", {
      dataDir: empty,
      betasSource: "remote",
      remote: { source },
    });
    await rem.getRoiMask("face"); // masks on disk before the faults
    proxy.addFault({ kind: "norange", times: 100 });
    sameMatrix(await rem.getBetaMatrix({ session: 2, roi: "face" }), want, "200 for a range");
    proxy.clearFaults();
    proxy.addFault({ kind: "truncate", afterBytes: 64, match: (r) => (r.rangeStart ?? 0) > 0 });
    await assert.rejects(
      rem.getBetaMatrix({ session: 2, roi: "face" }),
      (e) => e instanceof S3RequestError && /ended after \d+ of \d+ bytes/.test(e.message),
    );
  } finally {
    await proxy.close();
    await Deno.remove(local, { recursive: true });
    await Deno.remove(empty, { recursive: true });
  }
});
