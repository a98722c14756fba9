/**
 * The gated-image download path, against the local RGW and access service:
 * `downloadFile` (hash while streaming, sidecar) vs upstream's pattern in
 * Debian's Python (urllib stream to a file, then hashlib over the file), and
 * the "already downloaded" check with our sidecar vs a full re-hash (what
 * upstream's `download_stimuli` does on every call).
 *
 *   deno task bench:access   [LAION_FMRI_BENCH_MB=128]
 */
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { submitAccessRequest } from "../lib/access/client.ts";
import { downloadFile } from "../lib/access/download_file.ts";
import { sidecarPath } from "../lib/access/verified_file.ts";
import { startAccessService } from "../scripts/access_service.ts";
import { bucketPolicy, seedClient } from "../scripts/seed.ts";

const endpoint = Deno.env.get("LAION_FMRI_S3_ENDPOINT");
if (!endpoint) throw new Error("run through scripts/with_local_s3.sh (deno task bench:access)");
const MB = Number(Deno.env.get("LAION_FMRI_BENCH_MB") ?? 128);
const bucket = "laion-fmri-access-bench";
const size = MB * 1024 * 1024;

const body = new Uint8Array(size);
for (let off = 0; off < size; off += 65536) crypto.getRandomValues(body.subarray(off, off + 65536));
const sha = createHash("sha256").update(body).digest("hex");
const s3 = seedClient(endpoint);
await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
await s3.send(
  new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(bucket, "current") }),
);
for (
  const [Key, Body] of [
    ["stimuli/task-images_stimuli.h5", body],
    ["stimuli/task-images_metadata.csv", new TextEncoder().encode("image_name\nx\n")],
  ] as const
) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
s3.destroy();

const svc = startAccessService({ endpoint, bucket });
const dir = await Deno.makeTempDir({ prefix: "access-bench-" });
try {
  const form = {
    name: "Bench",
    email: "bench@uni.example",
    institution: "Bench",
    piOrSupervisor: null,
    researchPurpose: "Benchmarking the download path.",
    acceptedTerms: true,
    acknowledgedPrivacy: true,
    termsVersion: "2026-05-11",
    source: "cli",
  };
  const grant = await submitAccessRequest(form, { serverUrl: svc.url });
  const url = grant.files.find((f) => f.name === "task-images_stimuli.h5")!.url;
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return (performance.now() - t) / 1000;
  };
  const py = `
import hashlib, sys, time, urllib.request
url, dest, what = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
if what == "download":
    with urllib.request.urlopen(url, timeout=60) as r, open(dest, "wb") as f:
        while True:
            chunk = r.read(1 << 20)
            if not chunk: break
            f.write(chunk)
h = hashlib.sha256()
with open(dest, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)
print(time.perf_counter() - t, h.hexdigest())
`;
  const python = async (what: string, dest: string) => {
    const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", py, url, dest, what] })
      .output();
    const [secs, hex] = new TextDecoder().decode(out.stdout).trim().split(" ");
    if (hex !== sha) throw new Error(`python: wrong hash ${hex}`);
    return Number(secs);
  };
  const dest = join(dir, "task-images_stimuli.h5");
  const opts = { expectedSize: size, expectedSha256: sha, quiet: true };
  const runs = 3;
  const ours: number[] = [], theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await Deno.remove(dest).catch(() => {});
    await Deno.remove(sidecarPath(dest)).catch(() => {});
    ours.push(await time(() => downloadFile(url, dest, opts)));
    theirs.push(await python("download", join(dir, `py-${i}.h5`)));
    await Deno.remove(join(dir, `py-${i}.h5`));
  }
  const cachedSidecar = await time(() => downloadFile(url, dest, opts));
  await Deno.remove(sidecarPath(dest));
  const cachedHash = await time(() => downloadFile(url, dest, opts));
  const pyRehash = await python("hash", dest);
  const best = (xs: number[]) => Math.min(...xs);
  const rate = (s: number) => `${(MB / s).toFixed(0)} MiB/s`;
  console.log(
    `access bench: ${MB} MiB gated file via presigned URL from the local RGW (best of ${runs})`,
  );
  console.log(
    `  download + verify  ours (hash while streaming): ${best(ours).toFixed(3)} s (${
      rate(best(ours))
    })`,
  );
  console.log(
    `  download + verify  Debian Python (urllib, then hashlib over the file): ${
      best(theirs).toFixed(3)
    } s (${rate(best(theirs))})  ratio python/ours ${(best(theirs) / best(ours)).toFixed(2)}x`,
  );
  console.log(
    `  already-downloaded check  ours with sidecar: ${(cachedSidecar * 1000).toFixed(2)} ms`,
  );
  console.log(
    `  already-downloaded check  ours without sidecar (full hash): ${cachedHash.toFixed(3)} s`,
  );
  console.log(
    `  already-downloaded check  Debian Python full re-hash (upstream, every call): ${
      pyRehash.toFixed(3)
    } s  ratio python/ours-with-sidecar ${(pyRehash / cachedSidecar).toFixed(0)}x`,
  );
} finally {
  await svc.close();
  await Deno.remove(dir, { recursive: true });
}
