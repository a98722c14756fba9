/** A data directory laid out as a download would leave it, made from the synthetic bucket. */
import { dirname, join, relative } from "node:path";
import { bidsifyLocalKey, isHeldOutKey, isPublicKey } from "../lib/core/ids.ts";
import { filesUnder, synthCurrentDir, synthDir } from "./_helpers.ts";

/**
 * Copies the synthetic bucket tree into a new temp data directory with
 * bidsified local paths, leaving out the held-out sessions (as a download does).
 */
export function makeDataDir(): Promise<string> {
  return copyBucket(join(synthDir(), "bucket"), "laion-data-", (key) => !isHeldOutKey(key));
}

/**
 * The current-layout bucket as a download leaves it: public keys, bidsified
 * paths (copies); `only` narrows the keys further.
 */
export function makeCurrentDataDir(only: (key: string) => boolean = () => true): Promise<string> {
  return copyBucket(
    join(synthCurrentDir(), "bucket"),
    "laion-current-",
    (key) => isPublicKey(key) && only(key),
  );
}

async function copyBucket(bucket: string, prefix: string, keep: (key: string) => boolean) {
  const out = await Deno.makeTempDir({ prefix });
  for (const file of filesUnder(bucket)) {
    const key = relative(bucket, file);
    if (!keep(key)) continue;
    const dest = join(out, bidsifyLocalKey(key));
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.copyFile(file, dest);
  }
  return out;
}

/** The generator's ground truth for the synthetic bucket. */
// deno-lint-ignore no-explicit-any
export function groundTruth(): any {
  return JSON.parse(Deno.readTextFileSync(join(synthDir(), "ground-truth", "ground-truth.json")));
}
