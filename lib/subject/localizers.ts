/**
 * Localizer maps of a subject (upstream-era-c.md §1.5, §4.9): z maps of a
 * contrast and per-run effect maps of a condition, in fsnative (GIfTI, per
 * hemisphere) or T1w space (NIfTI, `res-1pt5` fitted grid or `res-1pt8`
 * beta grid). Paths, and loaders of the values.
 * @module
 */
import { DataNotDownloadedError } from "../core/errors.ts";
import { pathExists } from "../core/fs.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import { readGiftiDataArrays } from "../formats/gifti.ts";
import { type NiftiVolume, readNiftiVolume } from "../formats/nifti.ts";
import { type SubjectFile, subjectFile } from "./subject_file.ts";
import {
  checkRes,
  type CurrentPaths,
  LOCALIZER_TASKS,
  runToken,
  type VolumeRes,
} from "../local/current_paths.ts";

/** A localizer task. */
export type LocalizerTask = (typeof LOCALIZER_TASKS)[number];

/** Which localizer map: a z map (`contrast`) or, with `run`, a per-run effect map. */
export interface LocalizerMapQuery {
  /** `floc`, `oloc`, `MotionLeft`, `MotionRight` or `MotionLoc` (pooled). */
  task: LocalizerTask;
  /** A contrast (z map, e.g. `faceVsOthers`) or, with `run`, a condition (e.g. `face`). */
  contrast: string;
  /**
   * The session: its label (`"31"`, `"4BarScreenfLoc"`) with or without
   * `ses-`; numbers in any spelling `getBetas` takes (`31`, `"ses-31"`).
   * @default the task's: `4BarScreenfLoc` (floc), `31` (oloc), `MotionLocBarsSML` (motion)
   */
  session?: SessionId;
  /** A run number: the per-run `stat-effect` map of the condition `contrast`. */
  run?: number | string;
  /** `fsnative` (GIfTI, needs `hemi`) or `T1w` (NIfTI). @default "fsnative" */
  space?: "fsnative" | "T1w";
  /** Hemisphere of an fsnative map. */
  hemi?: "L" | "R";
  /** Grid of a T1w map. @default "1pt5" */
  res?: VolumeRes;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** The session of each localizer task. */
export const LOCALIZER_SESSIONS: Readonly<Record<LocalizerTask, string>> = {
  floc: "4BarScreenfLoc",
  oloc: "31",
  MotionLeft: "MotionLocBarsSML",
  MotionRight: "MotionLocBarsSML",
  MotionLoc: "MotionLocBarsSML",
};

/**
 * The file name of a localizer map (upstream's validation, as RangeError).
 *
 * @throws {RangeError} for an unknown task, space or res, fsnative without
 *   hemi, or a per-run map of the pooled `MotionLoc`
 * @example
 * ```ts
 * import { localizerMapName } from "./localizers.ts";
 * localizerMapName("sub-03", { task: "oloc", contrast: "scrambled", run: 2, hemi: "R" });
 * // "sub-03_ses-31_task-oloc_run-02_hemi-R_space-fsnative_contrast-scrambled_stat-effect_statmap.func.gii"
 * ```
 */
export function localizerMapName(subject: string, q: LocalizerMapQuery): string {
  if (!(LOCALIZER_TASKS as readonly string[]).includes(q.task)) {
    throw new RangeError(`task must be one of ${LOCALIZER_TASKS.join(", ")}; got "${q.task}".`);
  }
  const space = q.space ?? "fsnative";
  let where: string;
  if (space === "fsnative") {
    if (q.hemi !== "L" && q.hemi !== "R") {
      throw new RangeError(`space "fsnative" is per-hemisphere; pass hemi "L" or "R".`);
    }
    where = `hemi-${q.hemi}_space-fsnative`;
  } else if (space === "T1w") {
    where = `space-T1w_res-${checkRes(q.res ?? "1pt5")}`;
  } else {
    throw new RangeError(`space must be "fsnative" or "T1w"; got "${space}".`);
  }
  if (q.run !== undefined && q.task === "MotionLoc") {
    throw new RangeError(
      `task "MotionLoc" is the pooled map and has no per-run effect maps; pass task "MotionLeft" or "MotionRight".`,
    );
  }
  const ses = `ses-${localizerSession(q)}`;
  const run = q.run === undefined ? "" : `_run-${runToken(q.run)}`;
  const stat = q.run === undefined ? "z" : "effect";
  const ext = space === "fsnative" ? "func.gii" : "nii.gz";
  return `${subject}_${ses}_task-${q.task}${run}_${where}_contrast-${q.contrast}_stat-${stat}_statmap.${ext}`;
}

/** The session label of a query (without `ses-`): numbers normalized as every session option. */
function localizerSession(q: LocalizerMapQuery): string {
  const given = q.session ?? LOCALIZER_SESSIONS[q.task];
  if (typeof given === "number" || /^(?:ses-)?\d+$/i.test(given)) {
    return resolveSessionId(given).slice("ses-".length);
  }
  return given.replace(/^ses-/i, "");
}

/**
 * The path of a localizer map, once it is on disk.
 *
 * @throws {DataNotDownloadedError} naming `download({ subject, includeLocalizers: true })`
 * @example
 * ```ts
 * import { localizerMapPath } from "./localizers.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * const p = await localizerMapPath(new CurrentPaths("/data", "sub-01"), { task: "floc", contrast: "faceVsOthers", space: "T1w" });
 * ```
 */
export async function localizerMapPath(paths: CurrentPaths, q: LocalizerMapQuery): Promise<string> {
  const name = localizerMapName(paths.subject, q);
  const path = paths.localizer(localizerSession(q), name);
  q.signal?.throwIfAborted();
  if (await pathExists(path)) return path;
  const s = paths.subject;
  throw new DataNotDownloadedError(`Localizer map not found at ${path}.`, {
    subject: s,
    path,
    downloadCall: `download({ subject: "${s}", includeLocalizers: true, acceptLicense: true })`,
    cliCommand: `laion-fmri download --subject ${s} --include-localizers --accept-license`,
  });
}

/**
 * A localizer map as a file handle: a T1w map loads as a volume (scaled
 * float32, C-order; NaN where not estimated), an fsnative map as one value
 * per vertex of the hemisphere.
 *
 * @throws {DataNotDownloadedError} naming `download({ subject, includeLocalizers: true })`
 * @example
 * ```ts
 * import { localizerMapFile } from "./localizers.ts";
 * import { CurrentPaths } from "../local/current_paths.ts";
 * const paths = new CurrentPaths("/data", "sub-01");
 * const map = await localizerMapFile(paths, { task: "floc", contrast: "faceVsOthers", space: "T1w" });
 * const { shape } = await map.load();
 * ```
 */
export function localizerMapFile(
  paths: CurrentPaths,
  q: LocalizerMapQuery & { space: "T1w" },
): Promise<SubjectFile<NiftiVolume>>;
/** An fsnative map (the default space): one value per vertex. */
export function localizerMapFile(
  paths: CurrentPaths,
  q: LocalizerMapQuery,
): Promise<SubjectFile<Float32Array>>;
export async function localizerMapFile(
  paths: CurrentPaths,
  q: LocalizerMapQuery,
): Promise<SubjectFile<NiftiVolume> | SubjectFile<Float32Array>> {
  const path = await localizerMapPath(paths, q);
  if (q.space === "T1w") return subjectFile(path, (p, o) => readNiftiVolume(p, o));
  return subjectFile(path, async (p, o) => {
    const [first] = await readGiftiDataArrays(p, { signal: o.signal });
    return Float32Array.from(first.data);
  });
}
