/**
 * Linear transforms of a FreeSurfer recon: LTA files
 * (`mri/transforms/talairach.lta`, `register.lta`, …) and MNI `.xfm` files
 * (`mri/transforms/talairach.xfm`).
 *
 * Conventions follow nitransforms (`nitransforms/io/lta.py`, read by
 * `Affine.from_filename(path, fmt="fs")`) and FreeSurfer's `transform.cpp`:
 *
 * - An LTA stores one or more 4x4 matrices `m_L` of a `type`:
 *   `LINEAR_VOX_TO_VOX` (0) maps source voxel indices to destination voxel
 *   indices, `LINEAR_RAS_TO_RAS` (1) maps source scanner RAS to destination
 *   scanner RAS. Each comes with the geometry of its `src` and `dst`
 *   volumes (see `freesurfer_geometry.ts`).
 * - A `VOX_TO_VOX` matrix becomes RAS-to-RAS as
 *   `dst.vox2ras · m_L · inv(src.vox2ras)`, with
 *   `vox2ras = [xras yras zras]·voxelsize | cras − A·volume/2`
 *   (nitransforms' `LinearTransform.set_type(1)` and
 *   `VolumeGeometry.as_affine()`); other types are refused, as there.
 * - The RAS-to-RAS matrix moves points from the source (the subject's T1w
 *   for `talairach.lta`) to the destination (MNI305). nitransforms' own
 *   matrix (`Affine.from_filename(..., fmt="fs").matrix`, `to_ras()`) is its
 *   inverse: it maps a point of the reference (output) grid into the moving
 *   image, which is what resampling needs. {@linkcode transformWorldMatrix}
 *   returns both, as `srcToDst` and `dstToSrc`.
 * - Comments start at `#` and run to the end of the line, as nitransforms'
 *   `_drop_comments`. Matrices are kept in double precision (nitransforms
 *   parses them as float32; `nitransformsPrecision: true` does the same).
 * - An `.xfm` holds `Transform_Type = Linear;` and a 3x4
 *   `Linear_Transform` that maps source scanner RAS to MNI305 RAS (the same
 *   direction as an LTA's RAS-to-RAS matrix); it carries no geometry.
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";
import { readTextChecked } from "../core/s3_error_body.ts";
import {
  type FreesurferVolumeGeometry,
  invertMatrix4,
  type Matrix4,
  multiplyMatrix4,
  parseVolumeGeometry,
  type Vec3,
  volumeGeometryAffine,
} from "./freesurfer_geometry.ts";
import type { FreesurferReadOptions } from "./freesurfer_surface.ts";

/** LTA transform types (FreeSurfer's `transform.h`), by code. */
export const LTA_TYPES: Readonly<Record<number, string>> = {
  0: "LINEAR_VOX_TO_VOX",
  1: "LINEAR_RAS_TO_RAS",
  2: "LINEAR_PHYSVOX_TO_PHYSVOX",
  14: "REGISTER_DAT",
  21: "LINEAR_COR_TO_COR",
};

/** One transform of an LTA file. */
export interface LtaTransform {
  /** The matrix as stored (`m_L`), row-major 4x4. */
  matrix: Matrix4;
  /** The `mean` line. */
  mean: [number, number, number];
  /** The `sigma` line. */
  sigma: number;
  /** Geometry of the source volume. */
  src: FreesurferVolumeGeometry;
  /** Geometry of the destination volume. */
  dst: FreesurferVolumeGeometry;
}

/** A parsed LTA file. */
export interface LtaFile {
  /** Always `"lta"`. */
  kind: "lta";
  /** The file it was read from (named in errors). */
  path: string;
  /** The type code, e.g. `1`. */
  type: number;
  /** The type's name, e.g. `"LINEAR_RAS_TO_RAS"` (or `"UNKNOWN"`). */
  typeName: string;
  /** The transforms (`nxforms` of them, usually one). */
  transforms: LtaTransform[];
  /** The optional `subject` line. */
  subject?: string;
  /** The optional `fscale` line. */
  fscale?: number;
}

/** A parsed MNI `.xfm` file (one linear transform). */
export interface XfmFile {
  /** Always `"xfm"`. */
  kind: "xfm";
  /** The file it was read from. */
  path: string;
  /** The 3x4 `Linear_Transform` completed with `[0, 0, 0, 1]`: source RAS to MNI305 RAS. */
  matrix: Matrix4;
}

/** Options of {@linkcode transformWorldMatrix}. */
export interface WorldMatrixOptions {
  /** Which transform of a multi-transform LTA. @default 0 */
  index?: number;
  /**
   * Round as nitransforms does: it parses an LTA matrix as float32 and
   * keeps `voxelsize` as float32 before converting and inverting, so its
   * `Affine` matrix differs from the double-precision one by about 1e-7
   * relative. `true` reproduces it to the last bit of float64 arithmetic.
   * @default false
   */
  nitransformsPrecision?: boolean;
}

/** Both directions of a transform in scanner RAS (world) coordinates. */
export interface WorldMatrices {
  /** Maps source RAS (the subject's T1w) to destination RAS (e.g. MNI305). */
  srcToDst: Matrix4;
  /**
   * Maps destination RAS to source RAS: nitransforms'
   * `Affine.from_filename(path, fmt="fs").matrix`, the one a resampler
   * applies to each output-grid point.
   */
  dstToSrc: Matrix4;
}

function numbers(line: string, count: number, where: string, bad: (p: string) => Error): number[] {
  const toks = line.trim().split(/\s+/).filter((t) => t !== "");
  const out = toks.map(Number);
  if (toks.length !== count || out.some((v) => !Number.isFinite(v))) {
    throw bad(`${where}: expected ${count} numbers, got ${JSON.stringify(line.slice(0, 120))}`);
  }
  return out;
}

/**
 * Parses the text of an LTA file. `path` names the file in errors.
 *
 * @throws {MalformedFileError} a missing or misplaced field, a bad number,
 *   a matrix that is not 4x4, truncated volume geometry
 * @example
 * ```ts
 * import { parseLta } from "@laion/fmri/formats";
 * const lta = parseLta(await Deno.readTextFile("talairach.lta"), "talairach.lta");
 * console.log(lta.typeName, lta.transforms[0].matrix);
 * ```
 */
export function parseLta(text: string, path: string, refetch?: string): LtaFile {
  const bad = (problem: string) => new MalformedFileError(path, problem, refetch);
  const lines = text.split(/\r?\n/).map((l) => l.split("#")[0].trim()).filter((l) => l !== "");
  let i = 0;
  const field = (key: string): string => {
    const line = lines[i];
    const eq = line?.indexOf("=") ?? -1;
    if (line === undefined || eq < 0 || line.slice(0, eq).trim() !== key) {
      throw bad(
        `expected "${key} = ..." at line ${i + 1} of the LTA (comments dropped), got ${
          line === undefined ? "the end of the file" : JSON.stringify(line.slice(0, 80))
        }`,
      );
    }
    i++;
    return line.slice(eq + 1).trim();
  };
  const typeText = field("type");
  if (!/^\d+$/.test(typeText)) {
    throw bad(`"type" must be an integer code, got ${JSON.stringify(typeText)}`);
  }
  const type = Number(typeText);
  const nText = field("nxforms");
  if (!/^\d+$/.test(nText) || Number(nText) < 1) {
    throw bad(`"nxforms" must be a positive integer, got ${JSON.stringify(nText)}`);
  }
  const transforms: LtaTransform[] = [];
  for (let t = 0; t < Number(nText); t++) {
    const at = `transform ${t}`;
    const mean = numbers(field("mean"), 3, `${at} "mean"`, bad) as [number, number, number];
    const sigma = numbers(field("sigma"), 1, `${at} "sigma"`, bad)[0];
    const shape = lines[i++];
    if (shape === undefined || shape.split(/\s+/).join(" ") !== "1 4 4") {
      throw bad(
        `${at}: expected the matrix shape line "1 4 4", got ${
          JSON.stringify(shape ?? "the end of the file")
        }`,
      );
    }
    if (i + 4 > lines.length) throw bad(`${at}: truncated 4x4 matrix`);
    const matrix = [0, 1, 2, 3].map((r) => numbers(lines[i + r], 4, `${at} matrix row ${r}`, bad));
    i += 4;
    const section = (name: string) => {
      if (lines[i] !== `${name} volume info`) {
        throw bad(
          `${at}: expected "${name} volume info", got ${
            JSON.stringify(lines[i] ?? "the end of the file")
          }`,
        );
      }
      i++;
      const g = parseVolumeGeometry(lines.slice(i, i + 8), `${at} ${name} volume info`, bad);
      i += 8;
      return g;
    };
    const src = section("src");
    const dst = section("dst");
    transforms.push({ matrix, mean, sigma, src, dst });
  }
  const out: LtaFile = {
    kind: "lta",
    path,
    type,
    typeName: LTA_TYPES[type] ?? "UNKNOWN",
    transforms,
  };
  for (; i < lines.length; i++) {
    const [key, ...rest] = lines[i].split(/\s+/);
    if (key === "subject") out.subject = rest.join(" ");
    else if (key === "fscale" && Number.isFinite(Number(rest[0]))) out.fscale = Number(rest[0]);
  }
  return out;
}

/**
 * Reads an LTA file (`mri/transforms/talairach.lta`): its type, matrices and
 * the geometry of the source and destination volumes.
 *
 * @param path the `.lta` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} see {@linkcode parseLta}
 * @example
 * ```ts
 * import { readLta, transformWorldMatrix } from "@laion/fmri/formats";
 * const lta = await readLta("mri/transforms/talairach.lta");
 * console.log(lta.typeName, lta.transforms[0].src.volume);
 * const { srcToDst } = transformWorldMatrix(lta); // T1w RAS -> MNI305 RAS
 * console.log(srcToDst[0]);
 * ```
 */
export async function readLta(path: string, opts: FreesurferReadOptions = {}): Promise<LtaFile> {
  return parseLta(await readTextChecked(path, "LTA transform file", opts), path, opts.refetch);
}

/**
 * Parses the text of an MNI `.xfm` file with one linear transform.
 *
 * @throws {MalformedFileError} no `MNI Transform File` header, a
 *   non-linear type, not 12 numbers before the `;`
 * @example
 * ```ts
 * import { parseXfm } from "@laion/fmri/formats";
 * const xfm = parseXfm(await Deno.readTextFile("talairach.xfm"), "talairach.xfm");
 * console.log(xfm.matrix[0]);
 * ```
 */
export function parseXfm(text: string, path: string, refetch?: string): XfmFile {
  const bad = (problem: string) => new MalformedFileError(path, problem, refetch);
  const lines = text.split(/\r?\n/).map((l) => l.split("%")[0].trim()).filter((l) => l !== "");
  if (lines[0] !== "MNI Transform File") {
    throw bad(
      `first line must be "MNI Transform File", got ${
        JSON.stringify((lines[0] ?? "").slice(0, 80))
      }`,
    );
  }
  const body = lines.slice(1).join("\n");
  const type = /Transform_Type\s*=\s*([^;]*);/.exec(body);
  if (!type) throw bad('no "Transform_Type = ...;" statement');
  if (type[1].trim() !== "Linear") {
    throw bad(`Transform_Type is ${JSON.stringify(type[1].trim())}; only "Linear" is supported`);
  }
  const lin = /Linear_Transform\s*=([^;]*);/.exec(body);
  if (!lin) throw bad('no "Linear_Transform = ... ;" statement');
  if (/Transform_Type/.test(body.slice(type.index + type[0].length))) {
    throw bad("more than one transform; only a single linear transform is supported");
  }
  const vals = numbers(lin[1].replace(/\s+/g, " "), 12, "Linear_Transform (a 3x4 matrix)", bad);
  const matrix = [vals.slice(0, 4), vals.slice(4, 8), vals.slice(8, 12), [0, 0, 0, 1]];
  return { kind: "xfm", path, matrix };
}

/**
 * Reads an MNI `.xfm` file (`mri/transforms/talairach.xfm`).
 *
 * @param path the `.xfm` file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} see {@linkcode parseXfm}
 * @example
 * ```ts
 * import { readXfm } from "@laion/fmri/formats";
 * const xfm = await readXfm("mri/transforms/talairach.xfm");
 * console.log(xfm.matrix);
 * ```
 */
export async function readXfm(path: string, opts: FreesurferReadOptions = {}): Promise<XfmFile> {
  return parseXfm(await readTextChecked(path, "MNI xfm transform file", opts), path, opts.refetch);
}

/**
 * The scanner-RAS (world) matrices of a transform, whatever the LTA stores:
 * a `LINEAR_RAS_TO_RAS` matrix as is, a `LINEAR_VOX_TO_VOX` one converted
 * with its volume geometries (see the module doc). `dstToSrc` equals
 * nitransforms' `Affine.from_filename(path, fmt="fs").matrix`.
 *
 * @param t a parsed LTA or XFM file
 * @param opts `index` (default 0), `nitransformsPrecision` (default `false`)
 * @throws {MalformedFileError} an LTA type other than 0 or 1, or a
 *   VOX_TO_VOX transform whose geometry is invalid or singular
 * @throws {RangeError} `index` is not one of the file's transforms
 * @example
 * ```ts
 * import { readLta, transformWorldMatrix } from "@laion/fmri/formats";
 * const { srcToDst, dstToSrc } = transformWorldMatrix(await readLta("talairach.lta"));
 * console.log(srcToDst[0], dstToSrc[0]);
 * ```
 */
export function transformWorldMatrix(
  t: LtaFile | XfmFile,
  opts: WorldMatrixOptions = {},
): WorldMatrices {
  const index = opts.index ?? 0;
  const f32 = opts.nitransformsPrecision === true ? Math.fround : (v: number) => v;
  let forward: Matrix4;
  if (t.kind === "xfm") {
    forward = t.matrix.map((r) => r.slice());
  } else {
    const x = t.transforms[index];
    if (!Number.isInteger(index) || x === undefined) {
      throw new RangeError(
        `transform index ${index} is not in ${t.path}, which has ${t.transforms.length} (valid: 0..${
          t.transforms.length - 1
        })`,
      );
    }
    const stored = x.matrix.map((r) => r.map(f32));
    if (t.type === 1) {
      forward = stored;
    } else if (t.type === 0) {
      try {
        if (!x.src.valid || !x.dst.valid) throw new RangeError("invalid (valid = 0)");
        const geom = (g: FreesurferVolumeGeometry) =>
          volumeGeometryAffine({ ...g, voxelSize: g.voxelSize.map(f32) as Vec3 });
        forward = multiplyMatrix4(
          geom(x.dst),
          multiplyMatrix4(stored, invertMatrix4(geom(x.src))),
        );
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        throw new MalformedFileError(
          t.path,
          `a LINEAR_VOX_TO_VOX transform needs valid src and dst volume geometry to become ` +
            `RAS-to-RAS; its geometry is unusable: ${e.message}`,
          undefined,
          { cause: e },
        );
      }
    } else {
      throw new MalformedFileError(
        t.path,
        `LTA type ${t.type} (${t.typeName}) cannot be converted to RAS-to-RAS; supported types: ` +
          `0 (LINEAR_VOX_TO_VOX), 1 (LINEAR_RAS_TO_RAS), as nitransforms`,
      );
    }
  }
  let inverse: Matrix4;
  try {
    inverse = invertMatrix4(forward);
  } catch (e) {
    throw new MalformedFileError(t.path, `the transform matrix is singular`, undefined, {
      cause: e,
    });
  }
  return { srcToDst: forward, dstToSrc: inverse };
}
