/**
 * One session rule everywhere (issue 22, items 1 and 2): every `session`
 * option accepts the spellings `getBetas` accepts; an unknown or held-out
 * session is an error that names it and lists the valid ones, in the trial
 * namespaces, in the betas reads (local and remote) and in downloads on
 * both bucket layouts, before the license prompt. Expected sessions come
 * from the generator's trees on disk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DataNotDownloadedError,
  download,
  downloadRaw,
  HeldOutSessionError,
  LicenseNotAcceptedError,
  UnknownSessionError,
} from "../mod.ts";
import { planDownload } from "../lib/download/mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { formatSessions } from "../lib/core/errors.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint, runCliLoopback, synthCurrentDir, synthDir } from "./_helpers.ts";

/** The public `ses-NN` folders of a subject in a generated bucket tree. */
function treeSessions(bucketDir: string, prefix: string): string[] {
  return [...Deno.readDirSync(join(bucketDir, "bucket", prefix))]
    .filter((e) => e.isDirectory && /^ses-\d+$/.test(e.name) && !/^ses-3[1-4]$/.test(e.name))
    .map((e) => e.name).sort();
}

const SPELLINGS = ["01", "1", 1, "ses-1", "ses-01", "SES-01", "ses-001"] as const;

Deno.test("sessions: the trial namespaces take every spelling; unknown and held-out ones are named", async () => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const onDisk = treeSessions(synthCurrentDir(), "derivatives/glmsingle-tedana/sub-01");
    assert.deepEqual(await sub.getSessions(), onDisk);
    const n = (await sub.getBetaMatrix({ session: "ses-01" })).shape[0];
    assert.ok(n > 0);
    for (const session of SPELLINGS) {
      const what = JSON.stringify(session);
      assert.equal((await sub.images.names({ session })).length, n, `images.names ${what}`);
      assert.equal(await sub.images.count({ session }), n, `images.count ${what}`);
      assert.equal((await sub.embeddings.all("CLIP", { session })).rows, n, `embeddings ${what}`);
      assert.equal((await sub.getBetaMatrix({ session })).shape[0], n, `getBetaMatrix ${what}`);
      const meta = await sub.getMetadata({ session });
      assert.equal(meta.height, n, `getMetadata ${what}`);
      assert.deepEqual(meta.getColumn("image_name").toArray(), await sub.images.names({ session }));
    }
    await assert.rejects(() => sub.getMetadata({ session: "ses-99" }), UnknownSessionError);
    // Localizer sessions: the label, or a number in any spelling (oloc is ses-31's public maps).
    const oloc = { task: "oloc", contrast: "scrambled", run: 2, hemi: "R" } as const;
    const olocPath = await sub.getLocalizerMapPath(oloc);
    for (const session of ["31", "ses-31", 31]) {
      assert.equal(await sub.getLocalizerMapPath({ ...oloc, session }), olocPath, String(session));
    }
    const list = formatSessions(onDisk);
    assert.match(list, /^ses-01…ses-0\d$/);
    for (const session of ["ses-99", "99", 7] as const) {
      await assert.rejects(
        () => sub.embeddings.all("CLIP", { session }),
        (e: Error) => {
          assert.ok(e instanceof UnknownSessionError, `${e}`);
          assert.ok(e.message.includes(`of sub-01's trials; valid: ${list}`), e.message);
          return true;
        },
      );
    }
    await assert.rejects(() => sub.images.names({ session: "ses-31" }), HeldOutSessionError);

    // getBetas: ses-99 exists for no subject, so no advice to download it.
    await assert.rejects(() => sub.getBetas({ session: "ses-99" }), (e: Error) => {
      assert.ok(e instanceof UnknownSessionError, `${e}`);
      assert.ok(!(e instanceof DataNotDownloadedError));
      assert.doesNotMatch(e.message, /download/);
      assert.match(e.message, /Unknown session ses-99 of sub-01 on disk; valid: ses-01…/);
      assert.match(e.message, /numbered ses-01 up to ses-30/);
      return true;
    });
    await assert.rejects(() => sub.getBetas({ session: 32 }), (e: Error) => {
      assert.ok(e instanceof HeldOutSessionError, `${e}`);
      assert.doesNotMatch(e.message, /download\(/);
      assert.match(e.message, /ses-32 is held out, not public/);
      assert.ok(e.message.includes(`Sessions of sub-01 on disk: ${list}`), e.message);
      return true;
    });
    // A session that may exist in the bucket: the download advice stays.
    const next = `ses-${String(onDisk.length + 1).padStart(2, "0")}`;
    await assert.rejects(() => sub.getBetas({ session: next }), DataNotDownloadedError);
    // The raw accessors normalize too (ses-01's raw files are not in this data dir).
    assert.equal(await sub.hasRaw({ session: 1 }), await sub.hasRaw({ session: "ses-01" }));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("sessions: a remote subject's held-out error names the bucket, not the disk", async () => {
  const empty = await Deno.makeTempDir({ prefix: "laion-remote-ses-" });
  try {
    const sub = await loadSubject("sub-01", {
      dataDir: empty,
      betasSource: "remote",
      remote: { endpoint: localEndpoint(), bucket: CURRENT_BUCKET },
    });
    const listed = treeSessions(synthCurrentDir(), "derivatives/glmsingle-tedana/sub-01");
    await assert.rejects(() => sub.getBetaMatrix({ session: "31", roi: "FFA1" }), (e: Error) => {
      assert.ok(e instanceof HeldOutSessionError, `${e}`);
      assert.doesNotMatch(e.message, /on disk/);
      assert.ok(
        e.message.includes(`Sessions of sub-01 in the bucket: ${formatSessions(listed)}`),
        e.message,
      );
      return true;
    });
    await assert.rejects(
      () => sub.getBetaMatrix({ session: 99, roi: "FFA1" }),
      UnknownSessionError,
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

const LAYOUTS = [
  { name: "seed", bucket: "laion-fmri", dir: () => synthDir() },
  { name: "current", bucket: CURRENT_BUCKET, dir: () => synthCurrentDir() },
] as const;

Deno.test("sessions: download refuses unknown and held-out sessions before the license prompt", async (t) => {
  for (const layout of LAYOUTS) {
    await t.step(layout.name, async () => {
      const source = new CachedSource(
        new S3Source({ endpoint: localEndpoint(), bucket: layout.bucket }),
      );
      const valid = treeSessions(layout.dir(), "derivatives/glmsingle-tedana/sub-01");
      const dataDir = await Deno.makeTempDir({ prefix: "laion-ses-dl-" });
      // No acceptLicense and a prompt that fails the test: the session error must come first.
      const prompt = () => {
        throw new Error("the license prompt was reached");
      };
      try {
        const where = `of sub-01 in s3://${layout.bucket}/`;
        await assert.rejects(
          () => download({ subject: "01", session: "99", dataDir, source, prompt }),
          (e: Error) => {
            assert.ok(e instanceof UnknownSessionError, `${e}`);
            assert.equal(
              e.message,
              `Unknown session ses-99 ${where}; valid: ${formatSessions(valid)}`,
            );
            return true;
          },
        );
        await assert.rejects(
          () => download({ subject: "01", ses: ["01", "31"], dataDir, source, prompt }),
          (e: Error) => {
            assert.ok(e instanceof HeldOutSessionError, `${e}`);
            assert.match(e.message, /^ses-31 is held out, not public/);
            return true;
          },
        );
        await assert.rejects(
          () => downloadRaw({ subject: "01", session: "99", dataDir, source, prompt }),
          UnknownSessionError,
        );
        assert.deepEqual([...Deno.readDirSync(dataDir)], [], "nothing written");
        // Without a session problem, the license comes first as before.
        await assert.rejects(
          () => download({ subject: "01", session: "1", dataDir, source }),
          LicenseNotAcceptedError,
        );
        // Every spelling plans what the bucket's own spelling plans.
        const keys = async (session: string) =>
          (await planDownload({ subject: "01", session, dataDir, source })).files.map((f) => f.key);
        const own = await keys("01");
        assert.ok(own.some((k) => k.includes("/ses-01/")));
        for (const s of ["1", "ses-1", "ses-01"]) assert.deepEqual(await keys(s), own, s);
        await assert.rejects(() => keys("31"), HeldOutSessionError);
      } finally {
        await Deno.remove(dataDir, { recursive: true });
      }
    });
  }
});

Deno.test("sessions: laion-fmri download --session 99 / 31 exits 1 naming the session", async () => {
  const home = await Deno.makeTempDir({ prefix: "laion-ses-cli-" });
  try {
    const valid = treeSessions(synthCurrentDir(), "derivatives/glmsingle-tedana/sub-01");
    for (
      const [ses, pattern] of [
        [
          "99",
          `Unknown session ses-99 of sub-01 in s3://${CURRENT_BUCKET}/; valid: ${
            formatSessions(valid)
          }`,
        ],
        ["31", "ses-31 is held out, not public"],
      ]
    ) {
      const out = await runCliLoopback([
        "download",
        "--subject",
        "01",
        "--session",
        ses,
        "--accept-license",
        "--endpoint",
        localEndpoint(),
        "--bucket",
        CURRENT_BUCKET,
      ], { write: home, env: { XDG_CONFIG_HOME: home } });
      assert.equal(out.code, 1, out.stderr);
      assert.ok(out.stderr.includes(pattern), out.stderr);
      assert.doesNotMatch(out.stdout, /Matched/);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
