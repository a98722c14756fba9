// deno test --allow-read --allow-write=/tmp --allow-env=LAION_FMRI_SPLITS_DIR --allow-ffi --allow-sys=cpus,networkInterfaces,hostname --allow-run=deno tests/splits_test.ts
//
// Reads the reference split files in /work/shared/laion-fmri-splits through
// LAION_FMRI_SPLITS_DIR (set here when the caller did not set it). --allow-ffi,
// --allow-sys=... are for nodejs-polars; --allow-run=deno runs splits/install.ts.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import pl from "nodejs-polars";
import { InvalidChoiceError, LaionFmriError } from "../lib/core/errors.ts";
import {
  getSplitMasks,
  getTrainTestIds,
  listOodTypes,
  listPools,
  listSplits,
  loadAllSplits,
  loadSplit,
  oodTypeOf,
  Split,
  SPLITS_DIR_ENV,
  SplitsNotInstalledError,
  SplitVariant,
} from "../lib/splits/mod.ts";
import { listFiles, REFERENCE_DIR, runInstall } from "./_splits_fixture.ts";

Deno.env.set(SPLITS_DIR_ENV, REFERENCE_DIR);

const POOLS = ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"];
const SPLITS = [
  "random_0",
  "random_1",
  "random_2",
  "random_3",
  "random_4",
  "cluster_k5_0",
  "cluster_k5_1",
  "cluster_k5_2",
  "cluster_k5_3",
  "cluster_k5_4",
  "tau",
  "ood",
];
const OOD_COUNTS: Record<string, number> = {
  cropped: 60,
  gabor: 10,
  gaudy: 24,
  "illusion-classic": 21,
  "illusion-natural": 8,
  relations: 72,
  selfmade: 30,
  shape: 82,
  unusual: 64,
};
const CLUSTER: Record<string, [number, number][]> = {
  shared: [[847, 274], [873, 248], [875, 246], [896, 225], [993, 128]],
  "sub-01": [[5218, 615], [4540, 1293], [4327, 1506], [4595, 1238], [4652, 1181]],
  "sub-03": [[4298, 1535], [5223, 610], [4604, 1229], [4645, 1188], [4562, 1271]],
  "sub-05": [[4617, 1216], [4491, 1342], [5223, 610], [4634, 1199], [4367, 1466]],
  "sub-06": [[5231, 602], [4607, 1226], [4583, 1250], [4307, 1526], [4604, 1229]],
  "sub-07": [[4310, 1523], [4651, 1182], [4577, 1256], [4583, 1250], [5211, 622]],
};

/** Expected [nTrain, nTest] of a split in a pool (upstream §7.3). */
function expected(pool: string, name: string): [number, number] {
  const shared = pool === "shared";
  if (name === "ood") return [shared ? 1121 : 5833, 371];
  if (name.startsWith("cluster_k5_")) return CLUSTER[pool][Number(name.at(-1))];
  return shared ? [897, 224] : [4666, 1167];
}

Deno.test("catalogue: pools, splits, OOD types", () => {
  assert.deepEqual(listPools(), POOLS);
  assert.deepEqual(listSplits(), SPLITS);
  assert.deepEqual(listOodTypes(), Object.keys(OOD_COUNTS));
  assert.deepEqual(listOodTypes(), [...listOodTypes()].sort());
  listPools().pop(); // a copy each time
  assert.equal(listPools().length, 6);
  assert.equal(oodTypeOf("shared_4rep_OOD_illusion-classic_x_1.png"), "illusion-classic");
  assert.equal(oodTypeOf("shared_4rep_OOD_shape_a.gif"), undefined);
  assert.equal(oodTypeOf("shared_12rep_LAION_cluster_1003_i0.jpg"), undefined);
});

Deno.test("every split in every pool: counts, lengths, disjoint, family", async () => {
  for (const pool of POOLS) {
    for (const name of SPLITS) {
      const split = await loadSplit(name, { pool });
      const [nTrain, nTest] = expected(pool, name);
      assert.ok(split instanceof Split);
      assert.equal(split.name, name);
      assert.equal(split.pool, pool, "pool is the requested one, not the file's description");
      assert.equal(split.nTrain, nTrain, `${pool}/${name} nTrain`);
      assert.equal(split.nTest, nTest, `${pool}/${name} nTest`);
      assert.equal(split.variants.length, 1);
      const v = split.variants[0];
      assert.ok(v instanceof SplitVariant);
      assert.equal(v.variantId, 0);
      assert.equal(v.trainIds.length, nTrain);
      assert.equal(v.testIds.length, nTest);
      const train = new Set(v.trainIds);
      assert.ok(v.testIds.every((id) => !train.has(id)), `${pool}/${name} disjoint`);
      assert.deepEqual(v.allIds(), [...v.trainIds, ...v.testIds]);
      assert.notEqual(v.allIds(), v.allIds());
      assert.deepEqual(v.trainIds, [...v.trainIds].sort(), "sorted");
      const family = name.startsWith("random_")
        ? "random"
        : name.startsWith("cluster_k5_")
        ? "cluster_k5"
        : name;
      assert.equal(split.splitFamily, family);
      assert.equal(split.splitter, name === "ood" ? "ood_holdout" : "min_nn_stochastic");
    }
  }
});

Deno.test("pool sizes: shared 1121 = 641 + 240 + 240, subjects 5833 ⊃ shared, unique sets disjoint", async () => {
  const poolIds = new Map<string, Set<string>>();
  for (const pool of POOLS) {
    const ids = new Set((await loadSplit("random_0", { pool })).variants[0].allIds());
    poolIds.set(pool, ids);
    for (const name of SPLITS.filter((n) => n !== "ood")) {
      const again = (await loadSplit(name, { pool })).variants[0].allIds();
      assert.equal(again.length, ids.size);
      assert.ok(again.every((id) => ids.has(id)), `${pool}/${name} covers the same pool`);
    }
    const [oodTrain] = await getTrainTestIds("ood", { pool });
    assert.deepEqual(new Set(oodTrain), ids, "ood train = the whole pool");
  }
  const shared = [...poolIds.get("shared")!];
  assert.equal(shared.length, 1121);
  assert.equal(shared.filter((s) => s.startsWith("shared_12rep_LAION_")).length, 641);
  assert.equal(shared.filter((s) => s.startsWith("shared_12rep_THINGS+_")).length, 240);
  assert.equal(shared.filter((s) => s.startsWith("shared_4rep_NSD_")).length, 240);
  const seen = new Set<string>();
  for (const pool of POOLS.slice(1)) {
    const ids = poolIds.get(pool)!;
    assert.equal(ids.size, 5833);
    assert.ok(shared.every((id) => ids.has(id)), `shared ⊂ ${pool}`);
    const unique = [...ids].filter((id) => !poolIds.get("shared")!.has(id));
    assert.equal(unique.length, 4712);
    assert.ok(unique.every((id) => !seen.has(id)), `${pool} unique ids are its own`);
    unique.forEach((id) => seen.add(id));
  }
});

Deno.test("OOD: 371 test ids, per-type counts, filters, identical across pools", async () => {
  const [, all] = await getTrainTestIds("ood", { pool: "shared" });
  assert.equal(all.length, 371);
  assert.ok(all.every((id) => id.startsWith("shared_4rep_OOD_")));
  const counts: Record<string, number> = {};
  for (const id of all) counts[oodTypeOf(id)!] = (counts[oodTypeOf(id)!] ?? 0) + 1;
  assert.deepEqual(counts, OOD_COUNTS);
  for (const [type, n] of Object.entries(OOD_COUNTS)) {
    const [train, test] = await getTrainTestIds("ood", { pool: "sub-03", oodTypes: [type] });
    assert.equal(test.length, n, type);
    assert.equal(train.length, 5833, "train ids are never filtered");
  }
  const [, shape] = await getTrainTestIds("ood", { pool: "shared", oodTypes: ["shape"] });
  assert.equal(shape.length, 82);
  assert.ok(shape.every((id) => id.includes("_OOD_shape_")));
  const pair = await getTrainTestIds("ood", { pool: "sub-01", oodTypes: ["shape", "unusual"] });
  assert.equal(pair.testIds.length, 146);
  assert.equal(pair.trainIds, pair[0]);
  assert.equal(pair.testIds, pair[1]);
  assert.equal(pair.length, 2);
  assert.equal(Object.keys(pair).length, 2, "aliases are not enumerable");
  assert.equal((await getTrainTestIds("ood", { pool: "shared", oodTypes: "gabor" }))[1].length, 10);
  const [emptyTrain, empty] = await getTrainTestIds("ood", { pool: "shared", oodTypes: [] });
  assert.equal(empty.length, 0);
  assert.equal(emptyTrain.length, 1121);
  for (const pool of POOLS.slice(1)) {
    assert.deepEqual((await getTrainTestIds("ood", { pool }))[1], all, `ood test set of ${pool}`);
  }
});

Deno.test("getTrainTestIds returns new arrays in file order", async () => {
  const [train, test] = await getTrainTestIds("tau", { pool: "sub-01" });
  assert.equal(train.length, 4666);
  assert.equal(test.length, 1167);
  train.length = 0;
  test.push("junk");
  const [train2, test2] = await getTrainTestIds("tau", { pool: "sub-01" });
  assert.equal(train2.length, 4666);
  assert.equal(test2.length, 1167);
  const split = await loadSplit("tau", { pool: "sub-01" });
  assert.deepEqual(train2, split.variants[0].trainIds);
  split.variants[0].trainIds.length = 0;
  assert.equal((await loadSplit("tau", { pool: "sub-01" })).variants[0].trainIds.length, 4666);
});

Deno.test("loadAllSplits: 12 splits in catalogue order", async () => {
  const all = await loadAllSplits("sub-07");
  assert.deepEqual(Object.keys(all), SPLITS);
  assert.ok(Object.values(all).every((s) => s instanceof Split && s.pool === "sub-07"));
  assert.equal(all.cluster_k5_4.nTest, 622);
  await assert.rejects(() => loadAllSplits("sub-02"), InvalidChoiceError);
});

Deno.test("errors name the bad value and list the valid ones", async () => {
  await assert.rejects(() => loadSplit("random_9", { pool: "shared" }), (e: Error) => {
    assert.ok(e instanceof InvalidChoiceError);
    assert.equal(e.value, "random_9");
    assert.match(e.message, /^Unknown split "random_9"\. Valid: \['random_0', .*'tau', 'ood'\]$/);
    return true;
  });
  await assert.rejects(() => loadSplit("tau", { pool: "sub-02" }), (e: Error) => {
    assert.ok(e instanceof InvalidChoiceError);
    assert.equal(
      e.message,
      `Unknown pool "sub-02". Valid: ['shared', 'sub-01', 'sub-03', 'sub-05', 'sub-06', 'sub-07']`,
    );
    return true;
  });
  // The split name is checked before the pool.
  await assert.rejects(() => loadSplit("nope", { pool: "nope" }), /Unknown split "nope"/);
  await assert.rejects(
    () => getTrainTestIds("tau", { pool: "sub-01", variantId: 999 }),
    (e: Error) => {
      assert.ok(e instanceof InvalidChoiceError);
      assert.equal(e.value, 999);
      assert.deepEqual(e.valid, ["0"]);
      assert.match(e.message, /variantId=999 is not in split 'tau' \(pool sub-01\)/);
      return true;
    },
  );
  const split = await loadSplit("tau", { pool: "shared" });
  assert.throws(() => split.variant(3), /Unknown variantId 3\. Valid: \['0'\]/);
  assert.equal(split.variant().testIds.length, 224);
  await assert.rejects(
    () => getTrainTestIds("ood", { pool: "shared", oodTypes: ["shape", "triangles", "Gabor"] }),
    (e: Error) => {
      assert.ok(e instanceof InvalidChoiceError);
      assert.deepEqual(e.value, ["triangles", "Gabor"]);
      assert.ok(
        e.message.startsWith(`Unknown oodTypes ["triangles","Gabor"]. Valid: ['cropped',`),
      );
      return true;
    },
  );
  await assert.rejects(
    () => getTrainTestIds("tau", { pool: "sub-01", oodTypes: ["shape"] }),
    (e: Error) => {
      assert.ok(e instanceof LaionFmriError);
      assert.ok(e.message.includes("only valid for the 'ood' split"));
      assert.ok(e.message.includes("'tau'"));
      return true;
    },
  );
  // OOD type names are checked before the split restriction (upstream order).
  await assert.rejects(
    () => getTrainTestIds("tau", { pool: "sub-01", oodTypes: "nope" }),
    /Unknown oodTypes/,
  );
  await assert.rejects(
    () => getSplitMasks(["x"], "random_0", { pool: "shared", oodTypes: [] }),
    /only valid for the 'ood' split/,
  );
});

Deno.test("getSplitMasks from a string array", async () => {
  const [train, test] = await getTrainTestIds("random_0", { pool: "sub-05" });
  const labels = [...train.slice(0, 10), ...test.slice(0, 10), "nope.jpg"];
  const masks = await getSplitMasks(labels, "random_0", { pool: "sub-05" });
  assert.equal(masks.length, 21);
  assert.equal(masks.nTrain, 10);
  assert.equal(masks.nTest, 10);
  assert.deepEqual(masks.train, [...Array(10).fill(true), ...Array(11).fill(false)]);
  const [t, s] = masks;
  assert.equal(t, masks.train);
  assert.equal(s, masks.test);
  assert.equal(masks.test[20], false);
  const fromIterable = await getSplitMasks(new Set(labels), "random_0", { pool: "sub-05" });
  assert.deepEqual(fromIterable.test, masks.test);
  await assert.rejects(
    () => getSplitMasks("a.jpg" as unknown as string[], "tau", { pool: "shared" }),
    TypeError,
  );
});

Deno.test("getSplitMasks from a Polars DataFrame (50 + 50 + 5 unknown)", async () => {
  const [train, test] = await getTrainTestIds("cluster_k5_1", { pool: "sub-06" });
  const noise = ["a.jpg", "b.jpg", "c.png", "shared_4rep_OOD_shape_zzz.png", ""];
  const labels = [...train.slice(0, 50), ...noise, ...test.slice(-50)];
  const trials = pl.DataFrame({ session: labels.map((_, i) => `ses-${i % 3}`), label: labels });
  const masks = await getSplitMasks(trials, "cluster_k5_1", { pool: "sub-06" });
  assert.equal(masks.nTrain, 50);
  assert.equal(masks.nTest, 50);
  assert.ok(masks.train.every((b, i) => !(b && masks.test[i])), "disjoint");
  for (let i = 50; i < 55; i++) assert.ok(!masks.train[i] && !masks.test[i], labels[i]);
  const out = await masks.withMasks(trials);
  assert.deepEqual(out.columns, ["session", "label", "train", "test"]);
  assert.ok(out.getColumn("train").dtype.equals(pl.Bool));
  assert.equal(out.filter(pl.col("test")).height, 50);
  const { train: trainSeries } = await masks.toSeries({ train: "is_train" });
  assert.equal(trainSeries.name, "is_train");
  // nodejs-polars 0.25.2: sum() of a Bool Series returns a boolean, so cast first.
  assert.equal(trainSeries.cast(pl.UInt32).sum(), 50);
  await assert.rejects(() => masks.withMasks(trials.head(3)), /has 3 rows but the masks have 105/);
  // A Series of labels works too.
  const bySeries = await getSplitMasks(trials.getColumn("label"), "cluster_k5_1", {
    pool: "sub-06",
  });
  assert.deepEqual(bySeries.train, masks.train);
  // Upstream bug (§14): a DataFrame without `label` -> a clear error listing its columns.
  await assert.rejects(
    () => getSplitMasks(trials.rename({ label: "stim" }), "tau", { pool: "shared" }),
    (e: Error) => {
      assert.ok(e instanceof LaionFmriError);
      assert.ok(e.message.includes(`"label" column`));
      assert.ok(e.message.includes("['session', 'stim']"));
      return true;
    },
  );
});

Deno.test("getSplitMasks with oodTypes: 82 test, 0 train", async () => {
  const [, oodIds] = await getTrainTestIds("ood", { pool: "sub-01" });
  const trials = pl.DataFrame({ label: oodIds });
  const masks = await getSplitMasks(trials, "ood", { pool: "sub-01", oodTypes: ["shape"] });
  assert.equal(masks.nTest, 82);
  assert.equal(masks.nTrain, 0);
});

Deno.test("display: one-line inspect, escaped Jupyter HTML", async () => {
  const split = await loadSplit("cluster_k5_0", { pool: "sub-01" });
  const line = Deno.inspect(split);
  assert.equal(
    line,
    `Split { name: "cluster_k5_0", pool: "sub-01", family: "cluster_k5", nTrain: 5218, nTest: 615, variants: 1 }`,
  );
  assert.ok(!Deno.inspect(split.variants[0]).includes(".jpg"));
  assert.ok(!Deno.inspect(await getSplitMasks(["x"], "tau", { pool: "shared" })).includes("false"));
  const display = (split as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  assert.deepEqual(Object.keys(display).sort(), ["text/html", "text/plain"]);
  for (const s of ["cluster_k5_0", "sub-01", "cluster_k5", "5218", "615"]) {
    assert.ok(display["text/html"].includes(s), s);
    assert.ok(display["text/plain"].includes(s), s);
  }
  assert.ok(display["text/html"].length < 2000);
  const odd = new Split({ name: `<b>"x"&`, pool: "p<", nTrain: 0, nTest: 0 });
  const html = (odd as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]()["text/html"];
  assert.ok(html.includes("&lt;b&gt;&quot;x&quot;&amp;"));
  assert.ok(html.includes("p&lt;"));
  assert.ok(!html.includes("<b>"));
  assert.equal(odd.splitFamily, "other");
  assert.equal(odd.splitter, "");
  assert.deepEqual(odd.params, {});
});

Deno.test("data source: LAION_FMRI_SPLITS_DIR set but missing files; package data missing", async () => {
  const missing = await Deno.makeTempDir({ prefix: "splits_test_empty_" });
  try {
    Deno.env.set(SPLITS_DIR_ENV, missing);
    await assert.rejects(() => loadSplit("tau", { pool: "sub-03" }), (e: Error) => {
      assert.ok(e instanceof SplitsNotInstalledError);
      assert.equal(e.path, join(missing, "sub-03", "tau.json"));
      assert.ok(e.message.includes(`LAION_FMRI_SPLITS_DIR is set to ${missing}`));
      assert.ok(e.command.includes(`--to ${missing}`));
      return true;
    });
    Deno.env.delete(SPLITS_DIR_ENV);
    const packageData = fileURLToPath(new URL("../splits/data/", import.meta.url));
    const installed = await Deno.stat(join(packageData, "shared", "tau.json")).then(
      () => true,
      () => false,
    );
    if (!installed) {
      await assert.rejects(() => loadSplit("tau", { pool: "shared" }), (e: Error) => {
        assert.ok(e instanceof SplitsNotInstalledError);
        assert.ok(e.message.includes("splits/install.ts"));
        assert.ok(e.message.includes("deno task splits:install"));
        assert.ok(e.message.includes("LAION_FMRI_SPLITS_DIR"));
        assert.ok(e.command.includes("--allow-net=raw.githubusercontent.com"));
        return true;
      });
    }
  } finally {
    Deno.env.set(SPLITS_DIR_ENV, REFERENCE_DIR);
    await Deno.remove(missing, { recursive: true });
  }
});

Deno.test("splits/install.ts --from --to: 72 validated files, byte-identical", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "splits_test_install_" });
  try {
    const to = join(tmp, "data");
    const r = await runInstall(["--from", REFERENCE_DIR, "--to", to], tmp);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Installed 72 split files/);
    const files = await listFiles(to);
    assert.equal(files.length, 72, "no temp files left");
    assert.deepEqual(files, POOLS.flatMap((p) => SPLITS.map((s) => `${p}/${s}.json`)).sort());
    for (const f of ["shared/ood.json", "sub-07/cluster_k5_4.json"]) {
      assert.deepEqual(
        await Deno.readFile(join(to, f)),
        await Deno.readFile(join(REFERENCE_DIR, f)),
      );
    }
    // Running again replaces the files in place.
    assert.equal((await runInstall(["--from", REFERENCE_DIR, "--to", to], tmp)).code, 0);
    assert.equal((await listFiles(to)).length, 72);
    const help = await runInstall(["--help"], tmp);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--from DIR/);
    assert.equal((await runInstall(["--bogus"], tmp)).code, 2);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("splits/install.ts rejects a corrupted copy and writes nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "splits_test_corrupt_" });
  try {
    const corruptions: [string, string, (d: Record<string, unknown>) => void, RegExp][] = [
      ["sub-03", "tau", (d) => d.n_train = (d.n_train as number) + 1, /n_train is 4667 but/],
      ["shared", "random_2", (d) => {
        const v = (d.variants as Record<string, string[]>[])[0];
        v.test_ids[0] = v.train_ids[0];
      }, /in both train_ids and test_ids/],
    ];
    for (const [pool, name, corrupt, problem] of corruptions) {
      const copy = join(tmp, `copy-${name}`);
      for (const p of POOLS) {
        await Deno.mkdir(join(copy, p), { recursive: true });
        for (const s of SPLITS) {
          await Deno.copyFile(join(REFERENCE_DIR, p, `${s}.json`), join(copy, p, `${s}.json`));
        }
      }
      const bad = join(copy, pool, `${name}.json`);
      const data = JSON.parse(await Deno.readTextFile(bad));
      corrupt(data);
      await Deno.writeTextFile(bad, JSON.stringify(data));
      const to = join(tmp, `out-${name}`);
      const r = await runInstall(["--from", copy, "--to", to], tmp);
      assert.equal(r.code, 1);
      const first = r.stderr.split("\n")[0];
      assert.ok(first.startsWith(`error: ${bad}: `), first);
      assert.match(first, problem);
      await assert.rejects(() => Deno.stat(join(to, pool, `${name}.json`)), Deno.errors.NotFound);
      await assert.rejects(() => Deno.stat(to), Deno.errors.NotFound, "nothing written at all");
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("without --allow-env the split folder variable is a PermissionMissingError naming it; so is Polars without flags", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "splits_test_perm_" });
  try {
    const script = join(tmp, "probe.ts");
    const lib = new URL("../lib/splits/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { loadSplit, SplitMasks } from "${lib}";
try { console.log((await loadSplit("random_0", { pool: "shared" })).nTrain); }
catch (e) { console.log(e.name, e.flag); }
try { await new SplitMasks([true], [false]).toSeries(); }
catch (e) { console.log(e.name, e.flag ?? e.message); }
`,
    );
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--config",
        fileURLToPath(new URL("../deno.json", import.meta.url)),
        script,
      ],
      env: { [SPLITS_DIR_ENV]: REFERENCE_DIR },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const [first, second] = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(first, "PermissionMissingError --allow-env=LAION_FMRI_SPLITS_DIR");
    assert.equal(
      second,
      "PermissionMissingError --allow-ffi --allow-read --allow-sys=cpus,networkInterfaces,hostname",
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
