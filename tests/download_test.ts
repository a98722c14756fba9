// download(): filters, plan, consent, and transfers against the local RGW
// through a fault-injecting loopback proxy (tests/fault_proxy.ts).
// deno task test
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  download,
  type DownloadOptions,
  HeldOutSessionError,
  LicenseNotAcceptedError,
  loadSubject,
  MalformedFileError,
  setWarningHandler,
  SubjectNotFoundError,
} from "../mod.ts";
import { type DownloadProgress, ensureConsent, planDownload } from "../lib/download/mod.ts";
import { bidsifyLocalKey, isHeldOutKey } from "../lib/core/ids.ts";
import { S3Source } from "../lib/bucket/mod.ts";
import { main } from "../cli.ts";
import { configureBucket } from "../lib/bucket/cached_source.ts";
import { DataDirNotWritableError } from "../lib/core/errors.ts";
import { splitList } from "../lib/cli/args.ts";
import { matchesFilters } from "../lib/download/filters.ts";
import { localPathFor } from "../lib/download/plan.ts";
import { barEnabled } from "../lib/download/progress.ts";
import { tempName } from "../lib/download/transfer/temp_files.ts";
import { FaultProxy } from "./fault_proxy.ts";
import { localEndpoint, repoPath, synthDir, withWarnings } from "./_helpers.ts";

const SES_KEY = "derivatives/glmsingle-tedana/sub-03/ses-04/func/" +
  "sub-03_ses-04_task-images_space-T1w_stat-effect_desc-SingletrialBetas_statmap.nii.gz";
const SUB_KEY = "derivatives/glmsingle-tedana/sub-03/" +
  "sub-03_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz";
const GLM = "derivatives/glmsingle-tedana/";

async function tempDataDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "laion-dl-" });
}

/** Runs `fn` with a fault proxy in front of the local RGW and a temp data dir, then cleans up. */
async function withProxy(fn: (proxy: FaultProxy, dataDir: string) => Promise<void>): Promise<void> {
  const proxy = new FaultProxy(localEndpoint());
  const dataDir = await tempDataDir();
  try {
    await fn(proxy, dataDir);
  } finally {
    await proxy.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Every file under `dir` (relative paths), `.laion_fmri/` excluded. */
async function walk(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (r === ".laion_fmri") continue;
    if (e.isDirectory) out.push(...await walk(dir, r));
    else out.push(r);
  }
  return out.sort();
}

/**
 * Asserts that the data dir holds exactly `keys` (bidsified), each
 * byte-identical to the synthetic bucket, and no temp file anywhere.
 */
async function assertMirror(dataDir: string, keys: string[], killed = false): Promise<void> {
  // A process killed between creating a temp file and locking it leaves an
  // empty `.part.new` that later runs remove once it is 10 s old.
  const files = (await walk(dataDir)).filter((f) => !(killed && f.endsWith(".part.new")));
  assert.deepEqual(files.filter((f) => f.endsWith(".part")), [], "no temp file left");
  assert.deepEqual(files, keys.map(bidsifyLocalKey).sort());
  for (const key of keys) {
    const want = await Deno.readFile(join(synthDir(), "bucket", key));
    const got = await Deno.readFile(join(dataDir, bidsifyLocalKey(key)));
    assert.ok(want.length === got.length && want.every((b, i) => b === got[i]), `${key} differs`);
  }
}

const ACCEPT = { acceptLicense: true, quiet: true } as const;

// ---------------------------------------------------------------- filters

Deno.test("matchesFilters: upstream 10.10 cases", () => {
  const m = matchesFilters;
  assert.ok(m(SES_KEY, {}) && m(SUB_KEY, {}));
  for (const ses of ["04", "ses-04", ["04", "05"], ["ses-02", "04"]]) {
    assert.ok(m(SES_KEY, { ses }));
  }
  for (const ses of ["05", "ses-05", ["02", "03"], "4", "ses-4"]) assert.ok(!m(SES_KEY, { ses }));
  assert.ok(!m(SUB_KEY, { ses: "04" }), "strict ses excludes subject-level files");
  assert.ok(m(SUB_KEY, { ses: "averages" }) && !m(SES_KEY, { ses: "averages" }));
  assert.ok(m(SUB_KEY, { ses: ["04", "averages"] }) && m(SES_KEY, { ses: ["04", "averages"] }));
  assert.ok(m("participants.tsv", { task: "images" }), "permissive: no task token passes");
  assert.ok(m(SES_KEY, { task: "images" }) && m(SES_KEY, { task: "task-images" }));
  assert.ok(!m(SES_KEY, { task: "rest" }));
  assert.ok(m(SES_KEY, { space: "T1w" }) && !m(SES_KEY, { space: "MNI" }));
  assert.ok(m(SES_KEY, { desc: "SingletrialBetas" }) && !m(SES_KEY, { desc: "singletrial" }));
  assert.ok(!m(SUB_KEY, { desc: "R2" }) && m(SUB_KEY, { desc: "desc-R2mean" }));
  assert.ok(m(SES_KEY, { stat: "effect" }) && !m(SES_KEY, { stat: "rsquare" }));
  assert.ok(m(SES_KEY, { suffix: "statmap" }) && !m(SES_KEY, { suffix: ["trials", "mask"] }));
  assert.ok(m(SES_KEY, { extension: "nii.gz" }) && m(SES_KEY, { extension: ".nii.gz" }));
  assert.ok(!m(SES_KEY, { extension: "gz" }) && !m(SES_KEY, { extension: "nii" }));
  assert.ok(m("a/x_mask.func.gii", { suffix: "mask", extension: "func.gii" }));
  assert.ok(m("README", { suffix: "README", extension: "" }));
  assert.ok(m(SES_KEY, { ses: "04", task: "images", stat: "effect", suffix: "statmap" }));
  assert.ok(!m(SES_KEY, { ses: "04", task: "images", stat: "rsquare" }), "AND of all filters");
  assert.ok(m("x/ses-04/func/no_session_in_name.tsv", { ses: "04" }), "directory tokens count");
});

Deno.test("localPathFor: bidsified, inside the data dir only", () => {
  assert.equal(
    localPathFor("/data", "derivatives/rois/sub-01/face/sub-01_label-pSTS-faces_mask.nii.gz"),
    "/data/derivatives/rois/sub-01/face/sub-01_label-pSTSfaces_mask.nii.gz",
  );
  for (
    const bad of ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "dir/", ".laion_fmri/x"]
  ) {
    assert.equal(localPathFor("/data", bad), undefined, bad);
  }
});

Deno.test("tempName: hidden, never the same twice in one process, recognised as a temp file", () => {
  const names = Array.from({ length: 5000 }, () => tempName("/data/sub-01/x.nii.gz", "abc-2"));
  assert.equal(new Set(names).size, names.length);
  const re = new RegExp(`^/data/sub-01/\\.x\\.nii\\.gz\\.abc-2\\.${Deno.pid}-[0-9a-f]+\\.part$`);
  for (const n of names) assert.match(n, re);
});

// ---------------------------------------------------------------- plans on the synthetic bucket

Deno.test("planDownload: upstream key selection on the synthetic bucket", async () => {
  const source = new S3Source({ endpoint: localEndpoint() });
  const dataDir = await tempDataDir();
  const keys = async (o: Partial<DownloadOptions>) => {
    const [plan, warnings] = await withWarnings(() =>
      planDownload({ subject: "01", dataDir, source, ...o })
    );
    return { keys: plan.files.map((f) => f.key), warnings, plan };
  };
  const all = await keys({});
  assert.ok(all.keys.every((k) => !isHeldOutKey(k)), "held-out keys removed");
  assert.deepEqual(all.keys.slice(0, 4), [
    "dataset_description.json",
    "participants.tsv",
    "participants.json",
    "README",
  ]);
  const rois = all.keys.filter((k) => k.startsWith("derivatives/rois/sub-01/"));
  assert.ok(rois.length > 100);
  assert.ok(all.plan.files.every((f) => f.path === join(dataDir, bidsifyLocalKey(f.key))));
  assert.ok(all.plan.files.some((f) => f.key.includes("label-FFA-1") && f.path.includes("FFA1")));

  const ses1 = await keys({ ses: "ses-01" });
  const glm = ses1.keys.filter((k) => k.startsWith(GLM));
  assert.ok(
    glm.includes(
      `${GLM}sub-01/sub-01_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`,
    ),
  );
  assert.ok(glm.filter((k) => !k.includes("R2mean")).every((k) => k.includes("/ses-01/")));
  assert.equal(glm.length, 4, "three session files + the pinned brain mask");
  assert.deepEqual(
    ses1.keys.filter((k) => k.startsWith("derivatives/rois/")),
    rois,
    "ROIs ignore ses",
  );

  const averages = await keys({ ses: "averages" });
  assert.deepEqual(
    averages.keys.filter((k) => k.startsWith(GLM)).map((k) => k.split("/").length),
    [4, 4, 4, 4],
    "only subject-level files",
  );

  // ses-31 is never planned: asking for it is an error naming it (it once planned only the ROIs).
  await assert.rejects(() => keys({ ses: "31" }), HeldOutSessionError);

  const narrow = await keys({
    ses: ["01", "02"],
    suffix: ["statmap", "trials"],
    desc: "SingletrialBetas",
  });
  assert.equal(narrow.keys.length, 4 + 4 + 1, "root + 2×(betas, trials) + brain mask");

  const stim = await keys({ ses: "01", includeStimuli: true, suffix: "mask", extension: "nii.gz" });
  assert.ok(stim.keys.some((k) => k.startsWith("derivatives/rois/")));
  assert.ok(
    stim.warnings.includes(
      "No objects matching the requested filters under s3://laion-fmri/stimuli/.",
    ),
  );

  const everyone = await planDownload({ subject: "all", dataDir, source, suffix: "trials" });
  assert.deepEqual(everyone.subjects, ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]);

  const empty = new S3Source({ endpoint: localEndpoint(), bucket: "laion-fmri-pagination" });
  await withWarnings(() =>
    assert.rejects(
      () => planDownload({ subject: "all", dataDir, source: empty }),
      SubjectNotFoundError,
    )
  );
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("session filter: `session`, upstream's alias `ses`, never both", async () => {
  const source = new S3Source({ endpoint: localEndpoint() });
  const dataDir = await tempDataDir();
  try {
    assert.ok(
      matchesFilters(SES_KEY, { session: "04" }) && !matchesFilters(SES_KEY, { session: "05" }),
    );
    assert.ok(matchesFilters(SUB_KEY, { session: "averages" }));
    assert.throws(() => matchesFilters(SES_KEY, { session: "04", ses: "04" }), TypeError);
    const keys = async (o: Partial<DownloadOptions>) =>
      (await planDownload({ subject: "01", dataDir, source, suffix: "trials", ...o })).files
        .map((f) => f.key);
    const bySession = await keys({ session: ["01", "ses-02"] });
    assert.deepEqual(await keys({ ses: ["01", "ses-02"] }), bySession);
    assert.equal(bySession.filter((k) => k.endsWith("_trials.tsv")).length, 2);
    assert.ok(
      bySession.some((k) => k.includes("R2mean")),
      "`session` pins the brain mask as `ses` does",
    );
    await assert.rejects(() => keys({ session: "01", ses: "01" }), TypeError);
    // download(): the TypeError comes before the prompt and before any request.
    const before = { ...source.stats };
    let asked = 0;
    await assert.rejects(
      () =>
        download({
          subject: "01",
          session: "01",
          ses: "02",
          dataDir,
          source,
          quiet: true,
          prompt: () => (asked++, "I AGREE"),
        }),
      (e: unknown) => e instanceof TypeError && /"session" or as its alias "ses"/.test(e.message),
    );
    assert.equal(asked, 0);
    assert.deepEqual(source.stats, before);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("download(): the session filter's listings are read once (not again by the planner)", async () => {
  const source = new S3Source({ endpoint: localEndpoint() });
  const listed: string[] = [];
  const list = source.list.bind(source);
  source.list = (prefix, o) => {
    if (o?.delimiter) listed.push(prefix);
    return list(prefix, o);
  };
  const dataDir = await tempDataDir();
  try {
    await download({
      subject: "01",
      session: "1",
      suffix: "trials",
      dataDir,
      source,
      quiet: true,
      acceptLicense: true,
    });
    // Before: checked by download() and again by the planner, so the sessions were listed twice.
    assert.equal(listed.filter((p) => p === `${GLM}sub-01/`).length, 1, listed.join(", "));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------- consent

Deno.test("consent: refused, no terminal, given; nothing fetched before consent", async () => {
  const dataDir = await tempDataDir();
  const source = new S3Source({ endpoint: localEndpoint() });
  const asked: string[] = [];
  await assert.rejects(
    () =>
      download({
        subject: "01",
        dataDir,
        source,
        quiet: true,
        prompt: (t) => (asked.push(t), "i agree"),
      }),
    (e: unknown) =>
      e instanceof LicenseNotAcceptedError && /license must be accepted/.test(e.message),
  );
  assert.equal(asked.length, 3, "asked again after a wrong answer, 3 times in all");
  assert.match(asked[0], /creativecommons\.org\/publicdomain\/zero\/1\.0/);
  assert.deepEqual(source.stats, { list: 0, head: 0, get: 0, retries: 0 }, "no request");
  await assert.rejects(
    () => download({ subject: "01", dataDir, source, quiet: true }),
    (e: unknown) => e instanceof LicenseNotAcceptedError && /--accept-license/.test(e.message),
  );
  // License accepted, stimulus terms refused: the license marker stays, nothing fetched
  // (only the root listing that tells the seed layout, whose stimuli/ needs those terms).
  const texts: string[] = [];
  await assert.rejects(
    () =>
      download({
        subject: "01",
        dataDir,
        source,
        quiet: true,
        includeStimuli: true,
        prompt: (t) => (texts.push(t), texts.length === 1 ? "I AGREE" : "no"),
      }),
    (e: unknown) => e instanceof LicenseNotAcceptedError && /Terms of use/.test(e.message),
  );
  assert.match(texts[1], /laion-fmri\.hebartlab\.com\/terms/);
  assert.deepEqual([source.stats.get, source.stats.list], [0, 1]);
  await Deno.stat(join(dataDir, ".laion_fmri", "license_accepted"));
  await assert.rejects(() => Deno.stat(join(dataDir, ".laion_fmri", "stimuli_terms_accepted")));
  // Marker present: no prompt for the license.
  const s = await download({
    subject: "01",
    dataDir,
    source,
    quiet: true,
    suffix: "trials",
    ses: "01",
    prompt: () => {
      throw new Error("must not prompt");
    },
  });
  assert.equal(s.failures.length, 0);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("consent: a wrong answer is asked again, 3 times in all; end of input or abort stops", async () => {
  const dataDir = await tempDataDir();
  const marker = (name: string) => join(dataDir, ".laion_fmri", name);
  try {
    const answers = ["i agree", "I agree", " I AGREE "];
    const asked: string[] = [];
    await ensureConsent({ dataDir, prompt: (t) => (asked.push(t), answers[asked.length - 1]) });
    assert.equal(asked.length, 3, "accepted at the third try");
    assert.match(asked[0], /creativecommons/);
    assert.match(asked[1], /exactly "I AGREE"[^]*try 2 of 3/);
    assert.match(asked[2], /try 3 of 3/);
    await Deno.stat(marker("license_accepted"));

    const terms: string[] = [];
    await assert.rejects(
      () => ensureConsent({ dataDir, includeStimuli: true, prompt: (t) => (terms.push(t), "yes") }),
      (e: unknown) => e instanceof LicenseNotAcceptedError && /Terms of use/.test(e.message),
    );
    assert.equal(terms.length, 3, "refused after 3 wrong answers, not before");
    await assert.rejects(() => Deno.stat(marker("stimuli_terms_accepted")));

    let eof = 0;
    await assert.rejects(
      () => ensureConsent({ dataDir, includeStimuli: true, prompt: () => (eof++, null) }),
      LicenseNotAcceptedError,
    );
    assert.equal(eof, 1, "end of input: no second question");

    const abort = new AbortController();
    const waiting = ensureConsent({
      dataDir,
      includeStimuli: true,
      prompt: () => new Promise<string>(() => {}),
      signal: abort.signal,
    });
    abort.abort(new Error("stopped"));
    await assert.rejects(waiting, /stopped/);
    await assert.rejects(() => Deno.stat(marker("stimuli_terms_accepted")));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------- transfers with faults

Deno.test("download through faults: resets, stall, SlowDown bursts, short bodies, 403; then skip without GET", async () => {
  await withProxy(async (proxy, dataDir) => {
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    const betas = (ses: string) => (r: { key: string; method: string }) =>
      r.method === "GET" && r.key.includes(`_${ses}_`) && r.key.endsWith("Betas_statmap.nii.gz");
    proxy.addFault({ kind: "reset", afterBytes: 30_000, match: betas("ses-01"), times: 2 });
    proxy.addFault({ kind: "stall", afterBytes: 20_000, stallMs: 10_000, match: betas("ses-02") });
    proxy.addFault({ kind: "truncate", afterBytes: 40_000, match: betas("ses-03") });
    proxy.addFault({ kind: "slowdown", times: 8, match: (r) => r.key.endsWith("_trials.tsv") });
    proxy.addFault({ kind: "forbidden", match: (r) => r.key === "participants.json" });
    const filters = { subject: "sub-01", suffix: ["statmap", "trials"], ...ACCEPT };
    const [s, warnings] = await withWarnings(() =>
      download({ ...filters, dataDir, source, stallTimeoutMs: 700, minDelayMs: 20 })
    );
    const plan = await planDownload({ ...filters, dataDir, source });
    const keys = plan.files.map((f) => f.key).filter((k) => k !== "participants.json");
    assert.deepEqual(s.failures, []);
    assert.deepEqual(s.accessDenied, ["participants.json"]);
    assert.deepEqual(warnings.filter((w) => !w.startsWith("No objects matching")), [
      "Access denied for s3://laion-fmri/participants.json; skipping (the bucket's deny rule " +
      "blocks public GET on this key).",
    ]);
    assert.equal(s.matched, keys.length + 1);
    assert.equal(s.downloaded, keys.length);
    await assertMirror(dataDir, keys);
    const ranged = proxy.gets().filter((r) => (r.rangeStart ?? 0) > 0);
    assert.ok(ranged.length >= 3, "interrupted bodies resumed with a Range request");
    assert.ok(ranged.every((r) => r.status === 206 && r.ifMatch), "resumes are If-Match guarded");
    assert.ok(proxy.requests.every((r) => !isHeldOutKey(r.key)), "held-out keys never requested");
    assert.ok(source.stats.retries >= 4, "SlowDown retried");

    // Second run: everything complete -> skipped with no GET at all.
    const before = source.stats.get;
    const again = await download({ ...filters, dataDir, source });
    assert.equal(source.stats.get - before, 1, "only the (earlier denied) missing key is fetched");
    assert.equal(again.skipped, keys.length);
    assert.equal(again.downloaded, 1);
    await assertMirror(dataDir, [...keys, "participants.json"]);
  });
});

Deno.test("partial temp files: resumed (206), restarted on 200 / wrong Content-Range / 412 / bad bytes", async () => {
  await withProxy(async (proxy, dataDir) => {
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    const filters = { subject: "01", ses: "01", ...ACCEPT };
    const plan = await planDownload({ ...filters, dataDir, source });
    const big = plan.files.filter((f) => f.size > 20_000);
    assert.ok(big.length >= 1);
    const small = plan.files.filter((f) => f.size > 1000 && f.size <= 20_000).slice(0, 4);
    assert.equal(small.length, 4);
    const deadPid = 999_999_999; // no such process
    const partial = async (f: typeof plan.files[0], bytes: Uint8Array) => {
      await Deno.mkdir(join(f.path, ".."), { recursive: true });
      const name = f.path.slice(f.path.lastIndexOf("/") + 1);
      await Deno.writeFile(join(f.path, "..", `.${name}.${f.etag}.${deadPid}-abc123.part`), bytes);
    };
    const original = (f: typeof plan.files[0]) => Deno.readFile(join(synthDir(), "bucket", f.key));
    // 1. a good half: resumed with 206
    await partial(big[0], (await original(big[0])).slice(0, big[0].size >> 1));
    // 2. server ignores the Range (200): restart
    await partial(small[0], (await original(small[0])).slice(0, 500));
    proxy.addFault({ kind: "norange", match: (r) => r.key === small[0].key });
    // 3. wrong Content-Range: restart
    await partial(small[1], (await original(small[1])).slice(0, 500));
    proxy.addFault({ kind: "range", wrongStart: 7, match: (r) => r.key === small[1].key });
    // 4. 412 Precondition Failed: restart without If-Match
    await partial(small[2], (await original(small[2])).slice(0, 500));
    proxy.addFault({ kind: "status", status: 412, match: (r) => r.key === small[2].key });
    // 5. wrong bytes in the partial file: MD5 mismatch -> fetched again
    await partial(small[3], new Uint8Array(600).fill(7));
    // 6. a temp file locked by a live transfer (here: this process) is left alone
    const liveName = `.${big[0].path.slice(big[0].path.lastIndexOf("/") + 1)}.${
      big[0].etag
    }.${Deno.pid}-feed.part`;
    const live = join(big[0].path, "..", liveName);
    await Deno.writeFile(live, new Uint8Array(10));
    const liveFile = await Deno.open(live, { read: true, write: true });
    await liveFile.lock(true);

    const s = await download({ ...filters, dataDir, source });
    assert.deepEqual(s.failures, []);
    assert.equal(s.resumed, 5);
    const ranges = proxy.gets().filter((r) => r.rangeStart !== undefined);
    assert.ok(
      ranges.some((r) =>
        r.key === big[0].key && r.rangeStart === big[0].size >> 1 && r.status === 206
      ),
    );
    assert.ok(
      proxy.gets().some((r) => r.key === small[0].key && r.rangeStart === 500 && r.status === 200),
      "Range ignored: the 200 body is taken from the start",
    );
    for (const f of small.slice(1, 3)) {
      assert.ok(proxy.gets().some((r) => r.key === f.key && r.rangeStart === undefined), f.key);
    }
    assert.ok(
      proxy.gets().filter((r) => r.key === small[3].key).length >= 2,
      "bad partial bytes: fetched again",
    );
    liveFile.close();
    assert.deepEqual(await Deno.readFile(live), new Uint8Array(10), "live temp untouched");
    await Deno.remove(live);
    await assertMirror(dataDir, plan.files.map((f) => f.key));
  });
});

Deno.test("a failing root file does not abort the others; failures are reported", async () => {
  await withProxy(async (proxy, dataDir) => {
    const source = new S3Source({ endpoint: proxy.url, maxAttempts: 2, minDelayMs: 5 });
    proxy.addFault({ kind: "status", status: 404, match: (r) => r.key === "README" });
    proxy.addFault({
      kind: "status",
      status: 500,
      times: 100,
      match: (r) => r.key === "participants.tsv",
    });
    const filters = { subject: "01", ses: "01", suffix: "trials", ...ACCEPT };
    const [s, warnings] = await withWarnings(() =>
      download({ ...filters, dataDir, source, maxAttempts: 2, minDelayMs: 5 })
    );
    assert.deepEqual(s.failures.map((f) => f.key).sort(), ["README", "participants.tsv"]);
    assert.match(s.failures.find((f) => f.key === "README")!.error, /404/);
    const failed = warnings.filter((w) => !w.startsWith("No objects matching"));
    assert.equal(failed.length, 1);
    assert.match(failed[0], /2 file\(s\) could not be downloaded/);
    assert.equal(s.downloaded, 4, "participants.json, trials, the brain mask... and nothing else");
    const files = await walk(dataDir);
    assert.deepEqual(files.filter((f) => f.endsWith(".part")), []);
    assert.ok(!files.includes("README") && !files.includes("participants.tsv"));
    assert.ok(files.includes("participants.json"));
  });
});

Deno.test("large files in parallel ranged segments: faults, then interrupted and resumed", async () => {
  await withProxy(async (proxy, dataDir) => {
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    const segmented = {
      segmentBytes: 16_384,
      partsPerFile: 3,
      stallTimeoutMs: 700,
      minDelayMs: 20,
    };
    const filters = { subject: "01", suffix: "statmap", stat: "effect", ...ACCEPT };
    const plan = await planDownload({ ...filters, dataDir, source });
    const betas = plan.files.filter((f) => f.size >= 2 * 16_384);
    assert.equal(betas.length, 3);
    const ranged = (r: { key: string; rangeStart?: number }) =>
      r.key.endsWith("Betas_statmap.nii.gz") && (r.rangeStart ?? 0) > 0;
    proxy.addFault({ kind: "reset", afterBytes: 5_000, match: ranged, times: 2 });
    proxy.addFault({ kind: "stall", afterBytes: 3_000, stallMs: 10_000, match: ranged });
    proxy.addFault({ kind: "slowdown", times: 2, match: ranged });

    // Interrupt at about 40% of the bytes (throttled so it happens mid-file).
    proxy.bytesPerSecond = 150_000;
    const abort = new AbortController();
    const total = plan.files.reduce((n, f) => n + f.size, 0);
    await assert.rejects(() =>
      download({
        ...filters,
        ...segmented,
        dataDir,
        source,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.receivedBytes >= 0.4 * total) abort.abort(new Error("interrupted"));
        },
      })
    );
    const left = (await walk(dataDir)).filter((f) => f.endsWith(".part") || f.endsWith(".map"));
    assert.ok(left.some((f) => f.endsWith(".part.map")), `segment maps kept: ${left}`);

    proxy.bytesPerSecond = undefined;
    const s = await download({ ...filters, ...segmented, dataDir, source });
    assert.deepEqual(s.failures, []);
    assert.ok(s.resumed >= 1, "segmented temp files resumed");
    assert.ok(s.bytes < total, `the resumed run fetched ${s.bytes} of ${total} bytes`);
    assert.ok(proxy.gets().filter(ranged).length >= betas.length * 2, "segments as ranged GETs");
    await assertMirror(dataDir, plan.files.map((f) => f.key));
  });
});

// ---------------------------------------------------------------- processes

const CHILD_FLAGS = ["--allow-net=127.0.0.1", "--allow-env", "--allow-read", "--allow-write"];

async function childEnv(dataDir: string): Promise<Record<string, string>> {
  const xdg = await Deno.makeTempDir({ prefix: "laion-dl-xdg-" });
  await Deno.mkdir(join(xdg, "laion_fmri"), { recursive: true });
  await Deno.writeTextFile(
    join(xdg, "laion_fmri", "config.json"),
    JSON.stringify({ data_dir: dataDir }),
  );
  return { XDG_CONFIG_HOME: xdg, NO_COLOR: "1", CI: "true" };
}

function cliChild(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...CHILD_FLAGS, repoPath("cli.ts"), "download", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** True when util-linux `script` is there to give a child a pseudo-terminal. */
async function hasScript(): Promise<boolean> {
  try {
    return (await new Deno.Command("script", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

Deno.test("consent on a terminal: Deno's prompt(), asked again after a wrong answer", async (t) => {
  if (!(await hasScript())) {
    t.step({ name: "skipped: no `script` for a pseudo-terminal", ignore: true, fn: () => {} });
    return;
  }
  const dataDir = await tempDataDir();
  const env = await childEnv(dataDir);
  const cmd = [Deno.execPath(), "run", ...CHILD_FLAGS, repoPath("cli.ts"), "download"]
    .concat(["--subject", "01", "--session", "01", "--suffix", "trials", "--quiet"])
    .concat(["--endpoint", localEndpoint()]);
  const child = new Deno.Command("script", {
    args: ["-qefc", cmd.map((a) => `'${a}'`).join(" "), "/dev/null"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const waitFor = async (pattern: RegExp) => {
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      while (!pattern.test(seen)) {
        const { done, value } = await reader.read();
        if (done) assert.fail(`no ${pattern} in the terminal output:\n${seen}`);
        seen += value;
      }
    } finally {
      clearTimeout(deadline);
    }
  };
  try {
    await waitFor(/Type "I AGREE" to accept and continue/);
    assert.match(seen, /creativecommons\.org/);
    await input.write(new TextEncoder().encode("i agree\r"));
    await waitFor(/try 2 of 3/);
    await input.write(new TextEncoder().encode("I AGREE\r"));
    await waitFor(/Matched \d+ file\(s\)/);
    const status = await child.status;
    assert.equal(status.code, 0, seen);
    await Deno.stat(join(dataDir, ".laion_fmri", "license_accepted"));
  } finally {
    await input.close().catch(() => {});
    await reader.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(env.XDG_CONFIG_HOME, { recursive: true });
  }
});

Deno.test("kill -9 mid-download, then a second run resumes and re-transfers no finished file", async () => {
  await withProxy(async (proxy, dataDir) => {
    proxy.bytesPerSecond = 40_000;
    const env = await childEnv(dataDir);
    const args = ["--subject", "01", "--suffix", "statmap,trials", "--accept-license", "--quiet"];
    const child = cliChild([...args, "--endpoint", proxy.url], env);
    let finished: string[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const files = await walk(dataDir).catch(() => [] as string[]);
      finished = files.filter((f) => !f.endsWith(".part"));
      const partials = files.filter((f) => f.endsWith(".part"));
      let partialBytes = 0;
      for (const p of partials) {
        partialBytes += (await Deno.stat(join(dataDir, p)).catch(() => ({ size: 0 }))).size;
      }
      if (finished.length >= 6 && partialBytes > 10_000) break;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.output();
        assert.fail(`child made no progress: ${files}`);
      }
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.signal, "SIGKILL");
    const left = (await walk(dataDir)).filter((f) => f.endsWith(".part"));
    assert.ok(left.length > 0, "temp files left by the killed run");

    proxy.bytesPerSecond = undefined;
    const seen = proxy.requests.length;
    const source = new S3Source({ endpoint: proxy.url });
    const s = await download({
      subject: "01",
      suffix: ["statmap", "trials"],
      dataDir,
      source,
      ...ACCEPT,
    });
    const second = proxy.requests.slice(seen).filter((r) => r.method === "GET" && r.key !== "");
    const finishedKeys = new Set(finished.map((f) => f));
    assert.deepEqual(
      second.filter((r) => finishedKeys.has(bidsifyLocalKey(r.key))).map((r) => r.key),
      [],
      "no finished file requested again",
    );
    assert.ok(s.resumed >= 1 && second.some((r) => (r.rangeStart ?? 0) > 0 && r.status === 206));
    const plan = await planDownload({
      subject: "01",
      suffix: ["statmap", "trials"],
      dataDir,
      source,
    });
    await assertMirror(dataDir, plan.files.map((f) => f.key), true);
    await Deno.remove(env.XDG_CONFIG_HOME, { recursive: true });
  });
});

Deno.test("two processes download one subject at once: both complete, files identical", async () => {
  await withProxy(async (proxy, dataDir) => {
    proxy.bytesPerSecond = 400_000;
    const env = await childEnv(dataDir);
    const child = cliChild(
      [
        "--subject",
        "sub-01",
        "--ses",
        "01,02",
        "--accept-license",
        "--quiet",
        "--endpoint",
        proxy.url,
      ],
      env,
    );
    const source = new S3Source({ endpoint: proxy.url });
    const opts = { subject: "sub-01", ses: ["01", "02"], dataDir, source, ...ACCEPT };
    const [mine, out] = await Promise.all([download(opts), child.output()]);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stdout), /^Matched \d+ file\(s\)/);
    assert.deepEqual(mine.failures, []);
    const plan = await planDownload(opts);
    await assertMirror(dataDir, plan.files.map((f) => f.key));
    await Deno.remove(env.XDG_CONFIG_HOME, { recursive: true });
  });
});

Deno.test("progress: the callback reaches the total; no bar off a terminal, under CI or quiet", async () => {
  const dataDir = await tempDataDir();
  try {
    const source = new S3Source({ endpoint: localEndpoint() });
    const seen: DownloadProgress[] = [];
    const s = await download({
      subject: "01",
      ses: "02",
      suffix: "statmap",
      dataDir,
      source,
      ...ACCEPT,
      onProgress: (p) => seen.push(p),
    });
    const last = seen.at(-1)!;
    assert.equal(last.doneFiles, s.matched);
    assert.equal(last.totalFiles, s.matched);
    assert.equal(last.doneBytes, last.totalBytes);
    assert.equal(last.receivedBytes, s.bytes);
    assert.ok(seen.every((p, i) => i === 0 || p.doneFiles >= seen[i - 1].doneFiles));
    assert.equal(barEnabled(true), false);
    const ci = Deno.env.get("CI");
    Deno.env.set("CI", "true");
    try {
      assert.equal(barEnabled(false), false);
    } finally {
      if (ci === undefined) Deno.env.delete("CI");
      else Deno.env.set("CI", ci);
    }
    if (!Deno.stderr.isTerminal()) assert.equal(barEnabled(false), false);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

// ---------------------------------------------------------------- CLI

Deno.test("a same-size corrupted file: kept by default, repaired by verify (API and CLI); force refetches all", async () => {
  const warnings = setWarningHandler(() => {}); // "no ROI matched the suffix filter"
  await withProxy(async (proxy, dataDir) => {
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    const filters = { subject: "01", ses: "01", suffix: ["trials", "statmap"], ...ACCEPT };
    const first = await download({ ...filters, dataDir, source });
    assert.deepEqual(first.failures, []);
    const keys = (await planDownload({ ...filters, dataDir, source })).files.map((f) => f.key);
    const trials = keys.find((k) => k.endsWith("_trials.tsv"))!;
    const betas = keys.find((k) => k.endsWith("SingletrialBetas_statmap.nii.gz"))!;
    const want = await Deno.readFile(join(synthDir(), "bucket", trials));

    // Same size, other bytes: an S3 error body where the table was.
    const xml = '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>';
    const corrupt = new TextEncoder().encode(xml.padEnd(want.length, " "));
    assert.equal(corrupt.length, want.length);
    await Deno.writeFile(join(dataDir, bidsifyLocalKey(trials)), corrupt);
    const sub = await loadSubject("sub-01", { dataDir });
    await assert.rejects(() => sub.getTrialInfo({ session: "ses-01" }), (e: unknown) => {
      assert.ok(e instanceof MalformedFileError);
      // The advice names the option that repairs it, in both forms.
      assert.match(e.message, /download\(\{ subject: "sub-01", ses: "ses-01", verify: true/);
      assert.match(e.message, /laion-fmri download --subject sub-01 --ses ses-01 --verify/);
      return true;
    });

    // The default run trusts size and manifest: no GET, the file stays corrupt.
    const before = proxy.gets().length;
    const plain = await download({ ...filters, dataDir, source });
    assert.equal(proxy.gets().length, before);
    assert.equal(plain.skipped, keys.length);
    assert.deepEqual(plain.repaired, []);

    // verify re-hashes and fetches again only what differs.
    const verified = await download({ ...filters, dataDir, source, verify: true });
    assert.deepEqual(verified.repaired, [trials]);
    assert.equal(verified.downloaded, 1);
    assert.equal(verified.skipped, keys.length - 1);
    assert.deepEqual(proxy.gets().slice(before).map((r) => r.key), [trials]);
    await assertMirror(dataDir, keys);
    assert.equal((await sub.getTrialInfo({ session: "ses-01" })).height > 0, true);

    // The CLI flag: a corrupted byte inside the gzip stream, same size.
    const path = join(dataDir, bidsifyLocalKey(betas));
    const bytes = await Deno.readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await Deno.writeFile(path, bytes);
    const config = await Deno.makeTempDir({ prefix: "laion-cfg-" });
    const xdg = Deno.env.get("XDG_CONFIG_HOME");
    const out: string[] = [];
    const log = console.log;
    Deno.env.set("XDG_CONFIG_HOME", config);
    console.log = (m: string) => out.push(m);
    try {
      assert.equal(await main(["config", "--data-dir", dataDir]), 0);
      const cli = ["download", "--subject", "01", "--ses", "01", "--suffix", "trials,statmap"];
      const flags = ["--accept-license", "--quiet", "--endpoint", proxy.url];
      assert.equal(await main([...cli, ...flags, "--verify"]), 0);
      const text = out.join("\n");
      assert.match(text, /Repaired \(local bytes differed from the bucket\): 1/);
      assert.ok(text.includes(`Repaired: ${betas}`), text);
      await assertMirror(dataDir, keys);
      out.length = 0;
      assert.equal(await main([...cli, ...flags, "--force"]), 0);
      assert.match(
        out.join("\n"),
        new RegExp(`Matched ${keys.length} file\\(s\\): ${keys.length} downloaded`),
      );
    } finally {
      console.log = log;
      if (xdg === undefined) Deno.env.delete("XDG_CONFIG_HOME");
      else Deno.env.set("XDG_CONFIG_HOME", xdg);
      configureBucket({});
      await Deno.remove(config, { recursive: true });
    }

    // force fetches every file again, skipping none.
    const n = proxy.gets().length;
    const forced = await download({ ...filters, dataDir, source, force: true });
    assert.equal(forced.downloaded, keys.length);
    assert.equal(forced.skipped, 0);
    assert.equal(proxy.gets().length - n, keys.length);
    await assertMirror(dataDir, keys);
  }).finally(() => setWarningHandler(warnings));
});

Deno.test("verify of a multipart upload: checked against the MD5 recorded at download", async () => {
  const warnings = setWarningHandler(() => {});
  await withProxy(async (proxy, dataDir) => {
    proxy.multipartEtags = true;
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    const filters = { subject: "01", ses: "01", suffix: "trials", ...ACCEPT };
    const plan = await planDownload({ ...filters, dataDir, source });
    assert.ok(plan.files.every((f) => f.etag?.endsWith("-2")), "multipart-style ETags");
    const keys = plan.files.map((f) => f.key);
    assert.deepEqual((await download({ ...filters, dataDir, source })).failures, []);
    await assertMirror(dataDir, keys);
    const trials = keys.find((k) => k.endsWith("_trials.tsv"))!;
    const path = join(dataDir, bidsifyLocalKey(trials));
    const bytes = await Deno.readFile(path);
    bytes[0] ^= 0x20;
    await Deno.writeFile(path, bytes);
    assert.equal((await download({ ...filters, dataDir, source })).skipped, keys.length);
    const before = proxy.gets().length;
    const verified = await download({ ...filters, dataDir, source, verify: true });
    assert.deepEqual(verified.repaired, [trials]);
    assert.equal(verified.skipped, keys.length - 1);
    assert.deepEqual(proxy.gets().slice(before).map((r) => r.key), [trials]);
    await assertMirror(dataDir, keys);

    // A manifest from before MD5s were recorded: nothing to check against, so fetched again.
    const manifest = join(dataDir, ".laion_fmri", "manifest.json");
    const m = JSON.parse(await Deno.readTextFile(manifest));
    delete m.md5;
    await Deno.writeTextFile(manifest, JSON.stringify(m));
    // (A new process: this one keeps its own records.)
    const env = await childEnv(dataDir);
    const args = ["--subject", "01", "--ses", "01", "--suffix", "trials", "--accept-license"];
    const out = await cliChild([...args, "--quiet", "--verify", "--endpoint", proxy.url], env)
      .output();
    await Deno.remove(env.XDG_CONFIG_HOME, { recursive: true });
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, new RegExp(`Matched ${keys.length} file\\(s\\): ${keys.length} downloaded`));
    assert.doesNotMatch(text, /Repaired/);
    await assertMirror(dataDir, keys);
  }).finally(() => setWarningHandler(warnings));
});

Deno.test("an unwritable data directory stops the download with one error naming it, no temp names", async () => {
  const warnings = setWarningHandler(() => {});
  await withProxy(async (proxy, dataDir) => {
    // The system refuses: a file stands where the derivatives folder must go.
    const source = new S3Source({ endpoint: proxy.url, minDelayMs: 10 });
    await Deno.writeTextFile(join(dataDir, "derivatives"), "not a folder");
    const filters = { subject: "01", ses: "01", suffix: "trials", ...ACCEPT };
    await assert.rejects(() => download({ ...filters, dataDir, source }), (e: unknown) => {
      assert.ok(e instanceof DataDirNotWritableError, String(e));
      assert.equal(e.dataDir, dataDir);
      assert.match(e.message, new RegExp(`data directory ${dataDir} is not writable`));
      assert.match(e.message, /Not a directory/);
      assert.doesNotMatch(e.message, /\.part|Run the same download again/);
      return true;
    });

    // Deno refuses: --allow-write covers only the state folder, not the data files.
    await Deno.remove(join(dataDir, "derivatives"));
    const env = await childEnv(dataDir);
    const state = join(dataDir, ".laion_fmri");
    const flags = [
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      `--allow-write=${state}`,
    ];
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...flags,
        repoPath("cli.ts"),
        "download",
        "--subject",
        "01",
        "--ses",
        "01",
        "--suffix",
        "trials",
        "--accept-license",
        "--quiet",
        "--endpoint",
        proxy.url,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(env.XDG_CONFIG_HOME, { recursive: true });
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 1, stderr);
    assert.equal(
      stderr.split("\n").filter((l) => !l.startsWith("Warning:")).join("\n"),
      `laion-fmri: error: Permission needed to write into the data directory ${dataDir}: ` +
        `run deno with --allow-write=${dataDir}`,
    );
  }).finally(() => setWarningHandler(warnings));
});

Deno.test("cli download: help, usage errors exit 1 with one line", async () => {
  const errors: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = () => {};
  console.error = (m: string) => errors.push(m);
  try {
    assert.equal(await main(["download", "--help"]), 0);
    assert.equal(await main(["download"]), 1);
    assert.equal(await main(["download", "--subject", "01", "--concurrency", "0"]), 1);
    assert.equal(
      await main(["download", "--subject", "01", "--session", "01", "--ses", "02"]),
      1,
    );
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.match(errors[0], /^laion-fmri: error: download needs --subject/);
  assert.match(errors[1], /--concurrency must be a positive integer/);
  assert.match(
    errors[2],
    /^laion-fmri: error: give the sessions as "session" or as its alias "ses"/,
  );
  assert.equal(errors.length, 3, "one line each");
});

Deno.test("splitList: comma lists from repeated flags, trimmed, empties dropped", () => {
  assert.deepEqual(splitList([" 01, 02", "03,,", ""]), ["01", "02", "03"]);
  assert.deepEqual(splitList("statmap , trials"), ["statmap", "trials"]);
  assert.deepEqual(splitList(undefined), []);
});
