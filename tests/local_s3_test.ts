/**
 * Tests of the local S3 server (Ceph RGW, `scripts/local_s3.sh`) and of the
 * seeding tool (`scripts/seed.ts`), against the real running server.
 *
 * Needs the server up and its endpoint in `LAION_FMRI_S3_ENDPOINT`:
 *
 * ```sh
 * export LAION_FMRI_S3_ENDPOINT="$(bash scripts/local_s3.sh start)"
 * deno test --allow-read --allow-net=127.0.0.1 --allow-env --allow-write=/tmp tests/local_s3_test.ts
 * ```
 *
 * (or `bash scripts/with_local_s3.sh deno test ...`, which starts and seeds it.)
 * Flags: `--allow-net=127.0.0.1` for the endpoint, `--allow-read` for the
 * temp tree and the SDK, `--allow-env` for `LAION_FMRI_S3_ENDPOINT`,
 * `LAION_FMRI_RGW_DIR` and the SDK's probes, `--allow-write=/tmp` for the
 * temp tree and the seeding marker in the RGW scratch dir.
 *
 * The seeding tests use their own bucket (`laion-fmri-seedtest`), never
 * `laion-fmri`, so they do not disturb a seeded synthetic dataset.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  bucketPolicy,
  PAGINATION_BUCKET,
  PAGINATION_COUNT,
  rgwDir,
  seedBucket,
  seedPagination,
} from "../scripts/seed.ts";

const TEST_BUCKET = "laion-fmri-seedtest";
const HELD_OUT_KEY = "derivatives/glmsingle-tedana/sub-01/ses-31/func/sub-01_ses-31_betas.nii.gz";
const PUBLIC_KEY = "derivatives/glmsingle-tedana/sub-01/ses-01/func/sub-01_ses-01_betas.nii.gz";

function endpoint(): string {
  const e = Deno.env.get("LAION_FMRI_S3_ENDPOINT");
  if (!e) {
    throw new Error(
      "LAION_FMRI_S3_ENDPOINT is not set: these tests need the local S3 server. Start it with " +
        '`export LAION_FMRI_S3_ENDPOINT="$(bash scripts/local_s3.sh start)"` ' +
        "or run them through `bash scripts/with_local_s3.sh deno test ...`.",
    );
  }
  return e.replace(/\/+$/, "");
}

const TREE: Record<string, string> = {
  "README": "synthetic\n",
  "dataset_description.json": '{"Name":"seed test"}\n',
  "participants.tsv": "participant_id\nsub-01\n",
  [PUBLIC_KEY]: "public betas\n",
  [HELD_OUT_KEY]: "held-out betas\n",
  "derivatives/glmsingle-tedana/sub-01/ses-32/func/x.tsv": "held\n",
  "derivatives/rois/sub-01/face/lh.FFA-1.label": "label\n",
};

async function makeTree(extra: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion-seedtest-" });
  for (const [key, text] of Object.entries({ ...TREE, ...extra })) {
    const path = `${dir}/${key}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

function xmlUnescape(s: string): string {
  return s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'").replaceAll("&amp;", "&");
}

/** Anonymous ListObjectsV2 with plain fetch, following continuation tokens. */
async function listAnonymous(
  bucket: string,
  prefix = "",
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const q = new URLSearchParams({ "list-type": "2", prefix });
    if (token) q.set("continuation-token", token);
    const r = await fetch(`${endpoint()}/${bucket}?${q}`);
    const text = await r.text();
    assert.equal(r.status, 200, `anonymous listing of ${bucket}: ${text}`);
    pages++;
    for (const m of text.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(xmlUnescape(m[1]));
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(text);
    const next = text.match(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/);
    token = truncated ? xmlUnescape(next?.[1] ?? "") : undefined;
    if (truncated) assert.ok(token, "a truncated page carries NextContinuationToken");
  } while (token);
  return { keys, pages };
}

async function seedTestBucket(): Promise<void> {
  const dir = await makeTree();
  try {
    await seedBucket({ endpoint: endpoint(), fromDir: dir, bucket: TEST_BUCKET });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("local S3: LAION_FMRI_S3_ENDPOINT is set and RGW answers anonymously", async () => {
  const r = await fetch(`${endpoint()}/`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  assert.match(text, /<ListAllMyBucketsResult/);
});

Deno.test("local S3: anonymous listing of a seeded bucket (plain fetch)", async () => {
  await seedTestBucket();
  const { keys, pages } = await listAnonymous(TEST_BUCKET);
  assert.equal(pages, 1);
  assert.deepEqual(keys, Object.keys(TREE).sort());
  // listing shows held-out keys too, exactly like the real bucket
  assert.ok(keys.includes(HELD_OUT_KEY));
  // delimiter listing reports common prefixes holding only sub-folders
  const r = await fetch(`${endpoint()}/${TEST_BUCKET}?list-type=2&delimiter=/&prefix=derivatives/`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  const prefixes = [...text.matchAll(/<Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]);
  assert.ok(prefixes.includes("derivatives/glmsingle-tedana/"), text);
  assert.ok(prefixes.includes("derivatives/rois/"), text);
});

Deno.test("local S3: held-out sessions answer 403 AccessDenied, public keys 200", async () => {
  await seedTestBucket();
  const held = await fetch(`${endpoint()}/${TEST_BUCKET}/${HELD_OUT_KEY}`);
  const heldText = await held.text();
  assert.equal(held.status, 403, heldText);
  assert.match(heldText, /<Code>AccessDenied<\/Code>/);
  const held32 = await fetch(
    `${endpoint()}/${TEST_BUCKET}/derivatives/glmsingle-tedana/sub-01/ses-32/func/x.tsv`,
  );
  assert.equal(held32.status, 403);
  assert.match(await held32.text(), /<Code>AccessDenied<\/Code>/);
  const pub = await fetch(`${endpoint()}/${TEST_BUCKET}/${PUBLIC_KEY}`);
  assert.equal(pub.status, 200);
  assert.equal(await pub.text(), TREE[PUBLIC_KEY]);
  // ETag of a single PUT is the MD5 of the body
  const head = await fetch(`${endpoint()}/${TEST_BUCKET}/README`, { method: "HEAD" });
  await head.body?.cancel();
  assert.equal(head.status, 200);
  const md5 = createHash("md5").update(TREE["README"]).digest("hex");
  assert.equal(head.headers.get("etag"), `"${md5}"`);
  // anonymous writes are refused
  const put = await fetch(`${endpoint()}/${TEST_BUCKET}/anon.txt`, { method: "PUT", body: "x" });
  await put.body?.cancel();
  assert.equal(put.status, 403);
});

Deno.test("local S3: pagination bucket holds 2,500 keys across pages", async () => {
  await seedPagination({
    endpoint: endpoint(),
    bucket: PAGINATION_BUCKET,
    count: PAGINATION_COUNT,
  });
  const { keys, pages } = await listAnonymous(PAGINATION_BUCKET, "many/");
  assert.equal(keys.length, 2500);
  assert.equal(new Set(keys).size, 2500);
  assert.equal(pages, 3); // 1,000 + 1,000 + 500
  assert.equal(keys[0], "many/obj-00000.txt");
  assert.equal(keys[2499], "many/obj-02499.txt");
  assert.deepEqual(keys, [...keys].sort());
  const r = await fetch(`${endpoint()}/${PAGINATION_BUCKET}/many/obj-01234.txt`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), "obj-01234\n");
});

Deno.test("seed: idempotent (marker, then size+MD5), updates and prunes", async () => {
  const ep = endpoint();
  const n = Object.keys(TREE).length;
  const dir = await makeTree();
  try {
    const first = await seedBucket({ endpoint: ep, fromDir: dir, bucket: TEST_BUCKET });
    assert.equal(first.objects, n);
    assert.equal(first.uploaded + first.skipped, n);

    const second = await seedBucket({ endpoint: ep, fromDir: dir, bucket: TEST_BUCKET });
    assert.equal(second.uploaded, 0, "second seeding uploads nothing");
    assert.equal(second.markerHit, true);
    assert.equal(second.hash, first.hash);

    // Without the marker, objects already there (same size + MD5) are skipped.
    await Deno.remove(`${rgwDir()}/seeded-${TEST_BUCKET}.json`).catch(() => {});
    const third = await seedBucket({ endpoint: ep, fromDir: dir, bucket: TEST_BUCKET });
    assert.equal(third.markerHit, false);
    assert.equal(third.uploaded, 0);
    assert.equal(third.skipped, n);
    assert.equal(third.deleted, 0);

    // A new file is uploaded alone; removing it again prunes the key.
    await Deno.writeTextFile(`${dir}/extra-file.txt`, "extra\n");
    const added = await seedBucket({ endpoint: ep, fromDir: dir, bucket: TEST_BUCKET });
    assert.equal(added.uploaded, 1);
    assert.equal(added.skipped, n);
    await Deno.remove(`${dir}/extra-file.txt`);
    const pruned = await seedBucket({ endpoint: ep, fromDir: dir, bucket: TEST_BUCKET });
    assert.equal(pruned.uploaded, 0);
    assert.equal(pruned.deleted, 1);
    const { keys } = await listAnonymous(TEST_BUCKET);
    assert.deepEqual(keys, Object.keys(TREE).sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("seed: the policy denies exactly ses-31..34 under glmsingle-tedana", () => {
  const policy = JSON.parse(bucketPolicy("laion-fmri"));
  const deny = policy.Statement.find((s: { Effect: string }) => s.Effect === "Deny");
  assert.deepEqual(deny.Resource, [
    "arn:aws:s3:::laion-fmri/derivatives/glmsingle-tedana/*/ses-31/*",
    "arn:aws:s3:::laion-fmri/derivatives/glmsingle-tedana/*/ses-32/*",
    "arn:aws:s3:::laion-fmri/derivatives/glmsingle-tedana/*/ses-33/*",
    "arn:aws:s3:::laion-fmri/derivatives/glmsingle-tedana/*/ses-34/*",
  ]);
  assert.deepEqual(deny.Action, ["s3:GetObject"]);
});
