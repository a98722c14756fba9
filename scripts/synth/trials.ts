/**
 * Stimulus pools (from the split JSON when available) and the per-session
 * trial tables of the synthetic dataset.
 * @module
 */
import { SYNTH_SUBJECTS } from "./inventory.ts";
import { sizeConfig, subjectIndex, type SynthLayout, type SynthSize } from "./geometry.ts";
import { HELD_OUT_SESSIONS } from "../../lib/core/constants.ts";
import { hashKey, mulberry32, shuffled } from "./prng.ts";

/** Stimulus ids available to the generator. */
export interface StimulusPools {
  /** Where the ids came from: the splits folder, or `null` for made-up ids. */
  source: string | null;
  /** Shared ids (pool `shared`), sorted. */
  shared: string[];
  /** Per subject: ids of the subject pool that are not shared, sorted. */
  unique: Record<string, string[]>;
}

function idsOf(path: string): string[] {
  const j = JSON.parse(Deno.readTextFileSync(path));
  const v = j?.variants?.[0];
  if (!v || !Array.isArray(v.train_ids) || !Array.isArray(v.test_ids)) {
    throw new Error(`${path}: no variants[0].train_ids/test_ids`);
  }
  return [...v.train_ids, ...v.test_ids];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Loads the stimulus pools from a splits folder (`{dir}/{pool}/ood.json` and
 * `random_0.json`), or makes ids of the same patterns when `dir` is
 * `undefined`/`null`/empty.
 *
 * @example
 * ```ts
 * import { loadStimulusPools } from "./trials.ts";
 * const pools = loadStimulusPools(Deno.env.get("LAION_FMRI_SPLITS_DIR"));
 * console.log(pools.shared.length);
 * ```
 */
export function loadStimulusPools(dir?: string | null): StimulusPools {
  if (!dir) return syntheticPools();
  const read = (pool: string) =>
    new Set([...idsOf(`${dir}/${pool}/ood.json`), ...idsOf(`${dir}/${pool}/random_0.json`)]);
  const shared = read("shared");
  const unique: Record<string, string[]> = {};
  for (const s of SYNTH_SUBJECTS) {
    unique[s] = [...read(s)].filter((id) => !shared.has(id)).sort(cmp);
  }
  return { source: dir, shared: [...shared].sort(cmp), unique };
}

/** OOD types with their image counts and how many of them are PNGs (upstream-era-c.md §9). */
export const OOD_TYPES: readonly { type: string; count: number; png: number }[] = [
  { type: "shape", count: 82, png: 50 },
  { type: "relations", count: 72, png: 0 },
  { type: "unusual", count: 64, png: 0 },
  { type: "cropped", count: 60, png: 60 },
  { type: "selfmade", count: 30, png: 0 },
  { type: "gaudy", count: 24, png: 0 },
  { type: "illusion-classic", count: 21, png: 21 },
  { type: "gabor", count: 10, png: 0 },
  { type: "illusion-natural", count: 8, png: 0 },
];

/**
 * Made-up ids with the real patterns and counts (upstream-era-c.md §9):
 * 1,492 shared (641 `shared_12rep_LAION_cluster_{n}_i{k}.jpg`, 240
 * `shared_12rep_THINGS+_kmeans_{n}_{word}.jpg`, 240
 * `shared_4rep_NSD_special1000_{n}.jpg`, 371 `shared_4rep_OOD_{type}_{n}.{png|jpg}`
 * of which 131 PNG) and per subject 4,712 unique ids (4,246
 * `unique_LAION_initial_cluster_{n}_i{k}.jpg`, 144 `unique_THINGS_{word}{n}.jpg`,
 * 322 `unique_THINGS+_{word}{n}.jpg`; disjoint across subjects).
 *
 * @example
 * ```ts
 * import { syntheticPools } from "./trials.ts";
 * syntheticPools().shared.length; // 1492
 * ```
 */
export function syntheticPools(): StimulusPools {
  const words = ["apple", "boat", "candle", "drum", "egg", "fern", "goat", "hat", "ink", "jar"];
  const shared: string[] = [];
  for (let n = 0; n < 641; n++) {
    shared.push(`shared_12rep_LAION_cluster_${1000 + 7 * n}_i${n % 3}.jpg`);
  }
  for (let n = 0; n < 240; n++) {
    shared.push(`shared_12rep_THINGS+_kmeans_${n}_${words[n % words.length]}.jpg`);
  }
  for (let n = 0; n < 240; n++) shared.push(`shared_4rep_NSD_special1000_${100 + 3 * n}.jpg`);
  for (const { type, count, png } of OOD_TYPES) {
    for (let n = 0; n < count; n++) {
      shared.push(`shared_4rep_OOD_${type}_${n}.${n < png ? "png" : "jpg"}`);
    }
  }
  const unique: Record<string, string[]> = {};
  SYNTH_SUBJECTS.forEach((s, si) => {
    const ids: string[] = [];
    for (let n = 0; n < 4246; n++) {
      ids.push(`unique_LAION_initial_cluster_${si * 10000 + Math.floor(n / 2)}_i${n % 2}.jpg`);
    }
    for (let n = 0; n < 144; n++) ids.push(`unique_THINGS_${words[n % 10]}${si * 1000 + n}.jpg`);
    for (let n = 0; n < 322; n++) ids.push(`unique_THINGS+_${words[n % 10]}${si * 1000 + n}.jpg`);
    unique[s] = ids.sort(cmp);
  });
  return { source: null, shared: shared.sort(cmp), unique };
}

/** One session of a subject's plan. */
export interface SessionPlan {
  session: string;
  heldOut: boolean;
  runs: number;
  trialsPerRun: number;
}

/**
 * All sessions the generator knows for a subject (public then held-out),
 * whether or not they are written. Labels depend on this full plan only.
 *
 * @example
 * ```ts
 * import { sessionPlan } from "./trials.ts";
 * sessionPlan("small", "sub-01").map((s) => s.session);
 * ```
 */
export function sessionPlan(
  size: SynthSize,
  subject: string,
  layout: SynthLayout = "seed",
): SessionPlan[] {
  const cfg = sizeConfig(size, layout);
  const si = subjectIndex(subject);
  return [
    ...cfg.publicSessions(subject).map((session, o) => ({
      session,
      heldOut: false,
      runs: cfg.runs(si, o),
      trialsPerRun: cfg.trialsPerRun,
    })),
    ...HELD_OUT_SESSIONS.map((session) => ({
      session,
      heldOut: true,
      runs: cfg.heldOutRuns,
      trialsPerRun: cfg.heldOutTrialsPerRun,
    })),
  ];
}

/** One row of a trial TSV. */
export interface TrialRow {
  session: string;
  run: number;
  beta_index: number;
  label: string;
}

/**
 * The subset of shared ids shown in the experiment, the same for every
 * subject: round-robin over id families (`shared_12rep_LAION`,
 * `shared_4rep_OOD`, ...) so every family appears.
 */
function sharedSubset(
  pools: StimulusPools,
  size: SynthSize,
  seed: number,
  layout: SynthLayout,
): string[] {
  const fam = new Map<string, string[]>();
  for (const id of pools.shared) {
    const f = id.split("_").slice(0, 3).join("_");
    if (!fam.has(f)) fam.set(f, []);
    fam.get(f)!.push(id);
  }
  const lists = [...fam.keys()].sort(cmp).map((f) =>
    shuffled(fam.get(f)!, mulberry32(hashKey(seed, "shared-family", f)))
  );
  const out: string[] = [];
  const n = Math.min(sizeConfig(size, layout).sharedSubset, pools.shared.length);
  for (let i = 0; out.length < n; i++) {
    for (const l of lists) if (i < l.length && out.length < n) out.push(l[i]);
  }
  return out;
}

/**
 * Trial tables of every planned session of a subject (of `layout`'s plan).
 * A fixed fraction (45%; 70% in the small current layout) of the trials of
 * a session are shared ids drawn cyclically from a small subset
 * (so shared ids repeat within and across sessions and subjects); the rest
 * are the subject's unique ids, each used once, consumed in session order.
 * Trial order is a seeded shuffle; `run` counts from 1 and `beta_index`
 * restarts at 0 in each run.
 *
 * @example
 * ```ts
 * import { loadStimulusPools, subjectTrials } from "./trials.ts";
 * const t = subjectTrials(loadStimulusPools(null), "small", 1, "sub-01");
 * t["ses-01"].length; // 42
 * ```
 */
export function subjectTrials(
  pools: StimulusPools,
  size: SynthSize,
  seed: number,
  subject: string,
  layout: SynthLayout = "seed",
): Record<string, TrialRow[]> {
  const subset = sharedSubset(pools, size, seed, layout);
  const { sharedFraction } = sizeConfig(size, layout);
  const unique = shuffled(
    pools.unique[subject] ?? [],
    mulberry32(hashKey(seed, subject, "unique")),
  );
  if (unique.length === 0) throw new Error(`No unique stimulus ids for ${subject}`);
  let cursor = 0;
  const out: Record<string, TrialRow[]> = {};
  sessionPlan(size, subject, layout).forEach((plan, o) => {
    const n = plan.runs * plan.trialsPerRun;
    const nShared = Math.round(sharedFraction * n);
    const start = (o * Math.max(1, Math.floor(subset.length / 3)) + subjectIndex(subject)) %
      subset.length;
    const labels: string[] = [];
    for (let t = 0; t < nShared; t++) labels.push(subset[(start + t) % subset.length]);
    for (let t = nShared; t < n; t++) labels.push(unique[cursor++ % unique.length]);
    const order = shuffled(labels, mulberry32(hashKey(seed, subject, plan.session, "order")));
    out[plan.session] = order.map((label, t) => ({
      session: plan.session,
      run: Math.floor(t / plan.trialsPerRun) + 1,
      beta_index: t % plan.trialsPerRun,
      label,
    }));
  });
  return out;
}

/**
 * Formats a trial table as TSV (`session\trun\tbeta_index\tlabel`, header,
 * trailing newline).
 *
 * @example
 * ```ts
 * import { trialsTsv } from "./trials.ts";
 * trialsTsv([{ session: "ses-01", run: 1, beta_index: 0, label: "a.jpg" }]);
 * ```
 */
export function trialsTsv(rows: readonly TrialRow[]): string {
  return "session\trun\tbeta_index\tlabel\n" +
    rows.map((r) => `${r.session}\t${r.run}\t${r.beta_index}\t${r.label}\n`).join("");
}
