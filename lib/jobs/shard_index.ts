/**
 * The one contract of Slurm job arrays, AWS Batch array jobs and Kubernetes
 * Indexed Jobs: a task knows only its index, from one environment variable.
 * @module
 */

/**
 * The variables a task's index is read from, in this order.
 *
 * @example
 * ```ts
 * import { SHARD_INDEX_VARIABLES } from "@laion/fmri/jobs";
 * console.log(SHARD_INDEX_VARIABLES.join(", "));
 * ```
 */
export const SHARD_INDEX_VARIABLES: readonly string[] = Object.freeze([
  "SLURM_ARRAY_TASK_ID", // Slurm: sbatch --array
  "AWS_BATCH_JOB_ARRAY_INDEX", // AWS Batch array jobs
  "JOB_COMPLETION_INDEX", // Kubernetes Indexed Jobs
]);

/**
 * The shard index of this task: `explicit` when given (e.g. `--index`),
 * else the first of {@linkcode SHARD_INDEX_VARIABLES} that is set.
 *
 * @throws {RangeError} when none is given or the value is not a non-negative integer
 * @example
 * ```ts
 * import { shardIndex } from "@laion/fmri/jobs";
 * shardIndex("3"); // { index: 3, from: "--index" }
 * ```
 */
export function shardIndex(explicit?: string | number): { index: number; from: string } {
  const parse = (v: string | number, from: string) => {
    const s = String(v).trim();
    if (!/^\d+$/.test(s)) {
      throw new RangeError(
        `the shard index from ${from} must be a non-negative integer, got "${v}"`,
      );
    }
    return { index: Number(s), from };
  };
  if (explicit !== undefined) return parse(explicit, "--index");
  for (const name of SHARD_INDEX_VARIABLES) {
    let value: string | undefined;
    try {
      value = Deno.env.get(name);
    } catch (e) {
      throw new RangeError(
        `no --index given and the environment cannot be read: grant --allow-env=${
          SHARD_INDEX_VARIABLES.join(",")
        }`,
        { cause: e },
      );
    }
    if (value !== undefined && value !== "") return parse(value, name);
  }
  throw new RangeError(
    `no shard index: pass --index N, or run as an array task that sets one of ${
      SHARD_INDEX_VARIABLES.join(", ")
    }`,
  );
}

/**
 * Indices as Slurm's `--array` spells them: runs of 3 or more collapse to `a-b`.
 *
 * @example
 * ```ts
 * import { arraySpec } from "@laion/fmri/jobs";
 * arraySpec([7, 3, 4, 5, 9]); // "3-5,7,9"
 * ```
 */
export function arraySpec(indices: readonly number[]): string {
  const s = [...new Set(indices)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    if (j - i >= 2) out.push(`${s[i]}-${s[j]}`);
    else for (let k = i; k <= j; k++) out.push(String(s[k]));
    i = j + 1;
  }
  return out.join(",");
}
