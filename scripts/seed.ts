/**
 * Seed the local S3 server (Ceph RGW from `scripts/local_s3.sh`) with a
 * directory tree, as a bucket that carries the real bucket's policy:
 * anonymous `s3:GetObject` + `s3:ListBucket`, and an anonymous `s3:GetObject`
 * Deny on the held-out sessions: `--policy seed` (default) denies
 * `derivatives/glmsingle-tedana/* /ses-31..34/*`; `--policy current` denies
 * them in every area but keeps the ses-31 `oloc` localizer maps public, and
 * denies the gated `stimuli/task-images_stimuli.h5` to everyone but the
 * seeding user (whose presigned URLs the access service hands out).
 *
 * ```sh
 * deno run --allow-read --allow-net=127.0.0.1 --allow-env --allow-write=/tmp \
 *   scripts/seed.ts --endpoint http://127.0.0.1:7480 --from OUT/bucket [--bucket laion-fmri] \
 *   [--policy seed|current] [--pagination]
 * ```
 *
 * - `--from DIR`: upload every file under DIR, key = its path relative to DIR
 *   (`/`-separated, verbatim). Objects are written with one PUT each (never
 *   multipart), so every ETag is the object's MD5; the MD5 is also sent as
 *   `Content-MD5` and checked against the returned ETag.
 * - `--pagination`: bucket `laion-fmri-pagination` with 2,500 tiny objects
 *   `many/obj-00000.txt` ... `many/obj-02499.txt`, anonymous read, for tests of
 *   ListObjectsV2 continuation across more than 1,000 keys.
 * - Idempotent: a marker `${LAION_FMRI_RGW_DIR:-/tmp/laion-fmri-rgw}/seeded-<bucket>.json`
 *   holds a hash of the seeded file list + sizes; when it matches (and the bucket
 *   exists) nothing is uploaded. Without a matching marker, objects already
 *   present with the same size and MD5 are skipped and keys no longer in DIR
 *   are deleted. The marker lives in RGW's scratch dir, so it dies with the
 *   memstore data on `local_s3.sh stop`.
 *
 * Permissions: `--allow-read` (DIR, the marker, the SDK's own files),
 * `--allow-net=127.0.0.1` (the endpoint), `--allow-env` (the SDK probes env
 * even though every setting is passed), `--allow-write` for the marker in the
 * RGW dir (`/tmp` by default).
 *
 * Credentials are the loopback-only seeding user created by `local_s3.sh`
 * (access key `laionfmriseed`, secret `laionfmriseedsecret`).
 * @module
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { HELD_OUT_SESSIONS } from "../lib/core/constants.ts";
import { writeFileAtomic } from "../lib/core/fs.ts";
import { isExemptLocalizerKey, isHeldOutKey } from "../lib/core/ids.ts";
import { mapPool } from "../lib/core/pool.ts";

/** Access key of the seeding user created by `scripts/local_s3.sh`. */
export const SEED_ACCESS_KEY = "laionfmriseed";
/** User id of the seeding user (`SEED_UID` of `scripts/local_s3.sh`). */
export const SEED_USER = "laion-seed";
/** Secret key of the seeding user created by `scripts/local_s3.sh`. */
export const SEED_SECRET_KEY = "laionfmriseedsecret";
/** Default bucket seeded from `--from`. */
export const DEFAULT_BUCKET = "laion-fmri";
/** Bucket seeded by `--pagination`. */
export const PAGINATION_BUCKET = "laion-fmri-pagination";
/** Number of objects in the pagination bucket. */
export const PAGINATION_COUNT = 2500;
/** Bucket seeded from the current-layout profile by `scripts/with_local_s3.sh`. */
export const CURRENT_BUCKET = "laion-fmri-current";
/** Default endpoint of `scripts/local_s3.sh`. */
export const DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:7480";
/** Parallel PUTs. */
const CONCURRENCY = 16;
/** Files at or above this size are not read in parallel with other large files. */
const LARGE_FILE_BYTES = 64 * 1024 * 1024;

/** What a seeding call did. */
export interface SeedResult {
  /** Bucket name. */
  bucket: string;
  /** Objects the source describes. */
  objects: number;
  /** Their total size in bytes. */
  bytes: number;
  /** Objects uploaded by this call. */
  uploaded: number;
  /** Bytes uploaded by this call. */
  uploadedBytes: number;
  /** Objects already present (same size and MD5) and not uploaded again. */
  skipped: number;
  /** Keys deleted because they are no longer in the source. */
  deleted: number;
  /** True when the marker matched and the bucket was left as it was. */
  markerHit: boolean;
  /** Content hash of the source (file list + sizes). */
  hash: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/** Options of {@linkcode seedBucket}. */
export interface SeedBucketOptions {
  /** S3 endpoint, e.g. `http://127.0.0.1:7480`. */
  endpoint: string;
  /** Directory whose tree becomes the bucket. */
  fromDir: string;
  /** Bucket name. @default "laion-fmri" */
  bucket?: string;
  /** Which held-out rule the bucket policy carries ({@linkcode bucketPolicy}). @default "seed" */
  policy?: BucketPolicyKind;
  /** Cancels the uploads. */
  signal?: AbortSignal;
  /** Log progress to stderr. @default false */
  verbose?: boolean;
}

/**
 * The held-out rule of a bucket policy: `seed` denies the held-out sessions
 * of `derivatives/glmsingle-tedana/` (the seed's snapshot of the bucket);
 * `current` denies them everywhere except the object-localizer (`oloc`)
 * maps under `derivatives/localizers/`; `public` denies nothing.
 */
export type BucketPolicyKind = "seed" | "current" | "public";

/** Options of {@linkcode seedPagination}. */
export interface SeedPaginationOptions {
  /** S3 endpoint, e.g. `http://127.0.0.1:7480`. */
  endpoint: string;
  /** Bucket name. @default "laion-fmri-pagination" */
  bucket?: string;
  /** Number of objects `many/obj-NNNNN.txt`. @default 2500 */
  count?: number;
  /** Cancels the uploads. */
  signal?: AbortSignal;
  /** Log progress to stderr. @default false */
  verbose?: boolean;
}

interface SourceObject {
  key: string;
  size: number;
  /** Local file path, or the body for generated objects. */
  path?: string;
  body?: Uint8Array;
}

/**
 * An S3 client for the seeding user. Every setting the SDK would otherwise
 * look up in `~/.aws` or `AWS_*` variables is given explicitly.
 *
 * @example
 * ```ts
 * const s3 = seedClient("http://127.0.0.1:7480");
 * ```
 */
export function seedClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1", // RGW's default zonegroup rejects LocationConstraint us-west-2
    forcePathStyle: true,
    credentials: { accessKeyId: SEED_ACCESS_KEY, secretAccessKey: SEED_SECRET_KEY },
    maxAttempts: 3,
    retryMode: "standard",
    defaultsMode: "standard",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    authSchemePreference: ["sigv4"],
    sigv4aSigningRegionSet: ["us-east-1"],
    disableS3ExpressSessionAuth: true,
    useArnRegion: false,
    useDualstackEndpoint: false,
    useFipsEndpoint: false,
    useAccelerateEndpoint: false,
    disableMultiregionAccessPoints: true,
    followRegionRedirects: false,
    userAgentAppId: "laion-fmri-seed",
    // The default user agent provider reads os.release() (would need --allow-sys).
    defaultUserAgentProvider: () => Promise.resolve([["laion-fmri-seed"]]),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 600_000 },
  });
}

/**
 * True when the policy of `kind` denies anonymous GET of `key` (with
 * `isHeldOutKey` of lib/core/ids.ts as the one held-out rule).
 *
 * @example
 * ```ts
 * isDeniedKey("sub-01/ses-31/func/x_bold.nii.gz", "current"); // true
 * ```
 */
export function isDeniedKey(key: string, kind: BucketPolicyKind): boolean {
  if (kind === "current" && (GATED_STIMULUS_KEYS as readonly string[]).includes(key)) return true;
  if (kind === "public" || !isHeldOutKey(key)) return false;
  return kind === "seed"
    ? key.startsWith("derivatives/glmsingle-tedana/")
    : !isExemptLocalizerKey(key);
}

/**
 * Keys the `current` policy keeps from anonymous readers beyond the held-out
 * sessions: the gated stimulus images, served only through presigned URLs of
 * the access service (upstream-era-c.md §1.2, §2.9). The metadata CSV, the
 * embeddings, captions and segmentations stay anonymous.
 */
export const GATED_STIMULUS_KEYS: readonly string[] = ["stimuli/task-images_stimuli.h5"];

/** Localizer tasks other than `oloc`; their held-out maps stay denied. */
const DENIED_LOCALIZER_TASKS = ["floc", "MotionLoc", "MotionLeft", "MotionRight"];

/**
 * The bucket policy: anonymous read and list, and anonymous GET denied on
 * the held-out sessions as `kind` says ({@linkcode BucketPolicyKind}).
 * S3 policies cannot subtract one wildcard from another, so `current`
 * denies the held-out folders of each area (raw `sub-*`, glmsingle-tedana,
 * tedana) and, under `derivatives/localizers/`, every task but `oloc`.
 *
 * @example
 * ```ts
 * const policy = bucketPolicy("laion-fmri-current", "current");
 * ```
 */
export function bucketPolicy(bucket: string, kind: BucketPolicyKind = "seed"): string {
  const statements: unknown[] = [
    {
      Sid: "PublicList",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:ListBucket"],
      Resource: [`arn:aws:s3:::${bucket}`],
    },
    {
      Sid: "PublicRead",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject"],
      Resource: [`arn:aws:s3:::${bucket}/*`],
    },
  ];
  const arn = (pattern: string) => `arn:aws:s3:::${bucket}/${pattern}`;
  const resources = kind === "seed"
    ? HELD_OUT_SESSIONS.map((s) => arn(`derivatives/glmsingle-tedana/*/${s}/*`))
    : kind === "current"
    ? HELD_OUT_SESSIONS.flatMap((s) => [
      arn(`derivatives/glmsingle-tedana/*/${s}/*`),
      arn(`derivatives/tedana/*/${s}/*`),
      arn(`sub-*/${s}/*`),
      ...DENIED_LOCALIZER_TASKS.flatMap((t) => [
        arn(`derivatives/localizers/*/${s}/*task-${t}_*`),
        arn(`derivatives/localizers/*/${s}/*task-${t}.*`),
      ]),
    ])
    : [];
  if (resources.length) {
    statements.push({
      Sid: "HeldOutSessions",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:GetObject"],
      Resource: resources,
    });
  }
  if (kind === "current") {
    // The DUA gate: GET of the stimulus images is denied to everyone but the
    // seeding user, so anonymous reads answer 403 AccessDenied while URLs the
    // access service presigns with the seeding user's keys still work
    // (a `Principal: "*"` Deny would block those too).
    statements.push({
      Sid: "GatedStimuli",
      Effect: "Deny",
      NotPrincipal: { AWS: [`arn:aws:iam:::user/${SEED_USER}`] },
      Action: ["s3:GetObject"],
      Resource: GATED_STIMULUS_KEYS.map(arn),
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** The RGW scratch dir that holds the seeding markers. */
export function rgwDir(): string {
  return Deno.env.get("LAION_FMRI_RGW_DIR") || "/tmp/laion-fmri-rgw";
}

function markerPath(bucket: string): string {
  return `${rgwDir().replace(/\/+$/, "")}/seeded-${bucket}.json`;
}

async function walk(root: string): Promise<SourceObject[]> {
  const out: SourceObject[] = [];
  async function rec(dir: string, prefix: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      const key = prefix + e.name;
      let info: Deno.FileInfo;
      if (e.isSymlink) info = await Deno.stat(path);
      else if (e.isDirectory) {
        await rec(path, `${key}/`);
        continue;
      } else info = await Deno.lstat(path);
      if (info.isDirectory) await rec(path, `${key}/`);
      else if (info.isFile) out.push({ key, size: info.size, path });
    }
  }
  const st = await Deno.stat(root).catch((cause) => {
    throw new Error(`--from ${root}: cannot read the directory (${cause})`, { cause });
  });
  if (!st.isDirectory) throw new Error(`--from ${root}: not a directory`);
  await rec(root.replace(/\/+$/, "") || "/", "");
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}

function sourceHash(kind: string, objects: SourceObject[]): string {
  const h = createHash("sha256");
  h.update(`${kind}\n`);
  for (const o of objects) h.update(`${o.key}\t${o.size}\n`);
  return h.digest("hex");
}

/**
 * Reads a whole file into a buffer of its known size (much faster than
 * `Deno.readFile` for files of hundreds of MB, which regrows its buffer).
 */
async function readWhole(path: string, size: number, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const f = await Deno.open(path, { read: true });
  try {
    let off = 0;
    while (off < size) {
      signal?.throwIfAborted();
      const n = await f.read(out.subarray(off, Math.min(size, off + (16 << 20))));
      if (n === null) break;
      off += n;
    }
    if (off !== size || (await f.read(new Uint8Array(1))) !== null) {
      throw new Error(`${path}: size changed while seeding (expected ${size} bytes)`);
    }
  } finally {
    f.close();
  }
  return out;
}

function hexToBase64(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

interface Marker {
  bucket: string;
  endpoint: string;
  hash: string;
  objects: number;
  bytes: number;
  seededAt: string;
}

async function readMarker(bucket: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(markerPath(bucket))) as Marker;
  } catch {
    return undefined;
  }
}

async function writeMarker(m: Marker): Promise<void> {
  const dir = rgwDir();
  try {
    if (!(await Deno.stat(dir)).isDirectory) return;
  } catch {
    return; // no RGW scratch dir (a server not started by local_s3.sh): no marker
  }
  await writeFileAtomic(markerPath(m.bucket), JSON.stringify(m, null, 2) + "\n");
}

async function bucketExists(s3: S3Client, bucket: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
    return true;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return false;
    throw e;
  }
}

async function listAll(
  s3: S3Client,
  bucket: string,
  signal?: AbortSignal,
): Promise<Map<string, { size: number; etag: string }>> {
  const out = new Map<string, { size: number; etag: string }>();
  let token: string | undefined;
  do {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }),
      { abortSignal: signal },
    );
    for (const o of r.Contents ?? []) {
      out.set(o.Key!, { size: o.Size ?? -1, etag: (o.ETag ?? "").replaceAll('"', "") });
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** A one-slot lock so that only one large file is held in memory at a time per slot. */
function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    async acquire() {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((r) => waiting.push(r));
    },
    release() {
      const w = waiting.shift();
      if (w) w();
      else free++;
    },
  };
}

async function seedObjects(
  endpoint: string,
  bucket: string,
  kind: string,
  objects: SourceObject[],
  policy: BucketPolicyKind,
  signal: AbortSignal | undefined,
  verbose: boolean,
): Promise<SeedResult> {
  const t0 = performance.now();
  const log = (msg: string) => {
    if (verbose) console.error(`seed[${bucket}]: ${msg}`);
  };
  // the policy text is part of the hash: a changed policy is re-applied
  const hash = sourceHash(`${kind}/${policy}/${bucketPolicy(bucket, policy)}`, objects);
  const bytes = objects.reduce((a, o) => a + o.size, 0);
  const s3 = seedClient(endpoint);
  try {
    const marker = await readMarker(bucket);
    if (
      marker && marker.hash === hash && marker.endpoint === endpoint &&
      (await bucketExists(s3, bucket, signal))
    ) {
      log(`marker matches (${objects.length} objects): nothing to do`);
      return {
        bucket,
        objects: objects.length,
        bytes,
        uploaded: 0,
        uploadedBytes: 0,
        skipped: objects.length,
        deleted: 0,
        markerHit: true,
        hash,
        ms: performance.now() - t0,
      };
    }

    if (!(await bucketExists(s3, bucket, signal))) {
      log("creating bucket");
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: signal });
      } catch (e) {
        const name = (e as Error).name;
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw e;
      }
    }
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(bucket, policy) }),
      { abortSignal: signal },
    );

    const existing = await listAll(s3, bucket, signal);
    let uploaded = 0, uploadedBytes = 0, skipped = 0;
    const big = semaphore(2);
    await mapPool(objects, async (o) => {
      const isBig = o.size >= LARGE_FILE_BYTES;
      if (isBig) await big.acquire();
      try {
        const body = o.body ?? await readWhole(o.path!, o.size, signal);
        const md5 = createHash("md5").update(body).digest("hex");
        const have = existing.get(o.key);
        if (have && have.size === o.size && have.etag === md5) {
          skipped++;
          return;
        }
        // One PUT, never multipart: the ETag of a single PUT is the MD5 of the body.
        const r = await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: o.key,
            Body: body,
            ContentLength: o.size,
            ContentMD5: hexToBase64(md5),
          }),
          { abortSignal: signal },
        );
        const etag = (r.ETag ?? "").replaceAll('"', "");
        if (etag !== md5) {
          throw new Error(`PUT ${bucket}/${o.key}: ETag ${etag} is not the MD5 ${md5}`);
        }
        uploaded++;
        uploadedBytes += o.size;
        if (uploaded % 500 === 0) log(`${uploaded} uploaded`);
      } finally {
        if (isBig) big.release();
      }
    }, { limit: CONCURRENCY, signal });

    const wanted = new Set(objects.map((o) => o.key));
    const stale = [...existing.keys()].filter((k) => !wanted.has(k));
    for (let i = 0; i < stale.length; i += 1000) {
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
        { abortSignal: signal },
      );
    }

    await verifyAnonymous(endpoint, bucket, objects, policy, signal);
    await writeMarker({
      bucket,
      endpoint,
      hash,
      objects: objects.length,
      bytes,
      seededAt: new Date().toISOString(),
    });
    const res: SeedResult = {
      bucket,
      objects: objects.length,
      bytes,
      uploaded,
      uploadedBytes,
      skipped,
      deleted: stale.length,
      markerHit: false,
      hash,
      ms: performance.now() - t0,
    };
    log(
      `${res.uploaded} uploaded (${res.uploadedBytes} B), ${res.skipped} already there, ` +
        `${res.deleted} deleted, in ${(res.ms / 1000).toFixed(1)} s`,
    );
    return res;
  } finally {
    s3.destroy();
  }
}

/**
 * Checks the policy as an anonymous client with plain `fetch`: the listing
 * answers 200, a held-out key 403 `AccessDenied`, a public key 200, and an
 * exempt held-out localizer key (when there is one) 200.
 */
async function verifyAnonymous(
  endpoint: string,
  bucket: string,
  objects: SourceObject[],
  policy: BucketPolicyKind,
  signal?: AbortSignal,
): Promise<void> {
  const base = `${endpoint.replace(/\/+$/, "")}/${bucket}`;
  const enc = (key: string) => key.split("/").map(encodeURIComponent).join("/");
  const list = await fetch(`${base}?list-type=2&max-keys=1`, { signal });
  const listText = await list.text();
  if (list.status !== 200) {
    throw new Error(`anonymous listing of ${bucket} answered ${list.status}: ${listText}`);
  }
  const pub = objects.filter((o) => !isDeniedKey(o.key, policy)).sort((a, b) => a.size - b.size);
  const exempt = objects.find((o) => isHeldOutKey(o.key) && !isDeniedKey(o.key, policy));
  for (const o of [pub[0], exempt]) {
    if (!o) continue;
    const r = await fetch(`${base}/${enc(o.key)}`, { signal });
    await r.body?.cancel();
    if (r.status !== 200) {
      throw new Error(`anonymous GET ${bucket}/${o.key} answered ${r.status}, expected 200`);
    }
  }
  const held = objects.find((o) => isDeniedKey(o.key, policy));
  if (held) {
    const r = await fetch(`${base}/${enc(held.key)}`, { signal });
    const text = await r.text();
    if (r.status !== 403 || !text.includes("<Code>AccessDenied</Code>")) {
      throw new Error(
        `anonymous GET of held-out ${bucket}/${held.key} answered ${r.status}, expected 403 AccessDenied: ${text}`,
      );
    }
  }
}

/**
 * Uploads the tree under `fromDir` as `bucket` (key = relative path), sets the
 * real bucket's policy and checks it anonymously. Idempotent (see module doc).
 *
 * @example
 * ```ts
 * import { seedBucket } from "./scripts/seed.ts";
 * const r = await seedBucket({ endpoint: "http://127.0.0.1:7480", fromDir: "/tmp/synth/bucket" });
 * console.log(r.uploaded, r.skipped);
 * ```
 */
export async function seedBucket(opts: SeedBucketOptions): Promise<SeedResult> {
  const bucket = opts.bucket ?? DEFAULT_BUCKET;
  const objects = await walk(opts.fromDir);
  if (objects.length === 0) throw new Error(`--from ${opts.fromDir}: no files to upload`);
  return await seedObjects(
    opts.endpoint,
    bucket,
    "tree",
    objects,
    opts.policy ?? "seed",
    opts.signal,
    opts.verbose ?? false,
  );
}

/**
 * Creates the pagination bucket: `count` tiny objects `many/obj-NNNNN.txt`
 * with anonymous read and list. Idempotent.
 *
 * @example
 * ```ts
 * import { seedPagination } from "./scripts/seed.ts";
 * await seedPagination({ endpoint: "http://127.0.0.1:7480", bucket: "laion-fmri-pagination", count: 2500 });
 * ```
 */
export async function seedPagination(opts: SeedPaginationOptions): Promise<SeedResult> {
  const bucket = opts.bucket ?? PAGINATION_BUCKET;
  const count = opts.count ?? PAGINATION_COUNT;
  const te = new TextEncoder();
  const objects: SourceObject[] = [];
  for (let i = 0; i < count; i++) {
    const name = `obj-${String(i).padStart(5, "0")}`;
    const body = te.encode(`${name}\n`);
    objects.push({ key: `many/${name}.txt`, size: body.byteLength, body });
  }
  return await seedObjects(
    opts.endpoint,
    bucket,
    "pagination",
    objects,
    "public",
    opts.signal,
    opts.verbose ?? false,
  );
}

function parseArgs(args: string[]) {
  const out: {
    endpoint?: string;
    from?: string;
    bucket?: string;
    policy?: BucketPolicyKind;
    pagination: boolean;
  } = { pagination: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--endpoint") out.endpoint = value();
    else if (flag === "--from") out.from = value();
    else if (flag === "--bucket") out.bucket = value();
    else if (flag === "--policy") {
      const v = value();
      if (!["seed", "current", "public"].includes(v)) {
        throw new Error(`--policy ${v}: valid: seed, current, public`);
      }
      out.policy = v as BucketPolicyKind;
    } else if (flag === "--pagination") out.pagination = true;
    else if (flag === "-h" || flag === "--help") {
      console.log(
        "usage: deno run --allow-read --allow-net=127.0.0.1 --allow-env --allow-write=/tmp " +
          "scripts/seed.ts --endpoint URL [--from DIR] [--bucket laion-fmri] [--policy seed|current] [--pagination]",
      );
      Deno.exit(0);
    } else {throw new Error(
        `unknown argument ${a} (valid: --endpoint, --from, --bucket, --policy, --pagination)`,
      );}
  }
  return out;
}

if (import.meta.main) {
  try {
    const args = parseArgs(Deno.args);
    const endpoint = args.endpoint ?? Deno.env.get("LAION_FMRI_S3_ENDPOINT") ??
      DEFAULT_LOCAL_ENDPOINT;
    if (!args.from && !args.pagination) {
      throw new Error("nothing to do: give --from DIR and/or --pagination");
    }
    if (args.from) {
      const r = await seedBucket({
        endpoint,
        fromDir: args.from,
        bucket: args.bucket,
        policy: args.policy,
        verbose: true,
      });
      console.log(JSON.stringify(r));
    }
    if (args.pagination) {
      const r = await seedPagination({ endpoint, verbose: true });
      console.log(JSON.stringify(r));
    }
  } catch (e) {
    console.error(`seed: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
