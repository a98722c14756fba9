// The second bucket, `laion-fmri-current`: the current-layout profile that
// scripts/with_local_s3.sh generates and seeds with the held-out deny and
// its oloc carve-out. Anonymous plain-fetch checks against the real RGW.
import assert from "node:assert/strict";
import { bucketPolicy, CURRENT_BUCKET, isDeniedKey } from "../scripts/seed.ts";
import type { ManifestEntry } from "../scripts/generate.ts";
import { currentKeys } from "../scripts/generate.ts";
import { isExemptLocalizerKey, isHeldOutKey } from "../lib/core/ids.ts";
import { mapPool } from "../lib/core/pool.ts";
import { Hdf5File } from "../lib/formats/hdf5.ts";
import { hdf5ContiguousLayout } from "../lib/formats/hdf5_layout.ts";
import { localEndpoint } from "./_helpers.ts";

function currentDir(): string {
  const dir = Deno.env.get("LAION_FMRI_SYNTH_CURRENT_DIR");
  if (!dir) {
    throw new Error(
      "LAION_FMRI_SYNTH_CURRENT_DIR is not set: run the tests with `deno task test`.",
    );
  }
  return dir;
}

const base = () => `${localEndpoint().replace(/\/+$/, "")}/${CURRENT_BUCKET}`;
const enc = (key: string) => key.split("/").map(encodeURIComponent).join("/");
const manifest = (): Promise<ManifestEntry[]> =>
  Deno.readTextFile(`${currentDir()}/ground-truth/manifest.json`).then(JSON.parse);

async function listAll(
  prefix = "",
  delimiter?: string,
): Promise<{ keys: string[]; prefixes: string[] }> {
  const keys: string[] = [], prefixes: string[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ "list-type": "2", prefix });
    if (delimiter) q.set("delimiter", delimiter);
    if (token) q.set("continuation-token", token);
    const r = await fetch(`${base()}?${q}`);
    const text = await r.text();
    assert.equal(r.status, 200, text);
    for (const m of text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(m[1].replaceAll("&amp;", "&"));
    for (const m of text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)) {
      prefixes.push(m[1]);
    }
    token = /<IsTruncated>true<\/IsTruncated>/.test(text)
      ? text.match(/<NextContinuationToken>([^<]*)</)?.[1]
      : undefined;
  } while (token);
  return { keys, prefixes };
}

Deno.test("current bucket: anonymous listing holds every generated key, held-out ones included", async () => {
  const want = (await manifest()).map((m) => m.key).sort();
  const { keys } = await listAll();
  assert.deepEqual(keys, want);
  const top = await listAll("", "/");
  assert.deepEqual(top.prefixes, [
    "derivatives/",
    "stimuli/",
    "sub-01/",
    "sub-03/",
    "sub-05/",
    "sub-06/",
    "sub-07/",
  ]);
  const deriv = await listAll("derivatives/", "/");
  assert.deepEqual(deriv.prefixes, [
    "derivatives/anatomical/",
    "derivatives/freesurfer/",
    "derivatives/glmsingle-tedana/",
    "derivatives/localizers/",
    "derivatives/rois/",
    "derivatives/tedana/",
  ]);
});

Deno.test("current bucket: every held-out key answers 403 except the ses-31 oloc maps", async () => {
  const entries = await manifest();
  const held = entries.filter((m) => isHeldOutKey(m.key));
  const exempt = held.filter((m) => isExemptLocalizerKey(m.key));
  assert.ok(exempt.length >= 5 * 4 && held.length > exempt.length);
  for (const area of ["derivatives/glmsingle-tedana/", "derivatives/tedana/", "sub-"]) {
    assert.ok(held.some((m) => m.key.startsWith(area) && !isExemptLocalizerKey(m.key)), area);
  }
  const statuses = await mapPool(held, async (m) => {
    const r = await fetch(`${base()}/${enc(m.key)}`, { method: "HEAD" });
    await r.body?.cancel();
    return [m.key, r.status] as const;
  }, { limit: 16 });
  for (const [key, status] of statuses) {
    assert.equal(status, isExemptLocalizerKey(key) ? 200 : 403, key);
  }
  const denied = await fetch(
    `${base()}/${enc(held.find((m) => !isExemptLocalizerKey(m.key))!.key)}`,
  );
  assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/);
  // the exempt oloc map comes back byte for byte
  const oloc = exempt.find((m) => m.key.endsWith("_stat-z_statmap.nii.gz"))!;
  const r = await fetch(`${base()}/${enc(oloc.key)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    new Uint8Array(await r.arrayBuffer()),
    await Deno.readFile(`${currentDir()}/bucket/${oloc.key}`),
  );
  // a sample of public keys of every area answers 200 (the gated stimulus
  // images are denied too: tests/generator_stimuli_test.ts)
  const pub = entries.filter((m) => !isDeniedKey(m.key, "current")).filter((_, i) => i % 97 === 0);
  for (const m of pub) {
    const h = await fetch(`${base()}/${enc(m.key)}`, { method: "HEAD" });
    await h.body?.cancel();
    assert.equal(h.status, 200, m.key);
  }
});

Deno.test("current bucket: the GLMsingle model is readable whole and by ranges", async () => {
  const key = currentKeys.glmModel("sub-01", "ses-01");
  const local = `${currentDir()}/bucket/${key}`;
  const r = await fetch(`${base()}/${enc(key)}`);
  assert.equal(r.status, 200);
  const body = new Uint8Array(await r.arrayBuffer());
  assert.deepEqual(body, await Deno.readFile(local));
  const tmp = await Deno.makeTempFile({ suffix: ".h5" });
  try {
    await Deno.writeFile(tmp, body);
    using fromS3 = await Hdf5File.open(tmp);
    using fromDisk = await Hdf5File.open(local);
    assert.deepEqual(fromS3.read("betasmd"), fromDisk.read("betasmd"));
    // rows 10..20 through two ranged GETs: the head, then the rows
    const head = await fetch(`${base()}/${enc(key)}`, { headers: { Range: "bytes=0-2047" } });
    assert.equal(head.status, 206);
    const layout = hdf5ContiguousLayout(new Uint8Array(await head.arrayBuffer()), "betasmd", {
      file: key,
    })!;
    const start = layout.offset + 10 * layout.rowBytes,
      end = layout.offset + 20 * layout.rowBytes - 1;
    const rows = await fetch(`${base()}/${enc(key)}`, {
      headers: { Range: `bytes=${start}-${end}` },
    });
    assert.equal(rows.status, 206);
    const got = new Float32Array(await rows.arrayBuffer());
    assert.deepEqual(got, fromDisk.read("betasmd", { rows: [10, 20] }));
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("seed: the current policy mirrors upstream's held-out rule with the oloc exemption", () => {
  const examples: [string, boolean][] = [
    [
      "derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_space-T1w_res-1pt5_x.nii.gz",
      false,
    ],
    ["derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-oloc.json", false],
    ["derivatives/localizers/sub-03/ses-31/func/sub-03_ses-31_task-floc_x.nii.gz", true],
    ["sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_bold.nii.gz", true],
    ["derivatives/tedana/sub-03/ses-31/func/sub-03_ses-31_task-oloc_run-01_bold.nii.gz", true],
    ["derivatives/glmsingle-tedana/sub-03/ses-34/func/x.tsv", true],
    ["derivatives/glmsingle-tedana/sub-03/ses-30/func/x.tsv", false],
    ["derivatives/localizers/sub-03/ses-4BarScreenfLoc/func/x_task-floc_x.nii.gz", false],
  ];
  for (const [key, denied] of examples) assert.equal(isDeniedKey(key, "current"), denied, key);
  // the seed policy covers glmsingle-tedana only, as before
  assert.equal(isDeniedKey("sub-03/ses-31/func/x.nii.gz", "seed"), false);
  assert.equal(isDeniedKey("derivatives/glmsingle-tedana/sub-03/ses-31/func/x.tsv", "seed"), true);
  const deny = JSON.parse(bucketPolicy("b", "current")).Statement.find((s: { Effect: string }) =>
    s.Effect === "Deny"
  );
  assert.ok(deny.Resource.includes("arn:aws:s3:::b/sub-*/ses-31/*"));
  assert.ok(deny.Resource.includes("arn:aws:s3:::b/derivatives/localizers/*/ses-31/*task-floc_*"));
  assert.ok(!deny.Resource.some((r: string) => r.includes("oloc")));
});
