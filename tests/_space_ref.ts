/**
 * Runs tests/reference/space_ref.py (Debian's NumPy/SciPy) on inputs written
 * from TypeScript, for tests/space_test.ts and bench/space_bench.ts.
 */

import { mulberry32 } from "../scripts/synth/prng.ts";

/** An array handed to the reference: written as raw little-endian float64 (or int32). */
export type RefArray = ArrayLike<number>;

/** One reference task; array-valued fields are written to files. */
export interface RefTask {
  id: string;
  type: "volume" | "surface" | "sphere";
  [key: string]: unknown;
}

/** Timings the reference reports per task, in seconds. */
export interface RefTiming {
  build: number;
  apply: number;
  n: number;
}

const ARRAY_FIELDS = new Set([
  "volumes",
  "coordinates",
  "faces",
  "inner",
  "mask",
  "moving",
  "reference",
  "maps",
]);

/** A seeded uniform [0, 1) generator (the generator's mulberry32). */
export const rng: (seed: number) => () => number = mulberry32;

/** A rotation matrix (4×4) about a random axis by `angle` radians, plus a translation. */
export function rotation(
  rand: () => number,
  angle: number,
  shift: [number, number, number] = [0, 0, 0],
): number[][] {
  let [x, y, z] = [rand() - 0.5, rand() - 0.5, rand() - 0.5];
  const n = Math.hypot(x, y, z);
  [x, y, z] = [x / n, y / n, z / n];
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  return [
    [t * x * x + c, t * x * y - s * z, t * x * z + s * y, shift[0]],
    [t * x * y + s * z, t * y * y + c, t * y * z - s * x, shift[1]],
    [t * x * z - s * y, t * y * z + s * x, t * z * z + c, shift[2]],
    [0, 0, 0, 1],
  ];
}

/**
 * Writes the tasks' arrays to a temp folder, runs the reference, and returns
 * each task's outputs (float64) and timings. The folder is removed afterwards.
 */
export async function runReference(tasks: RefTask[]): Promise<{
  outputs: Record<string, Record<string, Float64Array>>;
  timings: Record<string, RefTiming>;
  maxRssMiB: number;
}> {
  const dir = await Deno.makeTempDir({ prefix: "space_ref_" });
  try {
    const jobTasks = [];
    const outNames: Record<string, string[]> = {};
    for (const task of tasks) {
      const t: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(task)) {
        if (ARRAY_FIELDS.has(k) && v !== undefined && v !== null) {
          const a = v as RefArray;
          const file = `${task.id}.in.${k}.f8`;
          const f64 = a instanceof Float64Array ? a : Float64Array.from(a);
          await Deno.writeFile(
            `${dir}/${file}`,
            new Uint8Array(f64.buffer, f64.byteOffset, f64.byteLength),
          );
          t[k] = { file };
        } else {
          t[k] = v;
        }
      }
      jobTasks.push(t);
      outNames[task.id] = task.type === "sphere" ? ["out", "indices", "weights"] : ["out"];
    }
    await Deno.writeTextFile(`${dir}/job.json`, JSON.stringify({ tasks: jobTasks }));
    const script = new URL("./reference/space_ref.py", import.meta.url).pathname;
    const res = await new Deno.Command("/usr/bin/python3", {
      args: [script, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (res.code !== 0) {
      throw new Error(`space_ref.py failed:\n${new TextDecoder().decode(res.stderr)}`);
    }
    const outputs: Record<string, Record<string, Float64Array>> = {};
    for (const task of tasks) {
      outputs[task.id] = {};
      for (const name of outNames[task.id]) {
        const bytes = await Deno.readFile(`${dir}/${task.id}.${name}.f8`);
        outputs[task.id][name] = new Float64Array(
          bytes.buffer,
          bytes.byteOffset,
          bytes.byteLength / 8,
        );
      }
    }
    const { maxRssMiB, ...timings } = JSON.parse(await Deno.readTextFile(`${dir}/result.json`));
    return { outputs, timings, maxRssMiB };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The `nBrain` voxels of a C-order grid nearest `centre` in the ellipsoidal
 * metric of `radii` (world mm), ascending: a synthetic whole-brain mask.
 */
export function ellipsoidBrain(
  shape: readonly [number, number, number],
  affine: readonly (readonly number[])[],
  nBrain: number,
  centre: readonly number[],
  radii: readonly number[],
): Int32Array {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const ell = new Float64Array(n);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      for (let k = 0; k < nz; k++) {
        let s = 0;
        for (let a = 0; a < 3; a++) {
          const x = affine[a][0] * i + affine[a][1] * j + affine[a][2] * k + affine[a][3];
          s += ((x - centre[a]) / radii[a]) ** 2;
        }
        ell[(i * ny + j) * nz + k] = s;
      }
    }
  }
  return Int32Array.from(
    Array.from({ length: n }, (_, i) => i).sort((a, b) => ell[a] - ell[b]).slice(0, nBrain),
  ).sort();
}
