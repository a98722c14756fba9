/**
 * Installs the LAION-fMRI split files (`{pool}/{name}.json`: 72 for `shared`
 * and the subjects, 6 for `pooled`) into the
 * package's `splits/data/` (or `--to DIR`), from a local copy (`--from DIR`)
 * or downloaded from the upstream repository at pinned commits. Every file
 * is validated before anything is written; each is written atomically.
 * Copying from a folder without `pooled/` installs the 72 and says that
 * `pooled` was skipped.
 *
 * ```sh
 * deno run --allow-read --allow-write=splits/data --allow-net=raw.githubusercontent.com splits/install.ts
 * deno run --allow-read --allow-write=splits/data splits/install.ts --from ../laion-fmri-splits
 * ```
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-write=/tmp/splits splits/install.ts --from DIR --to /tmp/splits
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { LaionFmriError } from "../lib/core/errors.ts";
import { installSplits } from "../lib/splits/install.ts";
import {
  PACKAGE_SPLITS_DATA_URL,
  SPLITS_DIR_ENV,
  UPSTREAM_SPLITS_BASE_URL,
} from "../lib/splits/source.ts";

const HELP = `Install the LAION-fMRI train/test split files: 6 pools x 12 splits (shared and the
five subjects) = 72 JSON files, plus the pooled pool's 6 (tau, cluster_k5_0..4) = 78.

Usage:
  deno run --allow-read --allow-write=DEST [--allow-net=raw.githubusercontent.com] splits/install.ts [options]
  deno task splits:install [options]

Options:
  --from DIR   copy from a local folder holding {pool}/{split}.json instead of downloading;
               pooled/ is optional there (skipped, and said so, when DIR lacks it)
  --to DIR     install into DIR (default: the package's splits/data/; required when the
               script runs from a remote URL; then set ${SPLITS_DIR_ENV}=DIR)
  -h, --help   show this help

Without --from all 78 files are downloaded from
  ${UPSTREAM_SPLITS_BASE_URL}{pool}/{split}.json
(the pooled files from the upstream commits that added them).
Every file is validated (JSON shape, n_train/n_test = list lengths, train and test
disjoint; the pooled splits cover the same images and the 5 cluster folds test each
image once) before any is written; each is written to a temp file and renamed into place.
`;

/**
 * Runs the installer with command-line arguments; returns the exit code
 * (0 ok, 1 failure, 2 usage error) after printing a summary or a one-line error.
 *
 * @example
 * ```ts
 * import { main } from "./install.ts";
 * const code = await main(["--from", "/data/laion-fmri-splits", "--to", "/tmp/splits"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let values: { from?: string; to?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`error: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let to = values.to;
  if (to === undefined) {
    if (PACKAGE_SPLITS_DATA_URL.protocol !== "file:") {
      console.error(
        `error: --to DIR is required when running from ${PACKAGE_SPLITS_DATA_URL.origin} ` +
          `(the package folder is not writable); then set ${SPLITS_DIR_ENV}=DIR`,
      );
      return 2;
    }
    to = fileURLToPath(PACKAGE_SPLITS_DATA_URL);
  }
  to = resolve(to);
  const from = values.from === undefined ? undefined : resolve(values.from);
  const started = performance.now();
  try {
    const r = await installSplits({ from, to });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const layout = r.pools.includes("pooled")
      ? "6 pools x 12 splits + pooled x 6"
      : "6 pools x 12 splits";
    const lines = [
      `Installed ${r.files} split files (${(r.bytes / 1e6).toFixed(1)} MB, ${layout}) ` +
      `into ${r.to}`,
      `  from ${r.source}${from ? "" : " (pooled/ from its own upstream commits)"} in ${secs} s; ` +
      `all validated.`,
      `  Pools: ${r.pools.join(", ")}.`,
      ...r.skipped.map((s) => `  Skipped ${s.pool}: ${s.reason}.`),
    ];
    console.log(lines.join("\n"));
    return 0;
  } catch (e) {
    if (e instanceof LaionFmriError) {
      console.error(`error: ${e.message.replaceAll("\n", " ")}`);
      console.error(`Nothing was written to ${to}.`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
