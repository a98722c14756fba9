/**
 * Standard space for one subject: upstream's `templates.py` entry points
 * (`to_template`, `volume_to_surface`, `volume_to_template`,
 * `surface_to_template`) on the subject's files, behind the four `Subject`
 * methods of the same names (`toTemplate`, `volumeToSurface`,
 * `volumeToTemplate`, `surfaceToTemplate`). The maths is `lib/space/`.
 *
 * Two chains, as upstream:
 *
 * - **Volume → MNI305**: the recon's `mri/transforms/talairach.lta`
 *   (nitransforms' `Affine.from_filename(fmt="fs")`, here
 *   `transformWorldMatrix(...).dstToSrc`) resamples each volume onto
 *   TemplateFlow's `tpl-MNI305_T1w.nii.gz` grid (172×220×156, 1 mm).
 *   Upstream always uses nearest neighbour (`order=0`), our default;
 *   `interpolation: "linear"` is trilinear.
 * - **Volume → fsaverage**: per hemisphere, nilearn's `vol_to_surf` on the
 *   subject's `surf/{lh,rh}.{surface}` (default `white`, with its `c_ras`,
 *   `interpolation` default `"linear"`, radius 3 mm, 10 samples), then
 *   nitransforms' barycentric `SurfaceResampler` from the subject's
 *   `sphere.reg` to TemplateFlow's fsaverage sphere
 *   (`tpl-fsaverage_hemi-{L,R}_den-{10k,41k,164k}_sphere.surf.gii`).
 *
 * Input (`TemplateInput`): values over the brain voxels of the mask
 * source (1-D, one per voxel; or trials × voxels as a `BetaMatrix`, any
 * `{ values, shape: [nTrials, nVoxels] }`, or an array of rows), a volume
 * `{ data, shape }` on the subject's grid (C order), or the path of a
 * NIfTI file on the subject's grid. Array and volume input is copied with
 * NaN as 0 (GLMsingle's unmodelled voxels), as upstream's
 * `_scatter_to_nifti` does; the caller's arrays never change. A 4-D NIfTI
 * path is read under the brain mask (voxels outside it count as 0) so
 * that a session's betas file needs memory for its brain voxels only.
 *
 * Output files (`outputDir`) carry upstream's BIDS names,
 * `sub-XX[_ses-S]_space-{MNI305|fsaverage}[_den-10k][_hemi-L][_desc-D]_statmap.{nii.gz|func.gii}`.
 * A multi-volume MNI305 result with `outputDir` is streamed to its file
 * volume by volume (the in-memory result then holds no data), so a
 * 1,044-trial session needs one source and two target volumes beyond its
 * input.
 *
 * The maps each chain builds (volume resampling, vol_to_surf sampling,
 * sphere resampling) are kept in a small cache keyed by the files they
 * come from (path and modification time), so a second call is a gather.
 * @module
 */

import { join } from "node:path";
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import { readFreesurferSurface } from "../formats/freesurfer_surface.ts";
import { readLta, transformWorldMatrix } from "../formats/freesurfer_transform.ts";
import { readGiftiSurface } from "../formats/gifti.ts";
import { writeGiftiFunc } from "../formats/gifti_write.ts";
import { readNifti4dMasked, readNiftiHeader, readNiftiVolume } from "../formats/nifti.ts";
import { writeNifti1 } from "../formats/nifti_write.ts";
import { cOrderToDisk } from "../formats/voxel_order.ts";
import {
  fetchTemplate,
  FSAVERAGE_DENSITIES,
  type FsaverageDensity,
  fsaverageDensity,
  MNI305_T1W_KEY,
  templateKey,
  type TemplateOptions as TemplateflowOptions,
} from "../templates/templateflow.ts";
import { buildVolumeResampling, type VolumeResampling } from "../space/resample_volume.ts";
import { buildSurfaceSampling, type SurfaceSampling } from "../space/vol_to_surf.ts";
import { buildSphereResampling, type SphereResampling } from "../space/sphere_resample.ts";
import type { Grid } from "./brain_space.ts";
import type { MaskSource } from "./mask_source.ts";

/** The templates upstream supports: `"MNI305"` (volume) and `"fsaverage"` (surface). */
export type TemplateTarget = "MNI305" | "fsaverage";
export { FSAVERAGE_DENSITIES, type FsaverageDensity };
/** A hemisphere. */
export type Hemi = "L" | "R";
/** Which chain: `"auto"` picks the target's only one. */
export type TemplateRoute = "auto" | "surface" | "volume";
/** Interpolation: MNI305's resampling, or vol_to_surf's sampling for fsaverage. */
export type TemplateInterpolation = "nearest" | "linear";

/** Supported targets, in upstream's order. */
export const TEMPLATE_TARGETS: readonly TemplateTarget[] = ["fsaverage", "MNI305"];
/** Each target's kind: the route that reaches it and the entry point that takes it. */
const TARGET_KINDS: Readonly<Record<TemplateTarget, "surface" | "volume">> = {
  fsaverage: "surface",
  MNI305: "volume",
};
const targetsOf = (kind: "surface" | "volume") =>
  TEMPLATE_TARGETS.filter((t) => TARGET_KINDS[t] === kind);
const HEMIS: readonly Hemi[] = ["L", "R"];

/** Where the template files come from: local paths of TemplateFlow's files. */
export interface TemplateFiles {
  /** `tpl-MNI305/tpl-MNI305_T1w.nii.gz` (its grid is the MNI305 output grid). */
  mni305T1w(signal?: AbortSignal): Promise<string>;
  /** `tpl-fsaverage/tpl-fsaverage_hemi-{hemi}_den-{den}_sphere.surf.gii`. */
  fsaverageSphere(hemi: Hemi, den: "10k" | "41k" | "164k", signal?: AbortSignal): Promise<string>;
}

/**
 * Template files from TemplateFlow's public S3 bucket, fetched into its
 * cache folder and verified on first use (`fetchTemplate` of
 * `@laion/fmri/templates`): the default of every entry point.
 *
 * @param options endpoint, bucket, cache folder (defaults: env, then TemplateFlow's public bucket)
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { templateflowFiles } from "@laion/fmri/subject";
 * const sub = await loadSubject("sub-01");
 * const nc = await sub.getNoiseCeiling({ session: "ses-01" });
 * const mni = await sub.volumeToTemplate(nc, "MNI305", {
 *   templates: templateflowFiles({ cacheDir: "/scratch/templateflow" }),
 * });
 * console.log(mni.shape); // [172, 220, 156]
 * ```
 */
export function templateflowFiles(options: TemplateflowOptions = {}): TemplateFiles {
  return {
    mni305T1w: (signal) =>
      fetchTemplate(MNI305_T1W_KEY, { ...options, signal: signal ?? options.signal }),
    fsaverageSphere: (hemi, den, signal) =>
      fetchTemplate(fsaverageSphereQuery(hemi, den), {
        ...options,
        signal: signal ?? options.signal,
      }),
  };
}

const fsaverageSphereQuery = (hemi: Hemi, den: string) => ({
  template: "fsaverage",
  hemi,
  density: den,
  suffix: "sphere",
  extension: ".surf.gii",
});

/**
 * Template files in a local TemplateFlow home (`TEMPLATEFLOW_HOME`
 * layout: `{dir}/tpl-MNI305/…`, `{dir}/tpl-fsaverage/…`).
 *
 * @param dir the TemplateFlow home
 * @throws {LaionFmriError} (when a file is asked for) naming the missing file
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * import { templateflowHome } from "@laion/fmri/subject";
 * const sub = await loadSubject("sub-01");
 * const nc = await sub.getNoiseCeiling({ session: "ses-01" });
 * const fs5 = await sub.volumeToSurface(nc, "fsaverage", {
 *   hemi: "L",
 *   templates: templateflowHome(`${Deno.env.get("HOME")}/.cache/templateflow`),
 * });
 * console.log(fs5.length); // 10242
 * ```
 */
export function templateflowHome(dir: string): TemplateFiles {
  const need = async (path: string, what: string) => {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    throw new LaionFmriError(
      `TemplateFlow's ${what} is not at ${path}. Put TemplateFlow's files under ${dir} ` +
        `(e.g. \`aws s3 cp --no-sign-request s3://templateflow/${
          path.slice(dir.length + 1)
        } ${path}\`) ` +
        `or pass another \`templates\` option.`,
    );
  };
  return {
    mni305T1w: () => need(join(dir, ...MNI305_T1W_KEY.split("/")), "MNI305 T1w"),
    fsaverageSphere: (hemi, den) =>
      need(
        join(dir, ...templateKey(fsaverageSphereQuery(hemi, den)).split("/")),
        `fsaverage ${den} ${hemi} sphere`,
      ),
  };
}

/** Values over brain voxels, trials × voxels. `BetaMatrix` is one. */
export interface TrialsByVoxels {
  /** Row-major values, `shape[0]` rows of `shape[1]` voxels. */
  values: ArrayLike<number>;
  /** `[nTrials, nVoxels]`. */
  shape: readonly [number, number];
}

/** A 3-D volume on the subject's grid, flattened in C order (`readNiftiVolume`'s form). */
export interface SubjectVolume {
  /** `nx · ny · nz` values, C order. */
  data: ArrayLike<number>;
  /** `[nx, ny, nz]`, the subject grid's. */
  shape: readonly [number, number, number];
}

/** A single map: one value per brain voxel, or a volume on the subject's grid. */
export type SingleInput = ArrayLike<number> | SubjectVolume;
/** Several maps: trials × brain voxels (a `BetaMatrix`, `{ values, shape }`, or rows). */
export type MultiInput = TrialsByVoxels | readonly ArrayLike<number>[];
/** What the entry points take (see the module docs); a string is a NIfTI path. */
export type TemplateInput = SingleInput | MultiInput | string;

/** Options of the four entry points. */
export interface TemplateOptions {
  /** Surface targets: one hemisphere (result is its map) or both (`{ L, R }`). @default both */
  hemi?: Hemi;
  /** `"auto"`, or the target's only route (`"volume"` for MNI305, `"surface"` for fsaverage). @default "auto" */
  route?: TemplateRoute;
  /** The subject surface vol_to_surf samples on: `surf/{lh,rh}.{surface}`. @default "white" */
  surface?: string;
  /** fsaverage density. @default "fsaverage5" */
  fsaverageDensity?: FsaverageDensity;
  /**
   * MNI305: `"nearest"` (upstream's) or `"linear"` (trilinear). fsaverage:
   * vol_to_surf's `"linear"` (upstream's) or `"nearest"`.
   * @default "nearest" for MNI305, "linear" for fsaverage
   */
  interpolation?: TemplateInterpolation;
  /** Also write the result here under its BIDS name (created if missing). @default undefined */
  outputDir?: string;
  /** BIDS `desc-` token of the file name. @default undefined */
  desc?: string;
  /** BIDS `ses-` token of the file name (`"01"` or `"ses-01"`). @default undefined */
  session?: string;
  /** The brain mask the input's voxel axis is over. @default the subject's */
  maskSource?: MaskSource;
  /** Where the template files come from. @default `templateflowFiles()` (TemplateFlow's bucket, cached) */
  templates?: TemplateFiles;
  /** Called after each volume (map) with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between volumes and file reads. */
  signal?: AbortSignal;
}

/** An MNI305 result. */
export interface TemplateVolume {
  /** `"MNI305"`. */
  target: "MNI305";
  /** The template grid, `[172, 220, 156]` for TemplateFlow's MNI305. */
  shape: [number, number, number];
  /** The template grid's voxel-to-world affine. */
  affine: number[][];
  /** Number of volumes (1 for a single map). */
  nVolumes: number;
  /**
   * The volumes, C order, volume after volume (`nVolumes · nx · ny · nz`);
   * empty when a multi-volume result was streamed to `path`.
   */
  data: Float32Array;
  /** The file written with `outputDir`. */
  path?: string;
}

/** One hemisphere's result: one map, or one per input volume. */
export type SurfaceResult<I> = I extends string ? Float32Array | Float32Array[]
  : I extends MultiInput ? Float32Array[]
  : Float32Array;

/** The result of a surface call: one hemisphere's maps, or `{ L, R }`. */
export type SurfaceOutput<I, O> = O extends { hemi: Hemi } ? SurfaceResult<I>
  : { L: SurfaceResult<I>; R: SurfaceResult<I> };

/** fsnative maps for `surfaceToTemplate`: one hemisphere's (with `hemi`) or both. */
export type FsnativeInput =
  | ArrayLike<number>
  | readonly ArrayLike<number>[]
  | {
    L?: ArrayLike<number> | readonly ArrayLike<number>[];
    R?: ArrayLike<number> | readonly ArrayLike<number>[];
  };

/** What the entry points need of a subject (built by `Subject`). @internal */
export interface SubjectSpace {
  subjectId: string;
  maskSource: MaskSource;
  freesurferDir(signal?: AbortSignal): Promise<string>;
  brainIndices(maskSource: MaskSource, signal?: AbortSignal): Promise<Int32Array>;
  brainMask(maskSource: MaskSource, signal?: AbortSignal): Promise<Uint8Array>;
  grid(maskSource: MaskSource, signal?: AbortSignal): Promise<Grid>;
}

// ---------------------------------------------------------------- checks

function checkTarget(target: unknown): TemplateTarget {
  if (!TEMPLATE_TARGETS.includes(target as TemplateTarget)) {
    throw new InvalidChoiceError(
      "target",
      target,
      TEMPLATE_TARGETS,
      "MNI152 variants, fsLR and CIVET are not supported (as upstream)",
    );
  }
  return target as TemplateTarget;
}

function checkRoute(target: TemplateTarget, route: unknown = "auto"): "surface" | "volume" {
  const only = TARGET_KINDS[target];
  if (route !== "auto" && route !== only) {
    const kind = only === "surface" ? "surface-only" : "volume-only";
    throw new InvalidChoiceError(
      "route",
      route,
      ["auto", only],
      `target "${target}" is ${kind}; route ${JSON.stringify(route)} is not supported`,
    );
  }
  return only;
}

function checkHemi(h: unknown): Hemi {
  if (!HEMIS.includes(h as Hemi)) throw new InvalidChoiceError("hemi", h, HEMIS);
  return h as Hemi;
}

function checkInterpolation(i: unknown, fallback: TemplateInterpolation): TemplateInterpolation {
  const v = i ?? fallback;
  if (v !== "nearest" && v !== "linear") {
    throw new InvalidChoiceError("interpolation", v, ["nearest", "linear"]);
  }
  return v;
}

/** The entry point that takes the other kind, named in the refusal. */
const OTHER_ENTRY = { surface: "volumeToTemplate", volume: "volumeToSurface" } as const;

function checkTargetKind(target: unknown, kind: "surface" | "volume"): void {
  if (
    TARGET_KINDS[target as TemplateTarget] !== kind ||
    !Object.hasOwn(TARGET_KINDS, target as string)
  ) {
    const other = kind === "surface" ? "volume" : "surface";
    throw new InvalidChoiceError(
      `${kind} target`,
      target,
      targetsOf(kind),
      `Use ${OTHER_ENTRY[kind]} for ${other} targets (${targetsOf(other).join(", ")})`,
    );
  }
}

// ---------------------------------------------------------------- input

/** The input as a series of C-order volumes on one grid. */
interface SourceVolumes {
  grid: Grid;
  nVolumes: number;
  multi: boolean;
  /** Volume `t` (C order); `out` may be reused. */
  volume(t: number, out: Float32Array): Float32Array;
}

const isMultiRows = (v: unknown): v is readonly ArrayLike<number>[] =>
  Array.isArray(v) && v.length > 0 && typeof v[0] === "object" && v[0] !== null;

function nanToZero(v: number): number {
  return v === v ? v : 0;
}

async function sourceVolumes(
  space: SubjectSpace,
  values: TemplateInput,
  options: TemplateOptions,
): Promise<SourceVolumes> {
  const maskSource = options.maskSource ?? space.maskSource;
  const signal = options.signal;
  const grid = await space.grid(maskSource, signal);
  const [nx, ny, nz] = grid.shape;
  const size = nx * ny * nz;
  if (typeof values === "string") return await pathVolumes(space, values, grid, maskSource, signal);
  if (values !== null && typeof values === "object" && "data" in values && "shape" in values) {
    const vol = values as SubjectVolume;
    const s = vol.shape;
    if (s?.length !== 3 || s.some((n, a) => n !== grid.shape[a]) || vol.data.length !== size) {
      throw new RangeError(
        `the volume's shape ${JSON.stringify(s)} (${vol.data?.length} values) is not the ` +
          `subject grid [${grid.shape}] of maskSource "${maskSource}"; pass values on the ` +
          `subject's grid, or one value per brain voxel`,
      );
    }
    return {
      grid,
      nVolumes: 1,
      multi: false,
      volume: (_t, out) => {
        for (let i = 0; i < size; i++) out[i] = nanToZero(vol.data[i]);
        return out;
      },
    };
  }
  const flat = await space.brainIndices(maskSource, signal);
  const nBrain = flat.length;
  let rows: number, row: (t: number) => ArrayLike<number>;
  let multi = true;
  if (isMultiRows(values)) {
    rows = values.length;
    row = (t) => values[t];
    values.forEach((r, t) => {
      if (r.length !== nBrain) {
        throw new RangeError(
          `values row ${t} has ${r.length} values but the brain mask (maskSource ` +
            `"${maskSource}") has ${nBrain} voxels`,
        );
      }
    });
  } else if (values !== null && typeof values === "object" && "shape" in values) {
    const m = values as TrialsByVoxels;
    if (m.shape?.length !== 2 || m.values.length !== m.shape[0] * m.shape[1]) {
      throw new RangeError(
        `values must be [nTrials, nVoxels] with nTrials · nVoxels entries; got shape ` +
          `${JSON.stringify(m.shape)} and ${m.values?.length} entries`,
      );
    }
    if (m.shape[1] !== nBrain) {
      throw new RangeError(
        `values shape [${m.shape}] does not match the brain-mask voxel count ${nBrain} ` +
          `(maskSource "${maskSource}"); pass the same maskSource as the call that made them`,
      );
    }
    rows = m.shape[0];
    const vals = m.values;
    row = (t) =>
      ArrayBuffer.isView(vals)
        ? (vals as Float32Array).subarray(t * nBrain, (t + 1) * nBrain)
        : Array.prototype.slice.call(vals, t * nBrain, (t + 1) * nBrain);
  } else {
    const v = values as ArrayLike<number>;
    if (typeof v?.length !== "number") {
      throw new TypeError(
        `values must be brain-voxel values (1-D or trials × voxels), a volume { data, shape } ` +
          `or a NIfTI path; got ${typeof values}`,
      );
    }
    if (v.length !== nBrain) {
      throw new RangeError(
        `values length ${v.length} does not match the brain-mask voxel count ${nBrain} ` +
          `(maskSource "${maskSource}"); pass the same maskSource as the call that made them`,
      );
    }
    rows = 1;
    row = () => v;
    multi = false;
  }
  return {
    grid,
    nVolumes: rows,
    multi,
    volume: (t, out) => {
      out.fill(0);
      const r = row(t);
      for (let c = 0; c < nBrain; c++) out[flat[c]] = nanToZero(r[c]);
      return out;
    },
  };
}

async function pathVolumes(
  space: SubjectSpace,
  path: string,
  grid: Grid,
  maskSource: MaskSource,
  signal?: AbortSignal,
): Promise<SourceVolumes> {
  const h = await readNiftiHeader(path, { signal });
  if (h.shape3d.some((n, a) => n !== grid.shape[a])) {
    throw new RangeError(
      `${path} has grid [${h.shape3d}], not the subject grid [${grid.shape}] (maskSource ` +
        `"${maskSource}"); a NIfTI input must be on the subject's grid`,
    );
  }
  const fileGrid: Grid = { shape: h.shape3d, affine: h.affine };
  if (h.nVolumes === 1) {
    const vol = await readNiftiVolume(path, { signal });
    return {
      grid: fileGrid,
      nVolumes: 1,
      multi: false,
      volume: (_t, out) => {
        out.set(vol.data);
        return out;
      },
    };
  }
  const mask = await space.brainMask(maskSource, signal);
  const flat = await space.brainIndices(maskSource, signal);
  const m = await readNifti4dMasked(path, mask, { signal });
  const n = m.nSelected;
  return {
    grid: fileGrid,
    nVolumes: m.nVolumes,
    multi: true,
    volume: (t, out) => {
      out.fill(0);
      const r = m.data.subarray(t * n, (t + 1) * n);
      for (let c = 0; c < n; c++) out[flat[c]] = r[c];
      return out;
    },
  };
}

// ---------------------------------------------------------------- caches

const CACHE_SIZE = 8;
const cache = new Map<string, Promise<unknown>>();

async function fileKey(path: string): Promise<string> {
  const st = await Deno.stat(path);
  return `${path}@${st.mtime?.getTime()}:${st.size}`;
}

/** A built map, cached by `key` (least recently used dropped first); a failure is not kept. */
function cached<T>(key: string, build: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit as Promise<T>;
  }
  const p = build();
  cache.set(key, p);
  p.catch(() => cache.get(key) === p && cache.delete(key));
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return p;
}

const gridKey = (g: Grid, order: string) => JSON.stringify([g.shape, g.affine, order]);

async function mni305Map(
  fsDir: string,
  grid: Grid,
  tplPath: string,
  interpolation: TemplateInterpolation,
  order: "C" | "F",
  signal?: AbortSignal,
): Promise<{ map: VolumeResampling; shape: [number, number, number]; affine: number[][] }> {
  const lta = join(fsDir, "mri", "transforms", "talairach.lta");
  const key = `mni:${await fileKey(lta)}|${await fileKey(tplPath)}|${gridKey(grid, order)}|` +
    interpolation;
  return cached(key, async () => {
    const { dstToSrc } = transformWorldMatrix(await readLta(lta, { signal }));
    const h = await readNiftiHeader(tplPath, { signal });
    const map = buildVolumeResampling(
      { shape: grid.shape, affine: grid.affine },
      { shape: h.shape3d, affine: h.affine, order },
      { targetToSource: dstToSrc, interpolation },
    );
    return { map, shape: h.shape3d, affine: h.affine };
  });
}

async function surfaceMap(
  fsDir: string,
  hemi: Hemi,
  surface: string,
  grid: Grid,
  interpolation: TemplateInterpolation,
  signal?: AbortSignal,
): Promise<SurfaceSampling> {
  const path = join(fsDir, "surf", `${hemi === "L" ? "lh" : "rh"}.${surface}`);
  const key = `v2s:${await fileKey(path)}|${gridKey(grid, "C")}|${interpolation}`;
  return cached(key, async () => {
    const surf = await readFreesurferSurface(path, { signal });
    return buildSurfaceSampling(
      surf,
      { shape: grid.shape, affine: grid.affine },
      { interpolation, cRas: surf.volumeInfo?.cRas },
    );
  });
}

async function sphereMap(
  fsDir: string,
  hemi: Hemi,
  tplPath: string,
  signal?: AbortSignal,
): Promise<SphereResampling> {
  const path = join(fsDir, "surf", `${hemi === "L" ? "lh" : "rh"}.sphere.reg`);
  const key = `sph:${await fileKey(path)}|${await fileKey(tplPath)}`;
  return cached(key, async () =>
    buildSphereResampling(
      await readFreesurferSurface(path, { signal }),
      await readGiftiSurface(tplPath, { signal }),
    ));
}

function defaultTemplates(options: { templates?: TemplateFiles }): TemplateFiles {
  return options.templates ?? templateflowFiles();
}

// ---------------------------------------------------------------- names

/**
 * Upstream's BIDS file name of a template result:
 * `sub-XX[_ses-S]_space-T[_den-D][_hemi-H][_desc-X]_statmap.{nii.gz|func.gii}`.
 *
 * @example
 * ```ts
 * import { templateFileName } from "@laion/fmri/subject";
 * console.log(templateFileName({ subjectId: "sub-01", target: "fsaverage", den: "10k", hemi: "L", session: "01", desc: "MeanBeta" }));
 * // sub-01_ses-01_space-fsaverage_den-10k_hemi-L_desc-MeanBeta_statmap.func.gii
 * ```
 */
export function templateFileName(o: {
  subjectId: string;
  target: TemplateTarget;
  den?: string;
  hemi?: Hemi;
  desc?: string;
  session?: string;
}): string {
  const parts = [o.subjectId];
  if (o.session !== undefined) {
    parts.push(`ses-${o.session.startsWith("ses-") ? o.session.slice(4) : o.session}`);
  }
  parts.push(`space-${o.target}`);
  if (o.den !== undefined) parts.push(`den-${o.den}`);
  if (o.hemi !== undefined) parts.push(`hemi-${o.hemi}`);
  if (o.desc !== undefined) parts.push(`desc-${o.desc}`);
  return parts.join("_") + (o.target === "MNI305" ? "_statmap.nii.gz" : "_statmap.func.gii");
}

// ---------------------------------------------------------------- chains

async function toMni305(
  space: SubjectSpace,
  values: TemplateInput,
  options: TemplateOptions,
): Promise<TemplateVolume> {
  const signal = options.signal;
  const interpolation = checkInterpolation(options.interpolation, "nearest");
  const src = await sourceVolumes(space, values, options);
  const fsDir = await space.freesurferDir(signal);
  const tpl = await defaultTemplates(options).mni305T1w(signal);
  const n = src.nVolumes;
  const inBuf = new Float32Array(src.grid.shape[0] * src.grid.shape[1] * src.grid.shape[2]);
  const path = options.outputDir === undefined ? undefined : join(
    options.outputDir,
    templateFileName({
      subjectId: space.subjectId,
      target: "MNI305",
      desc: options.desc,
      session: options.session,
    }),
  );
  if (path !== undefined) await Deno.mkdir(options.outputDir!, { recursive: true });
  if (n > 1 && path !== undefined) {
    // streamed: F-order output straight into the file, two alternating buffers
    const { map, shape, affine } = await mni305Map(
      fsDir,
      src.grid,
      tpl,
      interpolation,
      "F",
      signal,
    );
    const bufs = [new Float32Array(map.targetSize), new Float32Array(map.targetSize)];
    await writeNifti1(path, {
      dims: [...shape, n],
      datatype: "float32",
      affine,
      level: 1,
      signal,
      description: `laion-fmri MNI305 ${interpolation}`,
      data: (t) => {
        signal?.throwIfAborted();
        const out = map.apply(src.volume(t, inBuf), bufs[t % 2]);
        options.onProgress?.(t + 1, n);
        return out;
      },
    });
    return { target: "MNI305", shape, affine, nVolumes: n, data: new Float32Array(0), path };
  }
  const { map, shape, affine } = await mni305Map(fsDir, src.grid, tpl, interpolation, "C", signal);
  const size = map.targetSize;
  if (n * size > 2 ** 29) {
    throw new RangeError(
      `${n} MNI305 volumes (${(n * size * 4 / 2 ** 30).toFixed(1)} GiB) are too many to hold ` +
        `in memory; pass outputDir to stream them into a NIfTI file`,
    );
  }
  const data = new Float32Array(n * size);
  for (let t = 0; t < n; t++) {
    signal?.throwIfAborted();
    map.apply(src.volume(t, inBuf), data.subarray(t * size, (t + 1) * size));
    options.onProgress?.(t + 1, n);
    if (n > 1) await new Promise((r) => setTimeout(r, 0));
  }
  if (path !== undefined) {
    // one volume: several with outputDir were streamed above
    await writeNifti1(path, {
      dims: shape,
      datatype: "float32",
      data: cOrderToDisk(data, shape, new Float32Array(size)),
      affine,
      signal,
      description: `laion-fmri MNI305 ${interpolation}`,
    });
  }
  return { target: "MNI305", shape, affine, nVolumes: n, data, ...(path ? { path } : {}) };
}

async function writeSurface(
  space: SubjectSpace,
  maps: Float32Array | Float32Array[],
  hemi: Hemi,
  den: string,
  options: TemplateOptions,
): Promise<void> {
  const dir = options.outputDir!;
  await Deno.mkdir(dir, { recursive: true });
  const path = join(
    dir,
    templateFileName({
      subjectId: space.subjectId,
      target: "fsaverage",
      den,
      hemi,
      desc: options.desc,
      session: options.session,
    }),
  );
  const structure = hemi === "L" ? "CortexLeft" : "CortexRight";
  if (Array.isArray(maps)) {
    const nV = maps[0]?.length ?? 0;
    const values = new Float32Array(maps.length * nV);
    maps.forEach((m, i) => values.set(m, i * nV));
    await writeGiftiFunc(path, [{ values, shape: [maps.length, nV] }], {
      metadata: { AnatomicalStructurePrimary: structure },
      signal: options.signal,
    });
  } else {
    await writeGiftiFunc(path, maps, {
      metadata: { AnatomicalStructurePrimary: structure },
      signal: options.signal,
    });
  }
}

async function toFsaverage(
  space: SubjectSpace,
  values: TemplateInput,
  options: TemplateOptions,
): Promise<unknown> {
  const signal = options.signal;
  const interpolation = checkInterpolation(options.interpolation, "linear");
  const den = fsaverageDensity(options.fsaverageDensity ?? "fsaverage5");
  const hemis = options.hemi === undefined ? HEMIS : [checkHemi(options.hemi)];
  const surface = options.surface ?? "white";
  const src = await sourceVolumes(space, values, options);
  const fsDir = await space.freesurferDir(signal);
  const templates = defaultTemplates(options);
  const chains = [];
  for (const h of hemis) {
    const sampling = await surfaceMap(fsDir, h, surface, src.grid, interpolation, signal);
    const sphere = await sphereMap(
      fsDir,
      h,
      await templates.fsaverageSphere(h, den, signal),
      signal,
    );
    chains.push({
      h,
      sampling,
      sphere,
      fsnative: new Float64Array(sampling.nVertices),
      onSphere: new Float64Array(sphere.nReference),
      out: [] as Float32Array[],
    });
  }
  const n = src.nVolumes;
  const inBuf = new Float32Array(src.grid.shape[0] * src.grid.shape[1] * src.grid.shape[2]);
  for (let t = 0; t < n; t++) {
    signal?.throwIfAborted();
    const vol = src.volume(t, inBuf);
    for (const c of chains) {
      c.sampling.apply(vol, c.fsnative);
      c.out.push(Float32Array.from(c.sphere.apply(c.fsnative, c.onSphere)));
    }
    options.onProgress?.(t + 1, n);
    if (n > 1) await new Promise((r) => setTimeout(r, 0));
  }
  const result: Partial<Record<Hemi, Float32Array | Float32Array[]>> = {};
  for (const c of chains) result[c.h] = src.multi ? c.out : c.out[0];
  if (options.outputDir !== undefined) {
    for (const c of chains) await writeSurface(space, result[c.h]!, c.h, den, options);
  }
  return options.hemi === undefined ? result : result[hemis[0]];
}

// ---------------------------------------------------------------- entry points

/**
 * Upstream's `to_template`: values in the subject's T1w space to MNI305
 * (a volume) or fsaverage (per-hemisphere maps). See the module docs.
 * @internal `Subject.toTemplate` is its public face
 */
export async function toTemplate(
  space: SubjectSpace,
  values: TemplateInput,
  target: TemplateTarget,
  options: TemplateOptions = {},
): Promise<TemplateVolume | unknown> {
  const t = checkTarget(target);
  const route = checkRoute(t, options.route);
  if (options.hemi !== undefined) checkHemi(options.hemi);
  if (route === "volume") return await toMni305(space, values, options);
  return await toFsaverage(space, values, options);
}

/** Upstream's `volume_to_surface`: refuses volume targets. @internal */
export async function volumeToSurface(
  space: SubjectSpace,
  values: TemplateInput,
  target: TemplateTarget = "fsaverage",
  options: TemplateOptions = {},
): Promise<unknown> {
  checkTargetKind(target, "surface");
  return await toTemplate(space, values, target, options);
}

/** Upstream's `volume_to_template`: refuses surface targets. @internal */
export async function volumeToTemplate(
  space: SubjectSpace,
  values: TemplateInput,
  target: TemplateTarget = "MNI305",
  options: TemplateOptions = {},
): Promise<TemplateVolume> {
  checkTargetKind(target, "volume");
  return await toTemplate(space, values, target, options) as TemplateVolume;
}

/** Options of `surfaceToTemplate`. */
export type SurfaceTemplateOptions = Pick<
  TemplateOptions,
  | "hemi"
  | "fsaverageDensity"
  | "outputDir"
  | "desc"
  | "session"
  | "templates"
  | "signal"
  | "onProgress"
>;

/**
 * Upstream's `surface_to_template`: fsnative maps (the subject's
 * `sphere.reg` vertices) resampled onto fsaverage. @internal
 */
export async function surfaceToTemplate(
  space: SubjectSpace,
  values: FsnativeInput,
  target: TemplateTarget = "fsaverage",
  options: SurfaceTemplateOptions = {},
): Promise<unknown> {
  checkTargetKind(target, "surface");
  const den = fsaverageDensity(options.fsaverageDensity ?? "fsaverage5");
  const signal = options.signal;
  const isDict = values !== null && typeof values === "object" && !Array.isArray(values) &&
    !ArrayBuffer.isView(values) && ("L" in values || "R" in values);
  let perHemi: [Hemi, ArrayLike<number> | readonly ArrayLike<number>[]][];
  if (isDict) {
    const d = values as Record<string, ArrayLike<number> | readonly ArrayLike<number>[]>;
    for (const k of Object.keys(d)) checkHemi(k);
    perHemi = HEMIS.filter((h) => d[h] !== undefined).map((h) => [h, d[h]]);
  } else {
    if (options.hemi === undefined) {
      throw new TypeError(
        `a single fsnative array needs options.hemi ("L" or "R"); pass { L: ..., R: ... } for both`,
      );
    }
    perHemi = [[checkHemi(options.hemi), values as ArrayLike<number>]];
  }
  const fsDir = await space.freesurferDir(signal);
  const templates = defaultTemplates(options);
  const result: Partial<Record<Hemi, Float32Array | Float32Array[]>> = {};
  for (const [h, v] of perHemi) {
    const rows = isMultiRows(v) ? v : [v as ArrayLike<number>];
    const sphere = await sphereMap(
      fsDir,
      h,
      await templates.fsaverageSphere(h, den, signal),
      signal,
    );
    rows.forEach((r) => {
      if (r.length !== sphere.nMoving) {
        throw new RangeError(
          `Hemisphere "${h}": input has ${r.length} vertices but the recon's fsnative mesh ` +
            `(${h === "L" ? "lh" : "rh"}.sphere.reg) has ${sphere.nMoving}`,
        );
      }
    });
    const onSphere = new Float64Array(sphere.nReference);
    const out = rows.map((r, t) => {
      signal?.throwIfAborted();
      const o = Float32Array.from(sphere.apply(r, onSphere));
      options.onProgress?.(t + 1, rows.length);
      return o;
    });
    result[h] = isMultiRows(v) ? out : out[0];
  }
  if (options.outputDir !== undefined) {
    for (const [h] of perHemi) {
      await writeSurface(space, result[h]!, h, den, options);
    }
  }
  return isDict ? result : result[perHemi[0][0]];
}

/** The data access pieces of `SubjectSpace`, as `SubjectFiles` has them. @internal */
export interface SpaceFiles {
  brainIndices(signal?: AbortSignal): Promise<Int32Array>;
  brainMask(signal?: AbortSignal): Promise<Uint8Array>;
  grid(signal?: AbortSignal): Promise<Grid>;
}

/**
 * A `SubjectSpace` from a subject and its per-mask-source files. @internal
 */
export function subjectSpace(
  sub: {
    subjectId: string;
    maskSource: MaskSource;
    getFreesurferDir(o: { signal?: AbortSignal }): Promise<string>;
  },
  filesOf: (maskSource: MaskSource) => SpaceFiles,
): SubjectSpace {
  return {
    subjectId: sub.subjectId,
    maskSource: sub.maskSource,
    freesurferDir: (signal) => sub.getFreesurferDir({ signal }),
    brainIndices: (m, signal) => filesOf(m).brainIndices(signal),
    brainMask: (m, signal) => filesOf(m).brainMask(signal),
    grid: (m, signal) => filesOf(m).grid(signal),
  };
}
