// deno test --allow-read --allow-write=/tmp --allow-env=LAION_FMRI_SPLITS_DIR --allow-run=deno tests/splits_pooled_test.ts
//
// The Era C `pooled` pool on GENERATED files of upstream's schema (the real
// pooled files are not in the reference copy): a temp split folder holds the
// 72 reference files (symlinked) plus generated pooled/*.json.
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidChoiceError } from "../lib/core/errors.ts";
import {
  getSplitMasks,
  getTrainTestIds,
  listPools,
  listSplits,
  loadAllSplits,
  loadSplit,
  SplitNotInPoolError,
  SPLITS_DIR_ENV,
  SplitsNotInstalledError,
} from "../lib/splits/mod.ts";
import {
  listFiles,
  makeSplitsDir,
  POOLED_SIZES,
  pooledSplitJson,
  pooledUniverse,
  REFERENCE_DIR,
  runInstall,
} from "./_splits_fixture.ts";

const POOLED = Object.keys(POOLED_SIZES);
const BASE_POOLS = ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"];
const tmp = await Deno.makeTempDir({ prefix: "splits_pooled_" });
const WITH_POOLED = await makeSplitsDir(tmp);
const UNIVERSE = await pooledUniverse();

/** Runs `fn` with LAION_FMRI_SPLITS_DIR set to `dir`, then restores it. */
async function withSplitsDir<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  const before = Deno.env.get(SPLITS_DIR_ENV);
  Deno.env.set(SPLITS_DIR_ENV, dir);
  try {
    return await fn();
  } finally {
    if (before === undefined) Deno.env.delete(SPLITS_DIR_ENV);
    else Deno.env.set(SPLITS_DIR_ENV, before);
  }
}

Deno.test("pooled catalogue: listed when installed, 6 splits, options object", async () => {
  assert.equal(UNIVERSE.length, 24681, "5 x 4712 unique + 1121 shared regular images");
  await withSplitsDir(WITH_POOLED, () => {
    assert.deepEqual(listPools(), [...BASE_POOLS, "pooled"]);
    assert.deepEqual(listSplits({ pool: "pooled" }), POOLED);
    assert.equal(listSplits().length, 12);
    assert.equal(listSplits({}).length, 12);
    assert.equal(listSplits({ pool: "sub-05" }).length, 12);
    assert.throws(
      () => listSplits({ pool: "sub-02" }),
      (e: Error) =>
        e instanceof InvalidChoiceError &&
        e.message === `Unknown pool "sub-02". Valid: ['shared', 'sub-01', 'sub-03', 'sub-05', ` +
            `'sub-06', 'sub-07', 'pooled']`,
    );
    // @ts-expect-error: a bare pool string is a TypeError naming the options form.
    assert.throws(() => listSplits("pooled"), /listSplits\(\{ pool: "pooled" \}\)/);
  });
  // The reference copy has no pooled/: listPools() is the seed-era list; the
  // catalogue still knows the pool, so listSplits accepts it.
  await withSplitsDir(REFERENCE_DIR, () => {
    assert.deepEqual(listPools(), BASE_POOLS);
    assert.deepEqual(listSplits({ pool: "pooled" }), POOLED);
  });
});

Deno.test("pooled splits load: sizes, description-string pool field, universe, folds", async () => {
  await withSplitsDir(WITH_POOLED, async () => {
    const universe = new Set(UNIVERSE);
    const tested = new Map<string, number>();
    for (const name of POOLED) {
      const split = await loadSplit(name, { pool: "pooled" });
      assert.equal(split.pool, "pooled", "the requested pool, not the file's description");
      assert.deepEqual([split.nTrain, split.nTest], POOLED_SIZES[name]);
      assert.equal(split.splitFamily, name === "tau" ? "tau" : "cluster_k5");
      const { trainIds, testIds } = split.variant(0);
      const train = new Set(trainIds);
      assert.ok(testIds.every((id) => !train.has(id)), `${name}: disjoint`);
      const all = new Set([...trainIds, ...testIds]);
      assert.equal(all.size, universe.size, `${name}: train ∪ test = universe`);
      assert.ok([...all].every((id) => universe.has(id)));
      if (name !== "tau") testIds.forEach((id) => tested.set(id, (tested.get(id) ?? 0) + 1));
    }
    assert.equal(tested.size, universe.size, "every image is tested in some fold");
    assert.ok([...tested.values()].every((n) => n === 1), "... exactly once");
    const all = await loadAllSplits("pooled");
    assert.deepEqual(Object.keys(all), POOLED);
    assert.equal(all.cluster_k5_4.nTest, 5356);
  });
});

Deno.test("pooled errors: name, then pool, then the pool's own list", async () => {
  await withSplitsDir(WITH_POOLED, async () => {
    const available = `['tau', 'cluster_k5_0', 'cluster_k5_1', 'cluster_k5_2', 'cluster_k5_3', ` +
      `'cluster_k5_4']`;
    for (const name of ["random_0", "ood"]) {
      await assert.rejects(() => loadSplit(name, { pool: "pooled" }), (e: Error) => {
        assert.ok(e instanceof SplitNotInPoolError && e instanceof InvalidChoiceError);
        assert.equal(
          e.message,
          `Split '${name}' is not available for pool 'pooled'. Available: ${available}.`,
        );
        assert.deepEqual(e.valid, POOLED);
        return true;
      });
    }
    await assert.rejects(() => loadSplit("random_9", { pool: "pooled" }), /Unknown split/);
    await assert.rejects(() => loadSplit("ood", { pool: "nope" }), /Unknown pool "nope"/);
    await assert.rejects(
      () => getTrainTestIds("ood", { pool: "pooled", oodTypes: "shape" }),
      SplitNotInPoolError,
    );
    await assert.rejects(() => getSplitMasks(["x"], "random_3", { pool: "pooled" }), /pooled/);
  });
  // Not installed: the loader says the pool is optional with --from and how to get it.
  await withSplitsDir(REFERENCE_DIR, async () => {
    await assert.rejects(() => loadSplit("tau", { pool: "pooled" }), (e: Error) => {
      assert.ok(e instanceof SplitsNotInstalledError);
      assert.equal(e.path, join(REFERENCE_DIR, "pooled", "tau.json"));
      assert.match(e.message, /'pooled' pool \(Era C\) is optional when copying with --from/);
      return true;
    });
  });
});

Deno.test("pooled masks: one assignment per image, whatever the subject", async () => {
  await withSplitsDir(WITH_POOLED, async () => {
    const split = await loadSplit("cluster_k5_2", { pool: "pooled" });
    const { trainIds, testIds } = split.variant();
    const sub01 = await getTrainTestIds("random_0", { pool: "sub-01" });
    const sub03 = await getTrainTestIds("random_0", { pool: "sub-03" });
    const shared = (await getTrainTestIds("random_0", { pool: "shared" })).flat();
    // Trials of two subjects, concatenated, plus an OOD image and an unknown label.
    const labels = [...sub01.flat(), ...sub03.flat(), "shared_4rep_OOD_shape_x.png", null];
    const masks = await getSplitMasks(labels, "cluster_k5_2", { pool: "pooled" });
    assert.equal(masks.length, labels.length);
    const test = new Set(testIds);
    const train = new Set(trainIds);
    labels.forEach((l, i) => {
      assert.equal(masks.test[i], typeof l === "string" && test.has(l));
      assert.equal(masks.train[i], typeof l === "string" && train.has(l));
    });
    // Every regular image of both subjects (5833 each) is in exactly one of the two sets.
    assert.equal(masks.nTrain + masks.nTest, 2 * 5833);
    const at = (l: string) => labels.indexOf(l);
    const atLast = (l: string) => labels.lastIndexOf(l);
    for (const id of shared.filter((id) => test.has(id) || train.has(id))) {
      assert.equal(masks.test[at(id)], masks.test[atLast(id)], `${id}: same in both subjects`);
    }
    assert.equal(masks.test.at(-2), false);
    assert.equal(masks.train.at(-1), false);
  });
});

Deno.test("installer: pooled/ copied when present (78 files), validated across files", async () => {
  const to = join(tmp, "installed");
  const r = await runInstall(["--from", WITH_POOLED, "--to", to], tmp);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Installed 78 split files \(.* MB, 6 pools x 12 splits \+ pooled x 6\)/);
  assert.match(r.stdout, /Pools: shared, sub-01, sub-03, sub-05, sub-06, sub-07, pooled\./);
  assert.doesNotMatch(r.stdout, /Skipped/);
  const files = await listFiles(to);
  assert.equal(files.length, 78);
  assert.deepEqual(
    files.filter((f) => f.startsWith("pooled/")),
    POOLED.map((n) => `pooled/${n}.json`).sort(),
  );
  // Without pooled/ in the source: the 72, and the summary says pooled was skipped.
  const without = await makeSplitsDir(join(tmp, "src"), false);
  const r72 = await runInstall(["--from", without, "--to", join(tmp, "installed72")], tmp);
  assert.equal(r72.code, 0, r72.stderr);
  assert.match(r72.stdout, /^Installed 72 split files/);
  assert.match(r72.stdout, /Skipped pooled: .*pooled does not exist \(the pool is optional/);
  assert.equal((await listFiles(join(tmp, "installed72"))).length, 72);
});

Deno.test("installer rejects inconsistent pooled files and writes nothing", async () => {
  const broken = async (label: string, edit: (dir: string) => Promise<void>, problem: RegExp) => {
    const src = await makeSplitsDir(join(tmp, `bad-${label}`));
    await edit(join(src, "pooled"));
    const to = join(tmp, `out-${label}`);
    const r = await runInstall(["--from", src, "--to", to], tmp);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr.split("\n")[0], problem);
    await assert.rejects(() => Deno.stat(to), Deno.errors.NotFound, "nothing written");
  };
  const read = async (dir: string, name: string) => {
    const d = JSON.parse(await Deno.readTextFile(join(dir, `${name}.json`)));
    return d.variants[0] as { train_ids: string[]; test_ids: string[] };
  };
  // An image missing from one split: that split covers fewer images.
  await broken("missing", async (dir) => {
    const v = await read(dir, "cluster_k5_2");
    await Deno.writeTextFile(
      join(dir, "cluster_k5_2.json"),
      pooledSplitJson("cluster_k5_2", v.train_ids, v.test_ids.slice(1)),
    );
  }, /pooled\/cluster_k5_2\.json: train \+ test ids \(24680\) are not the same images/);
  // An image tested in two folds (moved from fold 0's train to its test).
  await broken("twice", async (dir) => {
    const v0 = await read(dir, "cluster_k5_0");
    const moved = (await read(dir, "cluster_k5_1")).test_ids[0];
    await Deno.writeTextFile(
      join(dir, "cluster_k5_0.json"),
      pooledSplitJson("cluster_k5_0", v0.train_ids.filter((id) => id !== moved), [
        ...v0.test_ids,
        moved,
      ]),
    );
  }, /also a test id of pooled\/cluster_k5_0\.json/);
  // A pooled/ folder that is there must be complete.
  await broken(
    "incomplete",
    (dir) => Deno.remove(join(dir, "tau.json")),
    /pooled\/tau\.json does not exist/,
  );
});

Deno.test({
  name: "cleanup",
  fn: () => Deno.remove(tmp, { recursive: true }),
});
