// The generator's stimulus-side files (scripts/synth/stimuli_*.ts) in the
// current-layout profile that scripts/with_local_s3.sh generates and seeds,
// read back with Debian's h5py, PIL and csv as independent readers, and the
// gated image file's policy on the local RGW.
import assert from "node:assert/strict";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import {
  EMBEDDING_MODELS,
  embeddingVector,
  generateStimuli,
  stimuliKeys,
  type StimuliTruth,
} from "../scripts/generate.ts";
import {
  bucketPolicy,
  CURRENT_BUCKET,
  GATED_STIMULUS_KEYS,
  isDeniedKey,
  seedClient,
} from "../scripts/seed.ts";
import type { ManifestEntry } from "../scripts/generate.ts";
import { localEndpoint, synthCurrentDir } from "./_helpers.ts";

const dir = synthCurrentDir();
const bucket = `${dir}/bucket`;
const truth: StimuliTruth = JSON.parse(
  Deno.readTextFileSync(`${dir}/ground-truth/stimuli.json`),
);
const manifest: ManifestEntry[] = JSON.parse(
  Deno.readTextFileSync(`${dir}/ground-truth/manifest.json`),
);

const PY = String.raw`
import csv, hashlib, io, json, os, sys
import h5py, numpy as np
from PIL import Image
d = sys.argv[1] + "/stimuli/"
out = {}
meta = list(csv.DictReader(open(d + "task-images_metadata.csv", newline="")))
out["meta_header"] = list(meta[0].keys())
out["meta"] = meta
emb = {}
for m in ["CLIP", "DINOv2", "PEcore", "SigLIP2"]:
    with h5py.File(d + "task-images_desc-%s_embeddings.h5" % m, "r") as f:
        e = f["embedding"]
        ids = f["image_ids"]
        v = f["valid"]
        arr = e[:].astype(np.float64)
        emb[m] = {
            "dtype": str(e.dtype), "shape": list(e.shape),
            "ids_vlen": str(h5py.check_string_dtype(ids.dtype).encoding),
            "ids": [x.decode() for x in ids[:]],
            "valid_dtype": str(v.dtype), "valid_all": bool(v[:].all()),
            "norms": np.linalg.norm(arr, axis=1).tolist(),
            "row3": e[3].astype(np.float64).tolist(),
        }
out["emb"] = emb
caps = list(csv.reader(open(d + "task-images_desc-captions.csv", newline="")))
out["cap_header"] = caps[0]
out["caps"] = caps[1:]
with h5py.File(d + "task-images_desc-segmentations.h5", "r") as f:
    m = f["masks"]
    a = m[:]
    out["masks"] = {
        "dtype": str(m.dtype), "shape": list(m.shape), "chunks": list(m.chunks),
        "compression": m.compression, "shuffle": bool(m.shuffle),
        "values": sorted(int(x) for x in np.unique(a)),
        "sums": a.reshape(a.shape[0], -1).sum(axis=1).tolist(),
    }
out["seg"] = list(csv.DictReader(open(d + "task-images_desc-segmentations_metadata.csv", newline="")))
with h5py.File(d + "task-images_stimuli.h5", "r") as f:
    im = f["images"]
    base = h5py.check_vlen_dtype(im.dtype)
    imgs = []
    for i in range(im.shape[0]):
        b = im[i].tobytes()
        p = Image.open(io.BytesIO(b))
        p.load()
        imgs.append({"format": p.format, "mode": p.mode, "size": list(p.size),
                     "sha": hashlib.sha256(b).hexdigest()})
    out["images"] = {"shape": list(im.shape), "base": str(base), "list": imgs}
    k = [r["image_name"] for r in meta].index(sys.argv[2])
    p = Image.open(io.BytesIO(im[k].tobytes()))
    out["known_mode"] = p.mode
    out["known_raw"] = [list(p.getpixel((x, 0))) for x in range(3)]
    bg = Image.new("RGBA", p.size, (128, 128, 128, 255))
    c = Image.alpha_composite(bg, p.convert("RGBA")).convert("RGB")
    out["known_displayed"] = [list(c.getpixel((x, 0))) for x in range(3)]
print(json.dumps(out))
`;

// deno-lint-ignore no-explicit-any
async function pythonReport(): Promise<any> {
  const r = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PY, bucket, truth.knownPixelPng!.name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return JSON.parse(new TextDecoder().decode(r.stdout));
}
const py = await pythonReport();
const names: string[] = py.meta.map((r: { image_name: string }) => r.image_name);

Deno.test("stimuli: metadata CSV columns, counts and values", () => {
  assert.deepEqual(py.meta_header, [
    "image_name",
    "dataset",
    "participant",
    "unique_or_shared",
    "n_reps",
  ]);
  assert.equal(names.length, truth.nImages);
  assert.deepEqual(names, truth.names);
  assert.equal(new Set(names).size, names.length);
  const shared = py.meta.filter((r: { unique_or_shared: string }) =>
    r.unique_or_shared === "shared"
  );
  assert.equal(shared.length, truth.nShared);
  for (const r of py.meta) {
    const isShared = r.image_name.startsWith("shared_");
    assert.equal(r.unique_or_shared, isShared ? "shared" : "unique", r.image_name);
    assert.equal(r.n_reps, isShared ? r.image_name.split("_")[1] : "1rep");
    assert.match(r.n_reps, /^(12rep|4rep|1rep)$/);
    if (isShared) assert.equal(r.participant, "sub-01;sub-03;sub-05;sub-06;sub-07");
    else assert.match(r.participant, /^sub-0\d$/);
    assert.match(r.image_name, /\.(jpg|png)$/);
  }
  // every shared family is present, OOD in both formats
  for (
    const f of ["shared_12rep_LAION", "shared_12rep_THINGS+", "shared_4rep_NSD", "shared_4rep_OOD"]
  ) {
    assert.ok(truth.families[f] > 0, f);
  }
  assert.ok(names.some((n) => n.startsWith("shared_4rep_OOD_") && n.endsWith(".jpg")));
  assert.equal(truth.nPng, names.filter((n) => n.endsWith(".png")).length);
  assert.ok(truth.nPng >= 2);
});

Deno.test("stimuli: embeddings are float16 (N, D), share one permuted image_ids order, normalised as documented", () => {
  const order = truth.embeddings.embeddingOrder;
  const expectedIds = order.map((r) => names[r]);
  assert.notDeepEqual(expectedIds, names, "embedding rows are not in metadata order");
  assert.deepEqual([...order].sort((a, b) => a - b), names.map((_, i) => i));
  for (const m of EMBEDDING_MODELS) {
    const e = py.emb[m.name];
    assert.equal(e.dtype, "float16", m.name);
    assert.deepEqual(e.shape, [names.length, m.dim], m.name);
    assert.equal(e.ids_vlen, "utf-8");
    assert.deepEqual(e.ids, expectedIds, m.name);
    assert.equal(e.valid_dtype, "bool");
    assert.equal(e.valid_all, true);
    for (const n of e.norms) {
      if (m.normalized) assert.ok(Math.abs(n - 1) < 2e-3, `${m.name} norm ${n}`);
      else assert.ok(n > 20 && n < 100, `${m.name} norm ${n}`);
    }
    // the stored float16 values are the generator's vectors rounded to float16
    const want = Array.from(new Float16Array(embeddingVector(1, m, expectedIds[3])));
    assert.deepEqual(e.row3, want, m.name);
  }
  assert.deepEqual(EMBEDDING_MODELS.map((m) => m.dim), [1024, 1024, 1024, 1152]);
});

Deno.test("stimuli: captions CSV rows per image, AI caption first, quoting survives", () => {
  assert.deepEqual(py.cap_header, [
    "image_name",
    "caption_idx",
    "source",
    "caption",
    "origin_collection",
    "participant_id",
    "ai_model",
  ]);
  assert.equal(py.caps.length, truth.captions.nRows);
  const byImage = new Map<string, string[][]>();
  for (const row of py.caps) {
    assert.equal(row.length, 7, JSON.stringify(row));
    if (!byImage.has(row[0])) byImage.set(row[0], []);
    byImage.get(row[0])!.push(row);
  }
  assert.deepEqual([...byImage.keys()], names);
  for (const [name, rows] of byImage) {
    const ood = name.startsWith("shared_4rep_OOD_");
    const want = !name.startsWith("shared_") ? 3 : ood ? 5 : 6;
    assert.equal(rows.length, want, name);
    const ai = rows.filter((r) => r[2] === "ai");
    assert.equal(ai.length, want === 6 ? 1 : 0, name);
    for (const r of ai) assert.deepEqual([r[1], r[4], r[5], r[6]], ["0", "gpt-5.1", "", "gpt-5.1"]);
    const human = rows.filter((r) => r[2] === "human");
    assert.deepEqual(human.map((r) => r[1]), human.map((_, i) => String(i + 1)));
    for (const r of human) {
      assert.match(r[5], /^P\d{3}$/);
      assert.equal(r[6], "");
    }
  }
  const texts = py.caps.map((r: string[]) => r[3]);
  assert.ok(texts.some((t: string) => t.includes(",")), "a caption with a comma");
  assert.ok(texts.some((t: string) => t.includes('"OPEN"')), "a caption with quotes");
  assert.ok(texts.some((t: string) => t.includes("café")), "a non-ASCII caption");
});

Deno.test("stimuli: segmentation masks (gzip + shuffle chunks) and their metadata", () => {
  const m = py.masks;
  const size = truth.imageSize;
  assert.equal(m.dtype, "uint8");
  assert.deepEqual(m.shape, [truth.segmentations.nMasks, size, size]);
  assert.deepEqual(m.chunks, [1, size, size]);
  assert.equal(m.compression, "gzip");
  assert.equal(m.shuffle, true);
  assert.deepEqual(m.values, [0, 1]);
  assert.equal(py.seg.length, m.shape[0]);
  const sharedNames = names.filter((n) => n.startsWith("shared_"));
  assert.deepEqual(
    [...new Set(py.seg.map((r: { image_name: string }) => r.image_name))],
    sharedNames,
  );
  let localized = 0;
  const best = new Map<string, number>();
  py.seg.forEach((r: Record<string, string>, i: number) => {
    assert.equal(Number(r.mask_row), i);
    const area = (Number(r.box_x1) - Number(r.box_x0)) * (Number(r.box_y1) - Number(r.box_y0));
    assert.equal(m.sums[i], area, `mask ${i} fills its box`);
    assert.equal(r.localized, m.sums[i] < 0.99 * size * size ? "1" : "0", `mask ${i}`);
    if (r.localized === "1") localized++;
    const k = `${r.image_name}|${r.noun}`;
    if (r.instance_id === "0") best.set(k, Number(r.score));
    else assert.ok(Number(r.score) <= best.get(k)!, `instance 0 of ${k} scores highest`);
  });
  assert.equal(localized, truth.segmentations.nLocalized);
  assert.ok(localized > 0 && localized < py.seg.length, "both localized values occur");
  assert.ok(py.seg.some((r: { noun: string }) => r.noun.includes(" , ")), "a phrase with a comma");
});

Deno.test("stimuli: gated images h5 holds real JPEG/PNG bytes in metadata order, with the known pixels", () => {
  assert.deepEqual(py.images.shape, [names.length]);
  assert.equal(py.images.base, "uint8");
  const size = truth.imageSize;
  py.images.list.forEach((im: { format: string; mode: string; size: number[] }, i: number) => {
    const png = names[i].endsWith(".png");
    assert.equal(im.format, png ? "PNG" : "JPEG", names[i]);
    assert.equal(im.mode, png ? "RGBA" : "RGB", names[i]);
    assert.deepEqual(im.size, [size, size]);
  });
  const shas = py.images.list.map((x: { sha: string }) => x.sha);
  assert.equal(new Set(shas).size, shas.length, "every image distinct");
  const known = truth.knownPixelPng!;
  assert.equal(known.name, names.find((n) => n.endsWith(".png")));
  assert.equal(names[known.row], known.name);
  assert.equal(py.known_mode, "RGBA");
  assert.deepEqual(py.known_raw, [[0, 0, 0, 0], [255, 0, 0, 255], [255, 0, 0, 128]]);
  assert.deepEqual(py.known_displayed, [[128, 128, 128], [255, 0, 0], [192, 64, 64]]);
});

Deno.test("stimuli: every trial label of every subject is a metadata image of the right kind", async () => {
  const meta = new Map<string, { participant: string; unique_or_shared: string }>(
    py.meta.map((r: { image_name: string }) => [r.image_name, r]),
  );
  const tsvs = manifest.filter((m) => m.key.endsWith("_desc-SingletrialBetas_trials.tsv"));
  assert.ok(tsvs.length >= 5 * 2);
  let nShared = 0, nUnique = 0;
  for (const { key } of tsvs) {
    const subject = key.split("/")[2];
    const lines = (await Deno.readTextFile(`${bucket}/${key}`)).trimEnd().split("\n");
    assert.equal(lines[0], "session\trun\tbeta_index\tlabel");
    for (const line of lines.slice(1)) {
      const label = line.split("\t")[3];
      const row = meta.get(label);
      assert.ok(row, `${key}: ${label} is not in the metadata`);
      if (label.startsWith("shared_")) {
        nShared++;
        assert.equal(row.unique_or_shared, "shared");
      } else {
        nUnique++;
        assert.equal(row.unique_or_shared, "unique");
        assert.equal(row.participant, subject, label);
      }
    }
  }
  assert.ok(nShared > 0 && nUnique > 0);
});

Deno.test("stimuli: --only stimuli writes the same bytes as the full current layout", async () => {
  const out = await Deno.makeTempDir({ prefix: "laion-stimuli-only-" });
  try {
    const r = await generateStimuli({ out, size: "small", seed: 1 });
    const full = manifest.filter((m) => m.key.startsWith("stimuli/"));
    assert.deepEqual(r.manifest, full);
    assert.deepEqual(full.map((m) => m.key), truth.keys);
    assert.deepEqual(r.truth, truth);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("stimuli: the gated image file is denied to anonymous readers, the rest is public", async () => {
  const base = `${localEndpoint().replace(/\/+$/, "")}/${CURRENT_BUCKET}`;
  assert.deepEqual(GATED_STIMULUS_KEYS, [stimuliKeys.images]);
  const denied = await fetch(`${base}/${stimuliKeys.images}`);
  assert.equal(denied.status, 403);
  assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/);
  for (const key of truth.keys.filter((k) => k !== stimuliKeys.images)) {
    const r = await fetch(`${base}/${key}`);
    assert.equal(r.status, 200, key);
    assert.deepEqual(
      new Uint8Array(await r.arrayBuffer()),
      await Deno.readFile(`${bucket}/${key}`),
    );
  }
  // the seeding user (whose keys presign the access service's URLs) still reads it
  const s3 = seedClient(localEndpoint());
  try {
    const o = await s3.send(
      new GetObjectCommand({ Bucket: CURRENT_BUCKET, Key: stimuliKeys.images }),
    );
    assert.deepEqual(
      await o.Body!.transformToByteArray(),
      await Deno.readFile(`${bucket}/${stimuliKeys.images}`),
    );
  } finally {
    s3.destroy();
  }
  assert.equal(isDeniedKey(stimuliKeys.images, "current"), true);
  assert.equal(isDeniedKey(stimuliKeys.images, "seed"), false);
  assert.equal(isDeniedKey(stimuliKeys.metadata, "current"), false);
  const gate = JSON.parse(bucketPolicy("b", "current")).Statement.find((s: { Sid: string }) =>
    s.Sid === "GatedStimuli"
  );
  assert.deepEqual(gate.Resource, ["arn:aws:s3:::b/stimuli/task-images_stimuli.h5"]);
  assert.equal(gate.Effect, "Deny");
});
