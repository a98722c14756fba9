/**
 * Writes only the `stimuli/` files of the current layout (`generate.ts
 * --only stimuli`): the same bytes as a full current-layout run, without
 * the per-subject files, for benchmarks of the stimulus readers.
 * @module
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../../lib/core/fs.ts";
import { mapPool } from "../../lib/core/pool.ts";
import type { SynthSize } from "./geometry.ts";
import { addStimuliLayout, type StimuliTruth } from "./stimuli_layout.ts";
import { loadStimulusPools } from "./trials.ts";
import type { ManifestEntry } from "./truth.ts";

/** Options of {@linkcode generateStimuli}. */
export interface GenerateStimuliOptions {
  /** Output folder; `bucket/stimuli/` and `ground-truth/stimuli.json` in it are replaced. */
  out: string;
  /** Size preset. @default "small" */
  size?: SynthSize;
  /** Seed. @default 1 */
  seed?: number;
  /** Splits folder of the names. @default env `LAION_FMRI_SPLITS_DIR`, else made-up ids */
  splitsDir?: string | null;
  /** Files written concurrently. @default 4 */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Result of {@linkcode generateStimuli}. */
export interface GeneratedStimuli {
  bucketDir: string;
  truth: StimuliTruth;
  manifest: ManifestEntry[];
  elapsedMs: number;
}

/**
 * Generates only the stimulus files and `ground-truth/stimuli.json`.
 *
 * @example
 * ```ts
 * import { generateStimuli } from "./stimuli_only.ts";
 * const r = await generateStimuli({ out: "/tmp/laion-stimuli", size: "small" });
 * console.log(r.truth.nImages);
 * ```
 */
export async function generateStimuli(options: GenerateStimuliOptions): Promise<GeneratedStimuli> {
  const t0 = performance.now();
  const { signal } = options;
  const size = options.size ?? "small";
  const seed = options.seed ?? 1;
  const out = options.out.replace(/\/+$/, "") || ".";
  const bucketDir = `${out}/bucket`;
  const splitsDir = options.splitsDir === undefined
    ? (Deno.env.get("LAION_FMRI_SPLITS_DIR") || null)
    : options.splitsDir;
  await Deno.remove(`${bucketDir}/stimuli`, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(`${bucketDir}/stimuli`, { recursive: true });
  await Deno.mkdir(`${out}/ground-truth`, { recursive: true });
  const tasks: (() => Promise<void>)[] = [];
  const keys: string[] = [];
  const truth = addStimuliLayout(
    {
      path: (key) => {
        keys.push(key);
        return Promise.resolve(`${bucketDir}/${key}`);
      },
      task: (run) => tasks.push(run),
      bigTask: (run) => tasks.unshift(run),
      signal,
    },
    size,
    seed,
    loadStimulusPools(splitsDir),
  );
  await mapPool(tasks, (t) => t(), { limit: options.concurrency ?? 4, signal });
  const manifest: ManifestEntry[] = [];
  for (const key of keys.sort()) {
    const bytes = await Deno.readFile(`${bucketDir}/${key}`);
    manifest.push({
      key,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  await writeFileAtomic(`${out}/ground-truth/stimuli.json`, JSON.stringify(truth) + "\n", {
    signal,
  });
  return { bucketDir, truth, manifest, elapsedMs: performance.now() - t0 };
}
