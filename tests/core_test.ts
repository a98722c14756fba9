// The core helpers: atomic writes, the bounded pool, backoff, S3 error bodies,
// shared abortable caches and display.
import assert from "node:assert/strict";
import { join } from "node:path";
import { uniqueTempPath, writeFileAtomic } from "../lib/core/fs.ts";
import { mapPool } from "../lib/core/pool.ts";
import { backoffDelay } from "../lib/core/retry.ts";
import {
  readChecked,
  readTextChecked,
  refuseS3ErrorBody,
  s3ErrorBodyProblem,
} from "../lib/core/s3_error_body.ts";
import { abortable, SharedCache } from "../lib/core/abort.ts";
import { escapeHtml } from "../lib/core/display.ts";
import { MalformedFileError } from "../lib/core/errors.ts";

Deno.test("writeFileAtomic: concurrent writers in one process never share a temp name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.json`;
    assert.notEqual(uniqueTempPath(path), uniqueTempPath(path));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, `{"n":${i}}`.padEnd(5000, " "))),
    );
    const text = await Deno.readTextFile(path);
    assert.equal(text.length, 5000, "one whole write won, never a mix");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["config.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic: a failing writer leaves the old file and no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a.txt`;
    await writeFileAtomic(path, "old");
    await assert.rejects(
      writeFileAtomic(path, async (tmp) => {
        await Deno.writeTextFile(tmp, "half");
        throw new Error("disk full");
      }),
      /disk full/,
    );
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mapPool keeps order, bounds concurrency, stops on the first error after settling", async () => {
  let inFlight = 0, peak = 0;
  const out = await mapPool([5, 1, 4, 2, 3], async (n) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, n));
    inFlight--;
    return n * 10;
  }, { limit: 2 });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
  const started: number[] = [];
  await assert.rejects(
    mapPool([0, 1, 2, 3, 4, 5], async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, 1));
      if (n === 1) throw new Error("boom");
    }, { limit: 2 }),
    /boom/,
  );
  assert.ok(started.length < 6, `no new items after the failure: ${started}`);
  await assert.rejects(mapPool([1], () => Promise.resolve(1), { limit: 0 }), RangeError);
});

Deno.test("backoffDelay stays within full-jitter bounds", () => {
  for (let attempt = 1; attempt < 10; attempt++) {
    const d = backoffDelay(attempt, 200, 5000);
    assert.ok(d >= 0 && d < Math.min(5000, 200 * 2 ** (attempt - 1)), `${attempt}: ${d}`);
  }
});

Deno.test("s3ErrorBodyProblem recognises S3 error documents only", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(
    s3ErrorBodyProblem(
      enc('<?xml version="1.0"?>\n<Error><Code>AccessDenied</Code><Message>no</Message></Error>'),
      "NIfTI file",
    ),
    "this is an S3 error response saved as data, not a NIfTI file (S3 error AccessDenied: no)",
  );
  assert.match(
    s3ErrorBodyProblem("<Error><Code>NoSuchKey</Code></Error>", "TSV file")!,
    /NoSuchKey/,
  );
  assert.equal(s3ErrorBodyProblem('<?xml version="1.0"?><GIFTI>', "GIfTI file"), undefined);
  assert.equal(s3ErrorBodyProblem("session\trun\n", "TSV file"), undefined);
});

Deno.test("readChecked, readTextChecked: the file, or MalformedFileError for an S3 error body", async () => {
  const dir = await Deno.makeTempDir({ prefix: "read-checked-" });
  try {
    const good = join(dir, "good.bin");
    const bad = join(dir, "bad.bin");
    await Deno.writeTextFile(good, "session\trun\n");
    await Deno.writeTextFile(bad, "\uFEFF  <Error><Code>AccessDenied</Code></Error>");
    assert.equal(new TextDecoder().decode(await readChecked(good, "TSV file")), "session\trun\n");
    assert.equal(await readTextChecked(good, "TSV file"), "session\trun\n");
    for (const read of [readChecked, readTextChecked]) {
      await assert.rejects(read(bad, "TSV file", { refetch: "download()" }), (e: Error) => {
        assert.ok(e instanceof MalformedFileError, String(e));
        assert.equal(e.path, bad);
        assert.match(e.message, /not a TSV file \(S3 error AccessDenied\)/);
        assert.match(e.message, /download\(\)/);
        return true;
      });
      await assert.rejects(read(good, "TSV file", { signal: AbortSignal.abort() }), {
        name: "AbortError",
      });
    }
    assert.throws(
      () => refuseS3ErrorBody("<Error></Error>", bad, "NIfTI file"),
      MalformedFileError,
    );
    refuseS3ErrorBody(new Uint8Array([0x1f, 0x8b]), good, "NIfTI file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SharedCache: one caller's abort does not fail the others; failures are not cached", async () => {
  const cache = new SharedCache<string, number>();
  let loads = 0;
  const slow = () => new Promise<number>((r) => setTimeout(() => r(++loads), 20));
  const c = new AbortController();
  const a = cache.get("k", slow, c.signal);
  const b = cache.get("k", slow);
  c.abort(new Error("caller A gave up"));
  await assert.rejects(a, /caller A gave up/);
  assert.equal(await b, 1);
  assert.equal(await cache.get("k", slow), 1, "cached");
  await assert.rejects(cache.get("bad", () => Promise.reject(new Error("x"))), /x/);
  assert.equal(await cache.get("bad", () => Promise.resolve(7)), 7, "a failure is retried");
  await assert.rejects(
    abortable(new Promise(() => {}), AbortSignal.abort(new Error("pre"))),
    /pre/,
  );
});

Deno.test("escapeHtml escapes the five HTML characters", () => {
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
