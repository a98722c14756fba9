/**
 * FreeSurfer's volume geometry ("VOL_GEOM"): the eight `key = value` lines
 * that follow a binary surface (its footer) and describe the `src` and
 * `dst` volumes of an LTA transform. Shared by `freesurfer_surface.ts` and
 * `freesurfer_transform.ts`, with the small 4x4 helpers both need.
 *
 * Keys in the file and fields here: `valid` → `valid`, `filename` →
 * `filename`, `volume` → `volume`, `voxelsize` → `voxelSize`, `xras` /
 * `yras` / `zras` → `xRas` / `yRas` / `zRas`, `cras` → `cRas`.
 * @module
 */

/** A triple of numbers. */
export type Vec3 = [number, number, number];

/** A 4x4 matrix, row-major (`m[row][col]`), as `NiftiHeader.affine`. */
export type Matrix4 = number[][];

/**
 * The geometry of a volume as FreeSurfer stores it in surface footers and
 * LTA files (its `VOL_GEOM`).
 */
export interface FreesurferVolumeGeometry {
  /** Whether the geometry is valid (`valid = 1`). */
  valid: boolean;
  /** The volume the geometry was taken from (may be empty). */
  filename: string;
  /** Grid size `[width, height, depth]`. */
  volume: Vec3;
  /** Voxel size in mm `[x, y, z]`. */
  voxelSize: Vec3;
  /** Direction cosine of the first voxel axis in RAS (`x_r x_a x_s`). */
  xRas: Vec3;
  /** Direction cosine of the second voxel axis. */
  yRas: Vec3;
  /** Direction cosine of the third voxel axis. */
  zRas: Vec3;
  /** Scanner RAS of the volume centre (`c_ras`); a surface's tkr RAS + `cRas` = scanner RAS. */
  cRas: Vec3;
}

const KEYS = ["valid", "filename", "volume", "voxelsize", "xras", "yras", "zras", "cras"] as const;

/**
 * Parses the eight volume-geometry lines. `problem` receives what is wrong
 * and returns the error to throw (a `MalformedFileError` naming the file).
 * Text after `#` on the `valid` line is a comment (FreeSurfer writes
 * `valid = 1  # volume info valid`).
 *
 * @example
 * ```ts
 * import { parseVolumeGeometry } from "./freesurfer_geometry.ts";
 * const g = parseVolumeGeometry([
 *   "valid = 1  # volume info valid", "filename = orig.mgz", "volume = 256 256 256",
 *   "voxelsize = 1 1 1", "xras = -1 0 0", "yras = 0 0 -1", "zras = 0 1 0", "cras = 0 0 0",
 * ], "footer", (what) => new Error(what));
 * console.log(g.volume); // [256, 256, 256]
 * ```
 */
export function parseVolumeGeometry(
  lines: readonly string[],
  where: string,
  problem: (what: string) => Error,
): FreesurferVolumeGeometry {
  if (lines.length < 8) {
    throw problem(
      `${where}: expected 8 volume-geometry lines (${KEYS.join(", ")}), got ${lines.length}`,
    );
  }
  const values: Record<string, string> = {};
  KEYS.forEach((key, i) => {
    const line = lines[i];
    const eq = line.indexOf("=");
    const name = eq < 0 ? "" : line.slice(0, eq).trim();
    if (name !== key) {
      throw problem(
        `${where}: line ${i + 1} must be "${key} = ...", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    values[key] = line.slice(eq + 1).trim();
  });
  const nums = (key: string, count: number, integer: boolean): Vec3 => {
    const toks = values[key].split(/\s+/).filter((t) => t !== "");
    const out = toks.map(Number);
    if (
      toks.length !== count || out.some((v) => !Number.isFinite(v)) ||
      (integer && out.some((v) => !Number.isInteger(v) || v < 0))
    ) {
      throw problem(
        `${where}: "${key}" must be ${count} ${
          integer ? "non-negative integers" : "numbers"
        }, got ${JSON.stringify(values[key].slice(0, 80))}`,
      );
    }
    return out as Vec3;
  };
  const validText = values.valid.split("#")[0].trim();
  if (!/^[+-]?\d+$/.test(validText)) {
    throw problem(
      `${where}: "valid" must be an integer, got ${JSON.stringify(values.valid.slice(0, 80))}`,
    );
  }
  return {
    valid: Number(validText) !== 0,
    filename: values.filename,
    volume: nums("volume", 3, true),
    voxelSize: nums("voxelsize", 3, false),
    xRas: nums("xras", 3, false),
    yRas: nums("yras", 3, false),
    zRas: nums("zras", 3, false),
    cRas: nums("cras", 3, false),
  };
}

/** Options of {@linkcode volumeGeometryAffine}. */
export interface VolumeGeometryAffineOptions {
  /**
   * Round every entry to float32 as nibabel's `MGHHeader.get_affine()`
   * does (its arithmetic is in float32): each `A` entry before `b` is
   * computed from them, then `b`. Off, the arithmetic is float64, as
   * nitransforms' `VolumeGeometry.as_affine()`.
   * @default false
   */
  float32?: boolean;
}

/**
 * The voxel-to-scanner-RAS affine of a volume geometry, as nitransforms'
 * `VolumeGeometry.as_affine()` and nibabel's `MGHHeader.get_affine()`
 * compute it: `A = [xRas yRas zRas] * voxelSize` (columns) and
 * `b = cRas - A (volume / 2)`.
 *
 * @param options `float32`: round as nibabel's MGH header does
 *
 * @example
 * ```ts
 * import { volumeGeometryAffine } from "@laion/fmri/formats";
 * const m = volumeGeometryAffine({
 *   valid: true, filename: "orig.mgz", volume: [256, 256, 256], voxelSize: [1, 1, 1],
 *   xRas: [-1, 0, 0], yRas: [0, 0, -1], zRas: [0, 1, 0], cRas: [1, 2, 3],
 * });
 * console.log(m[0]); // [-1, 0, 0, 129]
 * ```
 */
export function volumeGeometryAffine(
  g: FreesurferVolumeGeometry,
  options: VolumeGeometryAffineOptions = {},
): Matrix4 {
  const round = options.float32 ? Math.fround : (x: number) => x;
  const cols = [g.xRas, g.yRas, g.zRas];
  const m: Matrix4 = [];
  for (let r = 0; r < 3; r++) {
    const row = [0, 1, 2].map((c) => round(cols[c][r] * g.voxelSize[c]));
    const b = round(g.cRas[r] - row.reduce((s, a, c) => s + a * g.volume[c] / 2, 0));
    m.push([...row, b]);
  }
  m.push([0, 0, 0, 1]);
  return m;
}

// One 4x4 product and inverse for the whole library (lib/core/matrix4.ts).
export { invertMatrix4, multiplyMatrix4 } from "../core/matrix4.ts";
