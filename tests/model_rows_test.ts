// Rows of the GLMsingle model file (`betasmd`) read by byte ranges, from a local
// file and from the bucket: equal to h5py's reading of the same rows, bit for bit,
// and never wrong numbers under faults (200 instead of 206, short bodies, a changed
// object between the metadata read and the data reads).
import assert from "node:assert/strict";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { FileByteSource } from "../lib/core/byte_source.ts";
import { S3RequestError } from "../lib/core/errors.ts";
import { readModelLayout, readModelRows } from "../lib/formats/glmsingle_model.ts";
import { ObjectByteSource } from "../lib/bucket/object_byte_source.ts";
import { readRemoteModelRows } from "../lib/subject/remote_model.ts";
import { S3Source } from "../lib/bucket/s3_source.ts";
import { CURRENT_BUCKET, seedClient } from "../scripts/seed.ts";
import { currentKeys } from "../scripts/generate.ts";
import { FaultProxy } from "./fault_proxy.ts";
import { localEndpoint, synthCurrentDir } from "./_helpers.ts";

const KEY = currentKeys.glmModel("sub-01", "ses-01");
const localPath = () => `${synthCurrentDir()}/bucket/${KEY}`;

/** h5py's float32 bits of betasmd[rows, 0, 0, :] as trials x rows, hex. */
async function h5pyRows(path: string, rows: number[]): Promise<string> {
  const code = `
import sys, json, h5py, numpy as np
rows = json.loads(sys.argv[2])
with h5py.File(sys.argv[1], "r") as f:
    a = f["betasmd"][...][rows, 0, 0, :]
sys.stdout.write(np.ascontiguousarray(a.T).astype("<f4").tobytes().hex())
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, path, JSON.stringify(rows)],
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

const hex = (a: Float32Array) =>
  Array.from(
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");

async function someRows(): Promise<number[]> {
  const { shape } = await readModelLayout(new FileByteSource(localPath()));
  const n = shape[0];
  // Neighbours (coalesced), a lone row, both ends, and an unsorted order.
  return [n - 1, 3, 4, 5, 0, Math.floor(n / 2), 6];
}

Deno.test("model rows from a local file equal h5py's, in the caller's order", async () => {
  const rows = await someRows();
  const { values, nTrials } = await readModelRows(new FileByteSource(localPath()), rows);
  assert.equal(values.length, nTrials * rows.length);
  assert.equal(hex(values), await h5pyRows(localPath(), rows));
  await assert.rejects(readModelRows(new FileByteSource(localPath()), [-1]), RangeError);
});

Deno.test("model rows from the bucket are bit-identical to the local file", async () => {
  const rows = await someRows();
  const local = await readModelRows(new FileByteSource(localPath()), rows);
  let wire = 0;
  const source = new S3Source({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET });
  const remote = await readModelRows(
    new ObjectByteSource(source, KEY, { onBytes: (n) => wire += n }),
    rows,
  );
  assert.deepEqual(remote.values, local.values);
  const payload = rows.length * local.layout.rowBytes;
  assert.ok(wire < payload + 256 * 1024, `${wire} bytes on the wire for ${payload} of rows`);
});

Deno.test("faults: 200 for a range, a wrong Content-Range, a short body -> right numbers or a clear error", async () => {
  const rows = await someRows();
  const local = await readModelRows(new FileByteSource(localPath()), rows);
  const proxy = new FaultProxy(localEndpoint(), CURRENT_BUCKET);
  try {
    const src = () =>
      new ObjectByteSource(
        new S3Source({ endpoint: proxy.url, bucket: CURRENT_BUCKET, maxAttempts: 1 }),
        KEY,
      );
    // A server that ignores Range answers 200 with the whole body: the asked bytes are cut out.
    proxy.addFault({ kind: "norange", times: 100 });
    assert.deepEqual((await readModelRows(src(), rows)).values, local.values);
    proxy.clearFaults();
    // A 206 for other bytes than asked is refused.
    proxy.addFault({ kind: "range", wrongStart: 0, match: (r) => (r.rangeStart ?? 0) > 0 });
    await assert.rejects(readModelRows(src(), rows), (e: unknown) => {
      assert.ok(e instanceof S3RequestError);
      assert.match(e.message, /asked for bytes \d+-\d+\/\d+, the server sent bytes 0-/);
      return true;
    });
    proxy.clearFaults();
    // A body cut short under correct headers is an error, never zeros.
    proxy.addFault({ kind: "truncate", afterBytes: 100, match: (r) => (r.rangeStart ?? 0) > 0 });
    await assert.rejects(readModelRows(src(), rows), (e: unknown) => {
      assert.ok(e instanceof S3RequestError, String(e));
      assert.match(e.message, /ended after \d+ of \d+ bytes/);
      return true;
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("an object that changes between the metadata read and the row reads is an error", async () => {
  const s3 = seedClient(localEndpoint());
  const key = `scratch/model-${crypto.randomUUID()}.h5`;
  const bytes = await Deno.readFile(localPath());
  try {
    await s3.send(new PutObjectCommand({ Bucket: CURRENT_BUCKET, Key: key, Body: bytes }));
    const src = new ObjectByteSource(
      new S3Source({ endpoint: localEndpoint(), bucket: CURRENT_BUCKET }),
      key,
    );
    const layout = await readModelLayout(src);
    // Someone rewrites the object: same size, other bytes (RGW itself answers If-Match with 412).
    const changed = bytes.slice();
    changed[layout.offset] ^= 0xff;
    await s3.send(new PutObjectCommand({ Bucket: CURRENT_BUCKET, Key: key, Body: changed }));
    await assert.rejects(readModelRows(src, [0, 1], { layout }), (e: unknown) => {
      assert.ok(e instanceof S3RequestError, String(e));
      assert.match(e.message, /changed while it was being read/);
      return true;
    });
  } finally {
    // Leave the bucket as seeded: other tests list it.
    await s3.send(new DeleteObjectCommand({ Bucket: CURRENT_BUCKET, Key: key }));
    s3.destroy();
  }
});

Deno.test("readRemoteModelRows: several sessions at once, each equal to its local file", async () => {
  const rows = await someRows();
  const sessions = ["ses-01", "ses-02", "ses-03"];
  const got = await readRemoteModelRows("sub-01", sessions, rows, {
    endpoint: localEndpoint(),
    bucket: CURRENT_BUCKET,
    concurrency: 2,
  });
  assert.deepEqual([...got.keys()], sessions);
  for (const ses of sessions) {
    const local = await readModelRows(
      new FileByteSource(`${synthCurrentDir()}/bucket/${currentKeys.glmModel("sub-01", ses)}`),
      rows,
    );
    assert.deepEqual(got.get(ses)!.values, local.values, ses);
  }
  await assert.rejects(
    readRemoteModelRows("sub-01", ["ses-31"], rows, {
      endpoint: localEndpoint(),
      bucket: CURRENT_BUCKET,
    }),
    (e: unknown) => (e as Error).name === "AccessDeniedError",
  );
});

Deno.test("readModelLayout grows a too-short head without reading bytes twice", async () => {
  const file = new FileByteSource(localPath());
  let read = 0;
  const counting = {
    name: file.name,
    size: () => file.size(),
    read: async (ranges: readonly { offset: number; length: number }[]) => {
      const chunks = await file.read(ranges);
      read += chunks.reduce((n, c) => n + c.length, 0);
      return chunks;
    },
  };
  const small = await readModelLayout(counting, { headBytes: 256 });
  assert.deepEqual(small, await readModelLayout(file));
  assert.ok(read <= 2 * 65536, `${read} bytes read for the metadata`);
  assert.ok(
    Number.isInteger(Math.log2(read / 256)),
    `read grew by doubling without re-reading: ${read}`,
  );
});
