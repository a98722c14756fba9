/**
 * Split-test helpers: a temp split folder with the real 72 reference files
 * (copied into the temp folder, never into the repository) plus GENERATED `pooled/`
 * files of upstream's schema, and running `splits/install.ts`.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { oodTypeOf, SPLITS_DIR_ENV } from "../lib/splits/mod.ts";

/** The reference copy of the 72 split files (`LAION_FMRI_SPLITS_DIR` when the caller set it). */
export const REFERENCE_DIR = Deno.env.get(SPLITS_DIR_ENV) ||
  fileURLToPath(new URL("../../shared/laion-fmri-splits", import.meta.url));
const INSTALL_SCRIPT = fileURLToPath(new URL("../splits/install.ts", import.meta.url));
const BASE_POOLS = ["shared", "sub-01", "sub-03", "sub-05", "sub-06", "sub-07"];

/** Upstream's pooled sizes [n_train, n_test] (Era C §5.2); the five folds partition 24,681. */
export const POOLED_SIZES: Record<string, [number, number]> = {
  tau: [19745, 4936],
  cluster_k5_0: [18256, 6425],
  cluster_k5_1: [19858, 4823],
  cluster_k5_2: [22031, 2650],
  cluster_k5_3: [19254, 5427],
  cluster_k5_4: [19325, 5356],
};

/** The pooled universe: the subject pools' regular (non-OOD) images, sorted. */
export async function pooledUniverse(): Promise<string[]> {
  const ids = new Set<string>();
  for (const pool of BASE_POOLS.slice(1)) {
    const d = JSON.parse(await Deno.readTextFile(join(REFERENCE_DIR, pool, "random_0.json")));
    for (const id of [...d.variants[0].train_ids, ...d.variants[0].test_ids]) {
      if (oodTypeOf(id) === undefined) ids.add(id);
    }
  }
  return [...ids].sort();
}

// A fixed pseudo-random order (FNV-1a), so the fixture is the same on every run.
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The JSON of one generated pooled split: upstream's fields, `pool` a description. */
export function pooledSplitJson(name: string, train: string[], test: string[]): string {
  const cluster = name.startsWith("cluster_k5_");
  return JSON.stringify(
    {
      name,
      pool: "All subjects, regular images (24681 images)",
      splitter: cluster ? "kmeans_cluster_holdout" : "min_nn_stochastic",
      params: cluster
        ? { method: "kmeans_clip_k5_holdout", n_clusters: 5, held_out_cluster: Number(name.at(-1)) }
        : { method: "min_nn_filter + stochastic_mmd_swap", fixture: true },
      n_train: train.length,
      n_test: test.length,
      variants: [{ variant_id: 0, train_ids: [...train].sort(), test_ids: [...test].sort() }],
    },
    null,
    2,
  );
}

/**
 * Makes a split folder under `parent`: the 6 reference pools copied (a
 * symlink needs unscoped --allow-write),
 * plus (unless `pooled` is false) generated `pooled/*.json` with upstream's
 * sizes over the real universe. Returns its path.
 */
export async function makeSplitsDir(parent: string, pooled = true): Promise<string> {
  const dir = join(parent, pooled ? "splits-with-pooled" : "splits-without-pooled");
  await Deno.mkdir(dir, { recursive: true });
  for (const pool of BASE_POOLS) {
    await Deno.mkdir(join(dir, pool));
    for await (const f of Deno.readDir(join(REFERENCE_DIR, pool))) {
      if (f.name.endsWith(".json")) {
        await Deno.copyFile(join(REFERENCE_DIR, pool, f.name), join(dir, pool, f.name));
      }
    }
  }
  if (!pooled) return dir;
  await Deno.mkdir(join(dir, "pooled"));
  const universe = await pooledUniverse();
  const order = [...universe].sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : 1));
  const write = (name: string, test: Set<string>) =>
    Deno.writeTextFile(
      join(dir, "pooled", `${name}.json`),
      pooledSplitJson(name, universe.filter((id) => !test.has(id)), [...test]),
    );
  await write("tau", new Set(order.slice(-POOLED_SIZES.tau[1])));
  let start = 0;
  for (let k = 0; k < 5; k++) {
    const name = `cluster_k5_${k}`;
    const end = start + POOLED_SIZES[name][1];
    await write(name, new Set(order.slice(start, end)));
    start = end;
  }
  return dir;
}

/** Runs `splits/install.ts` with read access and write access to `writeDir`. */
export async function runInstall(args: string[], writeDir: string) {
  const out = await new Deno.Command("deno", {
    args: ["run", "--allow-read", `--allow-write=${writeDir}`, INSTALL_SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The files under `dir`, as sorted relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      (await listFiles(join(dir, e.name))).forEach((f) => out.push(`${e.name}/${f}`));
    } else out.push(e.name);
  }
  return out.sort();
}
