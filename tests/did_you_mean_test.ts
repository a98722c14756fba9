/**
 * Wrong names get a named error and a suggestion, not a dump or a wrong id
 * (issue 22, item 8): a missing bucket, a subject id in capitals or without
 * its zero, ROI names in another case or the bucket's hyphenated spelling,
 * and a missing embeddings file whose command fetches only that model.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  getSubjects,
  loadEmbeddings,
  NoSuchBucketError,
  S3RequestError,
  StimuliNotDownloadedError,
  SubjectNotFoundError,
  UnknownRoiError,
} from "../mod.ts";
import { S3Source } from "../lib/bucket/mod.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { makeCurrentDataDir, makeDataDir } from "./_data_dir.ts";
import { localEndpoint, runCliLoopback } from "./_helpers.ts";

const NOPE = "laion-fmri-nope";

Deno.test("no such bucket: named, through the S3 error layer and the CLI", async () => {
  const source = new S3Source({ endpoint: localEndpoint(), bucket: NOPE });
  for (const call of [() => source.list("derivatives/"), () => getSubjects({ source })]) {
    await assert.rejects(call, (e: Error) => {
      assert.ok(e instanceof NoSuchBucketError, `${e}`);
      assert.ok(e instanceof S3RequestError);
      assert.equal(e.bucket, NOPE);
      assert.match(e.message, new RegExp(`^No such bucket: s3://${NOPE} at ${localEndpoint()}`));
      assert.doesNotMatch(e.message, /UnknownError/);
      return true;
    });
  }
  await assert.rejects(() => source.get("README"), NoSuchBucketError);
  // a HEAD's 404 has no body: the bucket is still told apart from the key
  await assert.rejects(() => source.head("README"), NoSuchBucketError);
  const out = await runCliLoopback([
    "subjects",
    "--endpoint",
    localEndpoint(),
    "--bucket",
    NOPE,
  ]);
  const stderr = out.stderr.trim();
  assert.equal(out.code, 1);
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, new RegExp(`No such bucket: s3://${NOPE}`));
});

Deno.test("did you mean: subject ids and ROI names in another spelling", async () => {
  const dataDir = await makeDataDir();
  try {
    for (const id of ["SUB-01", "Sub-01", "sub-01", "01"]) {
      assert.equal((await loadSubject(id, { dataDir })).subjectId, "sub-01", id);
    }
    // "1" is sub-1, which is not on disk; sub-01 is: say so, not how to download "sub-1".
    await assert.rejects(() => loadSubject("1", { dataDir }), (e: Error) => {
      assert.ok(e instanceof SubjectNotFoundError, `${e}`);
      assert.match(e.message, /Unknown subject 'sub-1' \(did you mean 'sub-01'\?\)\. On disk: \[/);
      return true;
    });

    const sub = await loadSubject("sub-01", { dataDir });
    const ffa1 = await sub.getRoiMask("FFA1");
    // "FFA-1" is how the bucket's file names spell it.
    for (const q of ["ffa1", "FFA-1", "ffa-1", "Ffa1"]) {
      assert.deepEqual(await sub.getRoiMask(q), ffa1, q);
      assert.deepEqual(await sub.resolveRois(q), ["FFA1"], q);
    }
    assert.deepEqual(await sub.resolveRois("Face"), await sub.resolveRois("face"));
    assert.deepEqual(
      await sub.resolveRois(["FACE", "all"]),
      await sub.resolveRois(["face", "all"]),
    );

    const all = await sub.getAvailableRois();
    await assert.rejects(() => sub.getRoiMask("FFA9"), (e: Error) => {
      assert.ok(e instanceof UnknownRoiError, `${e}`);
      assert.ok(
        e.suggestions.includes("FFA1") && e.suggestions.includes("FFA2"),
        `${e.suggestions}`,
      );
      assert.match(e.message, /Did you mean 'FFA1', 'FFA2'/);
      // Only the closest names, not the whole list.
      const named = all.filter((r) => e.message.includes(`'${r}'`));
      assert.ok(named.length <= 5 && named.length < all.length, `${named}`);
      assert.match(e.message, /'retinotopy'/); // the categories are still listed
      return true;
    });
    // Nothing close: the whole list, as before.
    await assert.rejects(() => sub.getRoiMask("zzzzzzzz"), (e: Error) => {
      assert.ok(e instanceof UnknownRoiError);
      assert.ok(all.every((r) => e.message.includes(`'${r}'`)));
      return true;
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a missing embeddings file names the command for that model only", async () => {
  const dataDir = await makeCurrentDataDir((key) => !/sub-0[2-9]/.test(key));
  try {
    await Deno.remove(join(dataDir, "stimuli", "task-images_desc-DINOv2_embeddings.h5"));
    const sub = await loadSubject("sub-01", { dataDir });
    assert.ok((await sub.embeddings.all("CLIP")).rows > 0);
    for (
      const call of [
        () => sub.embeddings.all("DINOv2"),
        () => loadEmbeddings({ dataDir, models: ["CLIP", "DINOv2"] }),
      ]
    ) {
      await assert.rejects(call, (e: Error) => {
        assert.ok(e instanceof StimuliNotDownloadedError, `${e}`);
        assert.equal(e.cliCommand, "laion-fmri download-embeddings DINOv2");
        assert.match(e.message, /Run `laion-fmri download-embeddings DINOv2` first/);
        return true;
      });
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
