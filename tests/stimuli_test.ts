/**
 * Stimulus-side API (Stimuli, Embeddings, Captions, Segmentations) against
 * files written by h5py + Pillow, compared with h5py + Pillow reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InvalidChoiceError,
  LaionFmriError,
  StimuliNotDownloadedError,
} from "../lib/core/errors.ts";
import { Hdf5File } from "../lib/formats/hdf5.ts";
import { contiguousLayoutOf, readContiguousRows, readHdf5Rows } from "../lib/formats/hdf5_rows.ts";
import { loadCaptions } from "../lib/stimuli/captions.ts";
import { over } from "../lib/stimuli/decode.ts";
import { loadEmbeddings } from "../lib/stimuli/embeddings.ts";
import { loadSegmentations } from "../lib/stimuli/segmentations.ts";
import { loadStimuli } from "../lib/stimuli/stimuli.ts";
import { JUPYTER_DISPLAY } from "../lib/core/display.ts";
import { ImageGrid } from "../lib/display/stimulus_views.ts";
import { downscale } from "../lib/stimuli/image.ts";
import { readStimuliReference, writeStimuliFixture } from "./_stimuli_fixture.ts";

const bits = (a: Float16Array) => Array.from(new Uint16Array(a.buffer, a.byteOffset, a.length));

Deno.test("stimuli: images, embeddings, captions, segmentations vs h5py + Pillow", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "laion-stimuli-" });
  try {
    const fx = await writeStimuliFixture(dataDir);
    const pick = [fx.names[3], fx.names[0], fx.names[3], fx.names.at(-1)!, fx.names[5]];
    const ref = await readStimuliReference(dataDir, {
      embeddings: { CLIP: pick, SigLIP2: pick },
      masks: [0, 5, fx.nMasks - 1],
    });

    await t.step("compositing equals Pillow's alpha_composite for every alpha", () => {
      assert.equal(over(255, 128, 0), 128);
      assert.equal(over(255, 128, 255), 255);
      assert.equal(over(255, 128, 128), 192);
      assert.equal(over(0, 128, 128), 64);
    });

    using stim = await loadStimuli({ dataDir });
    await t.step("metadata and names in CSV order; keys", () => {
      assert.equal(stim.metadata.height, fx.names.length);
      assert.deepEqual(stim.images.names(), fx.names);
      assert.equal(stim.images.indexOf(fx.names[2]), 2);
      assert.equal(stim.images.nameOf(-1), fx.names.at(-1));
      assert.ok(stim.images.has(-fx.names.length) && !stim.images.has(fx.names.length));
      assert.ok(!stim.images.has("nope.jpg"));
      assert.throws(() => stim.images.resolve(fx.names.length), /out of range \[-14, 14\)/);
      assert.throws(
        () => stim.images.indexOf("nope.jpg"),
        (e) =>
          e instanceof InvalidChoiceError && /"nope\.jpg"/.test(e.message) &&
          e.message.includes(fx.names[0]) && /14 in all/.test(e.message),
      );
    });

    await t.step("every image decodes like Pillow (PNG exact; JPEG within 2)", async () => {
      for (const name of fx.names) {
        const r = ref.images[name];
        const bytes = await stim.images.bytes(name);
        assert.equal(bytes.length, r.nbytes);
        const img = await stim.images.get(name);
        assert.deepEqual([img.width, img.height, img.channels], [...r.size, 3], name);
        const tol = name.endsWith(".png") ? 0 : 2;
        let worst = 0;
        img.data.forEach((v, i) => worst = Math.max(worst, Math.abs(v - r.displayed[i])));
        assert.ok(worst <= tol, `${name}: max |diff| ${worst} > ${tol}`);
        const own = await stim.images.get(name, { asDisplayed: false });
        if (r.ownMode === "RGBA" && r.mode !== "P") {
          assert.equal(own.channels, 4, name);
          assert.deepEqual(Array.from(own.data), r.own, name);
        }
      }
      const tex = await stim.images.get("shared_4rep_OOD_texture_a.png");
      assert.deepEqual([tex.pixel(0, 0), tex.pixel(1, 0), tex.pixel(2, 0)], [
        [128, 128, 128],
        [255, 0, 0],
        [192, 64, 64],
      ]);
    });

    await t.step("array: (n, H, W, 3) in key order", async () => {
      const batch = await stim.images.array([1, -1, fx.names[1]]);
      assert.deepEqual(batch.shape, [3, fx.height, fx.width, 3]);
      const size = fx.height * fx.width * 3;
      assert.deepEqual(batch.data.subarray(0, size), batch.data.subarray(2 * size));
      assert.deepEqual(batch.names, [fx.names[1], fx.names.at(-1), fx.names[1]]);
    });

    await t.step(
      "display: an image shows as a PNG; a grid composes them (read by Pillow)",
      async () => {
        const img = await stim.images.get(0);
        const bundle = img[JUPYTER_DISPLAY]();
        assert.ok(bundle["image/png"].length > 100 && bundle["text/plain"].includes(fx.names[0]));
        const imgs = [await stim.images.get(0), await stim.images.get(4)];
        const grid = new ImageGrid(imgs, ["a", "b"], { cell: 32 });
        const pic = await grid.toPicture();
        const png = join(dataDir, "grid.png");
        await pic.save(png);
        // The composed PNG is in the display too, for viewers that show no HTML (GitHub's).
        assert.equal((await grid[JUPYTER_DISPLAY]())["image/png"], pic.toBase64());
        const out = new Deno.Command("/usr/bin/python3", {
          args: [
            "-c",
            `from PIL import Image; im = Image.open(${JSON.stringify(png)}).convert("RGB"); ` +
            `print(im.size[0], im.size[1], *im.getpixel((1, 1)))`,
          ],
          stdout: "piped",
        }).outputSync();
        const [w, h, ...px] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
        // 32-pixel cells with a gap of 10 and a label row of 20, on the presentation grey
        assert.deepEqual([w, h], [10 + 2 * 42, 10 + 32 + 20 + 10]);
        assert.deepEqual(px, [128, 128, 128]);
        const small = downscale({
          width: 4,
          height: 2,
          channels: 3,
          data: Uint8Array.from({ length: 24 }, (_, i) => i),
        }, 2);
        assert.deepEqual([small.width, small.height], [2, 1]);
        assert.deepEqual(Array.from(small.data), [8, 9, 10, 14, 15, 16]); // 2x2 means, halves up
      },
    );

    await t.step("embeddings: caller order, repeats, float16 bits = h5py", async () => {
      using emb = await loadEmbeddings({ dataDir });
      assert.deepEqual(emb.models, ["CLIP", "DINOv2", "PEcore", "SigLIP2"]);
      assert.deepEqual(emb.imageIds, fx.embeddingOrder);
      for (const model of ["CLIP", "SigLIP2"] as const) {
        const m16 = emb.get(model, pick, { dtype: "float16" });
        assert.deepEqual([m16.rows, m16.cols], [pick.length, fx.dims[model]]);
        assert.deepEqual(bits(m16.data), ref.embeddings[model]);
        const m32 = emb.get(model, pick);
        assert.ok(m32.data instanceof Float32Array);
        assert.deepEqual(Array.from(m32.data), Array.from(m16.data));
        const one = emb.get(model, pick[1], { dtype: "float16" });
        assert.deepEqual(bits(one), ref.embeddings[model].slice(m16.cols, 2 * m16.cols));
      }
      assert.ok(emb.has("CLIP", pick[0]) && !emb.has("CLIP", "x.jpg") && !emb.has("ViT"));
      assert.throws(() => emb.get("CLIP", ["x.jpg"]), /Unknown image name "x\.jpg"/);
      // deno-lint-ignore no-explicit-any
      assert.throws(() => emb.get("ViT" as any, pick), /Unknown embedding model "ViT".*CLIP/);
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loadEmbeddings({ dataDir, models: ["clip" as any] }),
        InvalidChoiceError,
      );
      using one = await loadEmbeddings({ dataDir, models: "PEcore" });
      assert.throws(() => one.get("CLIP", pick), /not loaded by this handle/);
    });

    await t.step("readHdf5Rows across blocks equals h5py", async () => {
      using f = await Hdf5File.open(
        join(dataDir, "stimuli", "task-images_desc-CLIP_embeddings.h5"),
      );
      const order = fx.embeddingOrder;
      const rows = pick.map((n) => order.indexOf(n));
      for (const blockRows of [1, 2, 4096]) {
        const got = readHdf5Rows(f, "embedding", rows, {
          blockRows,
          maxGap: blockRows > 1 ? 3 : 0,
        });
        assert.deepEqual(bits(got.data as Float16Array), ref.embeddings.CLIP);
      }
      assert.throws(() => readHdf5Rows(f, "embedding", [0, 99]), /row 99 \(position 1\)/);
      // The direct path (contiguous dataset, plain file reads) gives the same bytes.
      const path = join(dataDir, "stimuli", "task-images_desc-CLIP_embeddings.h5");
      const layout = await contiguousLayoutOf(path, "embedding");
      assert.ok(layout && layout.dtype === "float16" && layout.rowBytes === 2 * fx.dims.CLIP);
      using raw = await Deno.open(path);
      for (const maxGapBytes of [0, 1 << 16]) {
        const got = readContiguousRows(raw, layout, rows, { maxGapBytes });
        assert.deepEqual(bits(got.data as Float16Array), ref.embeddings.CLIP);
      }
      assert.throws(() => readContiguousRows(raw, layout, [-1]), RangeError);
      const masks = join(dataDir, "stimuli", "task-images_desc-segmentations.h5");
      assert.equal(await contiguousLayoutOf(masks, "masks"), null); // chunked: read through HDF5
    });

    await t.step("captions: idx order, human/ai/list, bad source", async () => {
      const caps = await loadCaptions({ dataDir });
      const shared = fx.names[0], ood = "shared_4rep_OOD_texture_a.png", uniq = fx.names.at(-1)!;
      assert.deepEqual(
        caps.human(shared),
        [1, 2, 3, 4, 5].map((r) =>
          r === 2 ? `A "photo", number 2 of ${shared}\nsecond line` : `human ${r} of ${shared}`
        ),
      );
      assert.equal(caps.human(uniq, { limit: 2 }).length, 2);
      assert.equal(caps.ai(shared), `AI caption of ${shared}, detailed`);
      assert.equal(caps.ai(ood), null);
      assert.equal(caps.list(shared).length, 6);
      assert.equal(caps.list(shared)[0], caps.ai(shared));
      assert.deepEqual(caps.list("nope.jpg"), []);
      const df = await caps.get(shared);
      assert.deepEqual(df.getColumn("caption_idx").toArray(), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(caps.images(), [...fx.names].sort());
      // deno-lint-ignore no-explicit-any
      assert.throws(() => caps.list(shared, { source: "robot" as any }), /"robot".*'human', 'ai'/);
    });

    await t.step("segmentations: nouns, masks = h5py, errors", async () => {
      using seg = await loadSegmentations({ dataDir });
      assert.equal(seg.length, fx.nMasks);
      const name = fx.names[0]; // nouns dog (2 instances), a phrase, sky (not localized)
      assert.deepEqual(
        seg.nouns(name),
        ["dog", "short , pale pink polished nails"].filter((n) =>
          seg.nouns(name, { localizedOnly: false }).includes(n)
        ),
      );
      assert.deepEqual(
        new Set(seg.nouns(name, { localizedOnly: false })),
        new Set(["dog", "short , pale pink polished nails", "sky"]),
      );
      assert.ok(!seg.nouns(name).includes("sky"));
      for (const row of [0, 5, fx.nMasks - 1]) {
        const m = seg.mask(row);
        assert.deepEqual([m.height, m.width], [fx.height, fx.width]);
        assert.deepEqual(Array.from(m.data), ref.masks[String(row)]);
      }
      const rows = await seg.forImage(name);
      const dog1 = rows.toRecords().find((r) => r.noun === "dog" && r.instance_id === 1)!;
      assert.deepEqual(
        seg.get(name, "dog", { instance: 1 }).data,
        seg.mask(Number(dog1.mask_row)).data,
      );
      assert.ok(!seg.hasImage(fx.names.at(-1)!));
      assert.throws(() => seg.get(fx.names.at(-1)!, "dog"), LaionFmriError);
      assert.throws(() => seg.get(name, "unicorn"), /"unicorn".*'dog'/);
      assert.throws(() => seg.get(name, "dog", { instance: 7 }), /7.*'0', '1'/);
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("stimuli: public files work without the gated images; missing files are typed", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "laion-stimuli-public-" });
  try {
    await assert.rejects(
      loadEmbeddings({ dataDir }),
      (e) =>
        e instanceof StimuliNotDownloadedError && e.cliCommand === "laion-fmri download-embeddings",
    );
    await assert.rejects(loadCaptions({ dataDir }), /laion-fmri download-captions/);
    await assert.rejects(loadSegmentations({ dataDir }), /laion-fmri download-segmentations/);
    const fx = await writeStimuliFixture(dataDir, { images: false });
    await assert.rejects(
      loadStimuli({ dataDir }),
      (e) =>
        e instanceof StimuliNotDownloadedError && e.cliCommand === "laion-fmri download-stimuli" &&
        e.path!.endsWith("task-images_stimuli.h5") && /laion-fmri download-stimuli/.test(e.message),
    );
    using emb = await loadEmbeddings({ dataDir, models: ["DINOv2"] });
    assert.equal(emb.get("DINOv2", fx.names).rows, fx.names.length);
    assert.equal((await loadCaptions({ dataDir })).images().length, fx.names.length);
    using seg = await loadSegmentations({ dataDir });
    assert.equal(seg.length, fx.nMasks);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
