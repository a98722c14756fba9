/** Shared test helpers: the local S3 endpoint, the synthetic dataset, the seed tour. */
import { fileURLToPath as fromFileUrl } from "node:url";

/** The local RGW endpoint that `deno task test` starts; a clear failure without it. */
export function localEndpoint(): string {
  const endpoint = Deno.env.get("LAION_FMRI_S3_ENDPOINT");
  if (!endpoint) {
    throw new Error(
      "LAION_FMRI_S3_ENDPOINT is not set: run the tests with `deno task test`, which starts " +
        "and seeds the local S3 (Ceph RGW).",
    );
  }
  return endpoint;
}

/** Folder of the generated small synthetic dataset (`bucket/` and `ground-truth/`). */
export function synthDir(): string {
  const dir = Deno.env.get("LAION_FMRI_SYNTH_DIR");
  if (!dir) {
    throw new Error("LAION_FMRI_SYNTH_DIR is not set: run the tests with `deno task test`.");
  }
  return dir;
}

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return fromFileUrl(new URL(`../${relative}`, import.meta.url));
}

/** Absolute path of a file in the `shared/` folder beside the repository. */
export function sharedPath(relative: string): string {
  return fromFileUrl(new URL(`../../shared/${relative}`, import.meta.url));
}

const OUTPUT_LINE = new RegExp(
  "^(All subjects: |Querying subject: |All ROIs \\(|\\['|" +
    "(body|character|face|laion|motion|object|place|retinotopy): \\[|" +
    "Pools: |Splits: |OOD types: |Split: |Pool: |Family: |n_train: |n_test: |Loaded: |" +
    "OOD shape only: |sub-\\d+: \\d+ ROIs total)",
);

/** Lines of a block that follows the line `marker` up to the line `until`. */
function blockAfter(lines: string[], marker: string, until: string): string[] {
  const start = lines.indexOf(marker);
  const end = lines.findIndex((l, i) => i > start && l.startsWith(until));
  if (start < 0 || end < 0) throw new Error(`seed block ${marker} not found`);
  return lines.slice(start + 1, end);
}

/** Whitespace-normalized, non-empty lines. */
export function normalizeLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim().replace(/\s+/g, " ")).filter((l) => l !== "");
}

/**
 * The printed output of upstream's documented tour, in order, from
 * `shared/seed/querying-the-dataset.txt` (the seed's text lost indentation
 * and blank lines, so lines are compared whitespace-normalized).
 */
export function seedTourOutput(): string[] {
  const lines = normalizeLines(Deno.readTextFileSync(sharedPath("seed/querying-the-dataset.txt")));
  const describe = blockAfter(lines, "describe()", "Subjects in the bucket");
  const inspect = blockAfter(lines, "inspect_bucket()", "Bundled train/test splits");
  const rest = lines.filter((l) => OUTPUT_LINE.test(l));
  const beforeInspect = rest.filter((l) =>
    !/^(Pools|Splits|OOD|Split|Pool|Family|n_|Loaded|sub-)/.test(l)
  );
  const afterInspect = rest.slice(beforeInspect.length);
  return [...describe, ...beforeInspect, ...inspect, ...afterInspect];
}

/** ROI totals per subject `[all, face]`, from the seed's cross-subject loop output. */
export const ROI_TOTALS: Record<string, [number, number]> = Object.fromEntries(
  seedTourOutput().flatMap((l) => {
    const m = l.match(/^(sub-\d+): (\d+) ROIs total, (\d+) face$/);
    return m ? [[m[1], [Number(m[2]), Number(m[3])]]] : [];
  }),
);
