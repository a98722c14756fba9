// download() and downloadRaw() on the current layout (bucket
// `laion-fmri-current`). Expected key sets come from the generator's tree
// on disk and upstream's `_is_held_out`, written out here, not from our code.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DataNotFoundError,
  datasetInitialize,
  download,
  downloadRaw,
  HeldOutSessionError,
  InvalidChoiceError,
  NoMatchingDataError,
} from "../mod.ts";
import { planDownload, planRawDownload } from "../lib/download/mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { configureBucket } from "../lib/bucket/cached_source.ts";
import { main } from "../lib/cli/main.ts";
import { resetDataDirDrift } from "../lib/download/drift.ts";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { localEndpoint, synthCurrentDir, synthCurrentKeys, withWarnings } from "./_helpers.ts";
import { FORM, withService } from "./_access_fixture.ts";
import { pathExists } from "../lib/core/fs.ts";

const SUB = "sub-03";
const ANAT_MASK = `derivatives/anatomical/${SUB}/ses-PrismaAnat/anat/` +
  `${SUB}_ses-PrismaAnat_space-T1w_res-1pt8_desc-brain_mask.nii.gz`;

function current() {
  return new CachedSource(new S3Source({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET }));
}

/** Upstream's `_is_held_out`, verbatim in logic (§1.11). */
function upstreamHeldOut(key: string): boolean {
  for (const ses of ["ses-31", "ses-32", "ses-33", "ses-34"]) {
    if (key.includes(`/${ses}/`) || key.endsWith(`/${ses}`)) {
      if (!key.startsWith("derivatives/localizers/")) return true;
      return !["oloc"].some((t) => key.includes(`task-${t}_`) || key.includes(`task-${t}.`));
    }
  }
  return false;
}

const treeKeys = synthCurrentKeys;

const publicTree = (prefix: string) => treeKeys(prefix).filter((k) => !upstreamHeldOut(k));

/**
 * Runs CLI calls in a fresh data directory with console output captured
 * (errors kept), then restores the console, bucket and drift state.
 */
async function withCliDataDir(
  fn: (dir: string, errors: string[], common: string[]) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const errors: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  console.log = () => {};
  try {
    resetDataDirDrift();
    await datasetInitialize(dir, { persist: false });
    await fn(dir, errors, ["--bucket", CURRENT_BUCKET, "--accept-license", "--quiet"]);
  } finally {
    console.error = error;
    console.log = log;
    configureBucket({});
    resetDataDirDrift();
    await Deno.remove(dir, { recursive: true });
  }
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "laion-dl-current-" });
}

Deno.test("include flags: each selects exactly its prefix of the generated tree", async () => {
  const source = current();
  const dataDir = await tempDir();
  try {
    const cases = [
      ["includeAnatomical", `derivatives/anatomical/${SUB}/`],
      ["includeFreesurfer", `derivatives/freesurfer/${SUB}/`],
      ["includeLocalizers", `derivatives/localizers/${SUB}/`],
      ["includeRaw", `${SUB}/`],
    ] as const;
    for (const [flag, prefix] of cases) {
      const plan = await planDownload({ subject: SUB, dataDir, source, [flag]: true });
      const entry = plan.prefixes.find((p) => p.prefix === prefix);
      assert.ok(entry, `${flag}: prefix ${prefix} planned`);
      assert.deepEqual([...entry.keys].sort(), publicTree(prefix), flag);
      for (const k of publicTree(prefix)) assert.ok(plan.files.some((f) => f.key === k), k);
      // No other include prefix sneaks in.
      for (const [other, p] of cases) {
        if (other !== flag && p !== `derivatives/anatomical/${SUB}/`) {
          assert.ok(!plan.prefixes.some((x) => x.prefix === p), `${flag} lists ${p}`);
        }
      }
    }
    // includeRaw applies the derivative filters, session strict.
    const raw = await planDownload({ subject: SUB, dataDir, source, includeRaw: true, ses: "01" });
    assert.deepEqual(
      [...raw.prefixes.find((p) => p.prefix === `${SUB}/`)!.keys].sort(),
      publicTree(`${SUB}/ses-01/`),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("default download on the current layout includes the res-1pt8 anatomical mask", async () => {
  const source = current();
  const dataDir = await tempDir();
  try {
    const plan = await planDownload({ subject: SUB, dataDir, source });
    const anat = plan.prefixes.find((p) => p.prefix === `derivatives/anatomical/${SUB}/`);
    assert.deepEqual(anat?.keys, [ANAT_MASK], "only the mask, not the whole anatomical tree");
    assert.ok(treeKeys(`derivatives/anatomical/${SUB}/`).includes(ANAT_MASK));
    const s = await download({
      subject: SUB,
      session: "01",
      suffix: "trials",
      dataDir,
      source,
      acceptLicense: true,
      quiet: true,
    });
    assert.deepEqual(s.failures, []);
    assert.ok((await Deno.stat(join(dataDir, ANAT_MASK))).isFile);
    const entry = s.prefixes.find((p) => p.prefix === `derivatives/anatomical/${SUB}/`);
    assert.deepEqual(entry?.downloaded, [ANAT_MASK]);
    // The seed layout has no anatomical tree: nothing is pinned there.
    const seed = new CachedSource(new S3Source({ endpoint: localEndpoint() }));
    const seedPlan = await planDownload({ subject: SUB, dataDir, source: seed });
    assert.ok(!seedPlan.prefixes.some((p) => p.prefix.startsWith("derivatives/anatomical/")));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("held out: ses-31 oloc localizer maps downloaded, ses-31 betas never planned", async () => {
  const source = current();
  const dataDir = await tempDir();
  try {
    const oloc = treeKeys(`derivatives/localizers/${SUB}/ses-31/`);
    assert.ok(oloc.length > 0 && oloc.every((k) => k.includes("task-oloc")));
    const betas31 = treeKeys(`derivatives/glmsingle-tedana/${SUB}/ses-31/`);
    assert.ok(betas31.length > 0);
    const s = await download({
      subject: SUB,
      session: "31",
      includeLocalizers: true,
      dataDir,
      source,
      acceptLicense: true,
      quiet: true,
    });
    assert.deepEqual(s.failures, []);
    assert.deepEqual(s.accessDenied, []);
    const loc = s.prefixes.find((p) => p.prefix === `derivatives/localizers/${SUB}/`)!;
    for (const k of oloc) {
      assert.ok(loc.downloaded.includes(k), k);
      assert.ok((await Deno.stat(join(dataDir, k))).isFile);
    }
    const glm = s.prefixes.find((p) => p.prefix === `derivatives/glmsingle-tedana/${SUB}/`)!;
    for (const k of betas31) assert.ok(!glm.matched.includes(k), `held out planned: ${k}`);
    // Only the pinned R2mean map: ses-31 is held out even when named.
    assert.deepEqual(glm.matched, [
      `derivatives/glmsingle-tedana/${SUB}/${SUB}_task-images_space-T1w_stat-rsquare_desc-R2mean_statmap.nii.gz`,
    ]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("downloadRaw: filters, per-prefix results, skip on the second run", async () => {
  const source = current();
  const dataDir = await tempDir();
  try {
    const name = /_run-01_echo-1_part-mag_bold\.(nii\.gz|json)$/;
    const expected = publicTree(`${SUB}/ses-01/`).filter((k) => name.test(k));
    assert.ok(expected.length === 2, "bold + JSON sidecar in the tree");
    const opts = {
      subject: "03",
      ses: "01",
      task: "images",
      run: "01",
      echo: "1",
      part: "mag",
      suffix: "bold",
      dataDir,
      source,
      acceptLicense: true,
      quiet: true,
    };
    const first = await downloadRaw(opts);
    assert.equal(first.prefixes.length, 1);
    assert.deepEqual(first.prefixes[0], {
      prefix: `${SUB}/`,
      matched: expected,
      downloaded: expected,
      skipped: [],
      accessDenied: [],
    });
    for (const k of expected) assert.ok((await Deno.stat(join(dataDir, k))).isFile);
    const again = await downloadRaw(opts);
    assert.deepEqual(again.prefixes[0].skipped, expected);
    assert.deepEqual(again.prefixes[0].downloaded, []);
    // The JSON sidecar of a matching suffix passes any extension (upstream).
    const nii = await planRawDownload({ ...opts, extension: "nii.gz" });
    assert.deepEqual([...nii.prefixes[0].keys].sort(), expected);
    // Other filters, checked against the tree.
    const events = await planRawDownload({ subject: SUB, dataDir, source, suffix: "events" });
    assert.deepEqual(
      [...events.prefixes[0].keys].sort(),
      publicTree(`${SUB}/`).filter((k) => k.endsWith("_events.tsv")),
    );
    // echo is permissive: keys without an echo token (fmap, events) pass.
    const echo2 = await planRawDownload({
      subject: SUB,
      dataDir,
      source,
      session: "01",
      echo: "2",
    });
    assert.deepEqual(
      [...echo2.prefixes[0].keys].sort(),
      publicTree(`${SUB}/ses-01/`).filter((k) => !/_echo-/.test(k) || k.includes("_echo-2_")),
    );
    // ses-31 raw keys exist but are held out (oloc included): never planned.
    assert.ok(treeKeys(`${SUB}/ses-31/`).length > 0);
    assert.ok(!events.files.some((f) => upstreamHeldOut(f.key)));
    // Asking for it is an error that names it (it once matched nothing).
    await assert.rejects(
      () => planRawDownload({ subject: SUB, dataDir, source, session: "31" }),
      HeldOutSessionError,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("NoMatchingDataError: a DataNotFoundError with upstream's message", async () => {
  const source = current();
  const dataDir = await tempDir();
  try {
    const b = CURRENT_BUCKET;
    await assert.rejects(
      () => planDownload({ subject: SUB, dataDir, source, suffix: "nothing", ses: ["01", "02"] }),
      (e) => {
        assert.ok(e instanceof NoMatchingDataError && e instanceof DataNotFoundError);
        assert.equal(
          e.message,
          `No LAION-fMRI files matched subject='${SUB}' with filters (ses=['01', '02'], ` +
            `suffix='nothing') under s3://${b}/derivatives/glmsingle-tedana/${SUB}/ or ` +
            `s3://${b}/derivatives/rois/${SUB}/. Check the subject ID and BIDS filters.`,
        );
        return true;
      },
    );
    // An include flag suppresses it (upstream).
    await planDownload({
      subject: SUB,
      dataDir,
      source,
      suffix: "nothing",
      includeAnatomical: true,
    });
    await assert.rejects(
      () => downloadRaw({ subject: SUB, dataDir, source, suffix: "nothing", acceptLicense: true }),
      (e) => {
        assert.ok(e instanceof NoMatchingDataError);
        assert.equal(
          e.message,
          `No LAION-fMRI files matched subject='${SUB}' with filters (suffix='nothing') under ` +
            `s3://${b}/${SUB}/. Check the subject ID and BIDS filters.`,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("drift warning when the configured data directory changes between calls", async () => {
  const source = current();
  const a = await tempDir();
  const b = await tempDir();
  const call = () =>
    download({
      subject: SUB,
      session: "averages",
      suffix: "mask",
      source,
      acceptLicense: true,
      quiet: true,
    });
  const drift = (ws: string[]) => ws.filter((w) => w.includes("data directory changed"));
  try {
    resetDataDirDrift();
    await datasetInitialize(a, { persist: false });
    assert.deepEqual(drift((await withWarnings(call))[1]), [], "first call");
    assert.deepEqual(drift((await withWarnings(call))[1]), [], "same directory");
    await datasetInitialize(b, { persist: false });
    const [, ws] = await withWarnings(call);
    assert.deepEqual(drift(ws), [
      `The configured data directory changed between download() calls (was '${a}', now ` +
      `'${b}'). Files from the earlier call live under the old path; rerun ` +
      `datasetInitialize(...) and re-download if you want one consolidated tree.`,
    ]);
    // An explicit dataDir is deliberate: no warning.
    const [, explicit] = await withWarnings(() =>
      download({
        subject: SUB,
        session: "averages",
        suffix: "mask",
        source,
        dataDir: a,
        acceptLicense: true,
        quiet: true,
      })
    );
    assert.deepEqual(drift(explicit), []);
  } finally {
    resetDataDirDrift();
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("cli: download --include-* flags and download-raw", () =>
  withCliDataDir(async (dir, errors, common) => {
    assert.equal(
      await main([
        "download",
        "--subject",
        "03",
        "--ses",
        "01",
        "--suffix",
        "trials",
        "--include-anatomical",
        "--include-localizers",
        ...common,
      ]),
      0,
    );
    for (const prefix of [`derivatives/anatomical/${SUB}/`, `derivatives/localizers/${SUB}/`]) {
      for (const k of publicTree(prefix)) assert.ok((await Deno.stat(join(dir, k))).isFile, k);
    }
    assert.equal(
      await main([
        "download-raw",
        "--subject",
        "03",
        "--ses",
        "01",
        "--run",
        "01",
        "--echo",
        "2",
        "--part",
        "phase",
        "--suffix",
        "bold",
        ...common,
      ]),
      0,
    );
    const raw = publicTree(`${SUB}/ses-01/`).filter((k) =>
      /_run-01_echo-2_part-phase_bold\.(nii\.gz|json)$/.test(k)
    );
    assert.equal(raw.length, 2);
    for (const k of raw) assert.ok((await Deno.stat(join(dir, k))).isFile, k);
    assert.equal(
      await main(["download-raw", "--subject", "03", "--suffix", "nothing", ...common]),
      1,
    );
    assert.match(
      errors.at(-1)!,
      /^laion-fmri: error: No LAION-fMRI files matched subject='sub-03'/,
    );
  }));

Deno.test("includeStimuli on the current layout goes through the access service; includeEmbeddings after it", async () => {
  const dataDir = await tempDir();
  const authFile = `${dataDir}-auth.json`; // outside the data dir, like ~/.laion_fmri
  const tree = (key: string) => Deno.readFile(join(synthCurrentDir(), "bucket", key));
  try {
    // An unknown model is refused before the license or any request.
    await assert.rejects(
      download({ subject: SUB, dataDir, source: current(), includeEmbeddings: ["clip" as "CLIP"] }),
      (e: unknown) =>
        e instanceof InvalidChoiceError && /'CLIP', 'DINOv2', 'PEcore', 'SigLIP2'/.test(String(e)),
    );
    assert.ok(!(await pathExists(join(dataDir, ".laion_fmri"))));
    await withService({ bucket: CURRENT_BUCKET }, async (svc) => {
      const options = {
        subject: SUB,
        session: "01",
        suffix: "trials",
        dataDir,
        source: current(),
        acceptLicense: true,
        quiet: true,
        includeStimuli: true,
        includeEmbeddings: ["CLIP"] as const,
        stimulusAccess: { serverUrl: svc.url, authFile, form: FORM },
      };
      const first = await download(options);
      // Nothing gated was asked of the bucket anonymously, and no stimuli/ prefix was listed.
      assert.deepEqual(first.accessDenied, []);
      assert.deepEqual(first.failures, []);
      assert.ok(!first.prefixes.some((p) => p.prefix.startsWith("stimuli/")));
      assert.deepEqual(first.stimuli, {
        "task-images_stimuli.h5": join(dataDir, "stimuli/task-images_stimuli.h5"),
        "task-images_metadata.csv": join(dataDir, "stimuli/task-images_metadata.csv"),
      });
      for (const key of ["task-images_stimuli.h5", "task-images_metadata.csv"]) {
        assert.deepEqual(
          await Deno.readFile(join(dataDir, "stimuli", key)),
          await tree(`stimuli/${key}`),
        );
      }
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      // The seed's stimulus terms are not asked for on this layout: the access form covers them.
      assert.ok(!(await pathExists(join(dataDir, ".laion_fmri", "stimuli_terms_accepted"))));
      const clip = "stimuli/task-images_desc-CLIP_embeddings.h5";
      assert.deepEqual(first.embeddings, { CLIP: join(dataDir, clip) });
      assert.deepEqual(await Deno.readFile(join(dataDir, clip)), await tree(clip));
      // Again: all up to date, no new access request.
      const again = await download({ ...options, source: current() });
      assert.equal(again.downloaded, 0);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      assert.equal(svc.requests["POST /api/v1/refresh"], undefined);
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(authFile).catch(() => {});
  }
});

Deno.test("cli: download --include-embeddings [MODEL ...]; models without the flag are a usage error", () =>
  withCliDataDir(async (dir, errors, common) => {
    const base = ["download", "--subject", "03", "--ses", "01", "--suffix", "trials"];
    assert.equal(await main([...base, "--include-embeddings", "SigLIP2", "DINOv2", ...common]), 0);
    for (const m of ["SigLIP2", "DINOv2"]) {
      const key = `stimuli/task-images_desc-${m}_embeddings.h5`;
      assert.deepEqual(
        await Deno.readFile(join(dir, key)),
        await Deno.readFile(join(synthCurrentDir(), "bucket", key)),
      );
    }
    assert.ok(!(await pathExists(join(dir, "stimuli/task-images_desc-CLIP_embeddings.h5"))));
    assert.equal(await main([...base, "SigLIP2", ...common]), 1);
    assert.match(errors.at(-1)!, /only --include-embeddings takes models/);
    assert.equal(await main([...base, "--include-embeddings", "siglip2", ...common]), 1);
    assert.match(errors.at(-1)!, /SigLIP2/);
  }));
