// Discovery against the local RGW seeded with the synthetic bucket.
// deno task test  (needs --allow-net=127.0.0.1 --allow-env --allow-read)
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  describe,
  getRoiInventory,
  getRois,
  getSubjects,
  inspectBucket,
  InvalidChoiceError,
  SubjectNotFoundError,
} from "../mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { localEndpoint, normalizeLines, ROI_TOTALS, seedTourOutput, synthDir } from "./_helpers.ts";

function source() {
  return new CachedSource(new S3Source({ endpoint: localEndpoint() }));
}

/** ROI inventory read straight from the generated bucket tree on disk (not through S3). */
async function inventoryOnDisk(subject: string): Promise<Map<string, string[]>> {
  const root = join(synthDir(), "bucket", "derivatives", "rois", subject);
  const out = new Map<string, string[]>();
  for await (const cat of Deno.readDir(root)) {
    const labels: string[] = [];
    for await (const f of Deno.readDir(join(root, cat.name))) {
      const m = f.name.match(/^sub-\d+_space-T1w_res-1pt8_label-(.+)_mask\.nii\.gz$/);
      if (m) labels.push(m[1].split("-").join(""));
    }
    out.set(cat.name, labels.sort());
  }
  return out;
}

Deno.test("getSubjects lists the five subjects, sorted", async () => {
  assert.deepEqual(await getSubjects({ source: source() }), [
    "sub-01",
    "sub-03",
    "sub-05",
    "sub-06",
    "sub-07",
  ]);
});

Deno.test("getRois for sub-01 reproduces the seed's inventory, per category too", async () => {
  const s = source();
  const seed = seedTourOutput();
  const all = seed[seed.indexOf("All ROIs (40):") + 1];
  assert.equal(
    `[${(await getRois("sub-01", { source: s })).map((r) => `'${r}'`).join(", ")}]`,
    all,
  );
  for (const line of seed.filter((l) => /^[a-z]+: \[/.test(l))) {
    const [category, list] = line.split(": ");
    const rois = await getRois("sub-01", { category, source: s });
    assert.equal(`[${rois.map((r) => `'${r}'`).join(", ")}]`, list, category);
  }
});

Deno.test("getRois totals and every category list match the bucket tree for all subjects", async () => {
  const s = source();
  assert.deepEqual(Object.keys(ROI_TOTALS), ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]);
  for (const [subject, [total, face]] of Object.entries(ROI_TOTALS)) {
    assert.equal((await getRois(subject, { source: s })).length, total, subject);
    assert.equal((await getRois(subject, { category: "face", source: s })).length, face, subject);
    const expected = await inventoryOnDisk(subject);
    assert.equal(expected.size, 8, `${subject} uses all eight categories`);
    assert.deepEqual(await getRoiInventory(subject, { source: s }), expected, subject);
  }
});

Deno.test("hyphenated bucket labels come back bidsified", async () => {
  const faceDir = join(synthDir(), "bucket", "derivatives", "rois", "sub-01", "face");
  const names = [...Deno.readDirSync(faceDir)].map((e) => e.name);
  assert.ok(names.some((n) => n.includes("label-FFA-1_")), "bucket key keeps the hyphen");
  assert.ok(names.some((n) => n.includes("label-pSTS-faces_")));
  const rois = await getRois("sub-01", { category: "face", source: source() });
  assert.ok(rois.includes("FFA1") && rois.includes("pSTSfaces"));
  assert.ok(rois.every((r) => !r.includes("-")));
});

Deno.test("getRois normalizes the subject id and defaults to the first subject", async () => {
  const s = source();
  assert.deepEqual(await getRois("01", { source: s }), await getRois("sub-01", { source: s }));
  assert.deepEqual(await getRois(undefined, { source: s }), await getRois("sub-01", { source: s }));
});

Deno.test("an unknown category is an error listing the valid ones", async () => {
  const s = source();
  await assert.rejects(
    () => getRois("sub-01", { category: "faces", source: s }),
    (e: unknown) =>
      e instanceof InvalidChoiceError && /"faces"/.test(e.message) && /'face'/.test(e.message) &&
      /'retinotopy'/.test(e.message),
  );
});

Deno.test("describe and inspectBucket print the seed's text and return it", async () => {
  const s = source();
  const seed = seedTourOutput();
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  let described: string, inspected: string;
  try {
    described = await describe({ source: s });
    inspected = await inspectBucket({ source: s });
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [described, inspected]);
  assert.deepEqual(normalizeLines(described), seed.slice(0, 4));
  assert.ok(
    described.startsWith("LAION-fMRI Dataset\n  Bucket:    s3://laion-fmri\n  Subjects:  5 ("),
  );
  const at = seed.indexOf("Top-level prefixes (1):") - 1;
  assert.deepEqual(normalizeLines(inspected), seed.slice(at, at + 5));
  assert.equal(await describe({ source: s, print: false }), described);
});

Deno.test("listings are cached per prefix and independent listings run concurrently", async () => {
  const inner = new S3Source({ endpoint: localEndpoint() });
  let inFlight = 0, maxInFlight = 0;
  const counting = {
    bucket: inner.bucket,
    endpoint: inner.endpoint,
    head: inner.head.bind(inner),
    get: inner.get.bind(inner),
    async list(prefix: string, options?: { delimiter?: string; signal?: AbortSignal }) {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await inner.list(prefix, options);
      } finally {
        inFlight--;
      }
    },
  };
  const s = new CachedSource(counting);
  await inspectBucket({ source: s, print: false });
  assert.equal(maxInFlight, 3, "root and both probe prefixes listed at once");
  const before = inner.stats.list;
  await getSubjects({ source: s });
  await inspectBucket({ source: s, print: false });
  assert.equal(inner.stats.list, before, "no new requests for cached prefixes");
  s.refresh();
  await getSubjects({ source: s });
  assert.equal(inner.stats.list, before + 2, "refresh forgets the cache");
});

Deno.test("getRois takes everything in one options object, or the subject first", async () => {
  const byOptions = await getRois({ subject: "sub-01", category: "face" });
  assert.deepEqual(byOptions, await getRois("sub-01", { category: "face" }));
  assert.deepEqual(await getRois({ category: "face" }), byOptions, "default: the first subject");
});

Deno.test("getRois of a subject the bucket does not have is an error listing the valid ids", async () => {
  // Before: an empty list and a warning that ROI atlases may not be uploaded yet.
  for (const bad of ["sub-02", "99"]) {
    await assert.rejects(getRois(bad), (e: unknown) => {
      assert.ok(e instanceof SubjectNotFoundError);
      assert.match(e.message, /^Unknown subject 'sub-\d+'\. Valid: \['sub-01', 'sub-03'/);
      return true;
    });
  }
  await assert.rejects(getRois("1"), /Unknown subject 'sub-1' \(did you mean 'sub-01'\?\)/);
});
