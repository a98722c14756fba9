/**
 * Noise ceilings (percent, 0-100) over brain voxels: per session or
 * subject-level (`desc`).
 * @module
 */
import { InvalidChoiceError, LaionFmriError } from "../core/errors.ts";
import type { SessionId } from "../core/ids.ts";
import { readNiftiMaskedValues } from "../formats/nifti.ts";
import type { SubjectFiles } from "./subject_files.ts";
import { type BrainVoxelMask, keepVoxels, type VoxelSelection } from "./voxel_selection.ts";

/** Options of `Subject.getNoiseCeiling`. */
export type NoiseCeilingOptions = VoxelSelection & ({ session: SessionId } | { desc: string });

/** Options of `Subject.getNoiseCeiling` for several sessions or descs (a Map result). */
export type MultiNoiseCeilingOptions =
  & VoxelSelection
  & ({ sessions: readonly SessionId[] } | { descs: readonly string[] });

/** Every form of the options, as one shape. */
export type AnyNoiseCeilingOptions = VoxelSelection & {
  session?: SessionId;
  desc?: string;
  sessions?: readonly SessionId[];
  descs?: readonly string[];
};

/** The subject-level noise-ceiling descs (the `desc-` of the file name). */
export const NOISE_CEILING_DESCS = [
  "Noiseceiling12rep",
  "Noiseceiling4rep",
  "NoiseceilingAllrep",
] as const;

/**
 * Checks that exactly one of `session`, `desc`, `sessions`, `descs` is set,
 * and that each desc is a known one.
 *
 * @throws {LaionFmriError} otherwise
 * @throws {InvalidChoiceError} for an unknown desc (lists the valid ones)
 * @example
 * ```ts
 * import { checkNoiseCeilingOptions } from "./noise_ceiling.ts";
 * checkNoiseCeilingOptions({ desc: "Noiseceiling12rep" });
 * ```
 */
export function checkNoiseCeilingOptions(o: AnyNoiseCeilingOptions): void {
  const given = [o.session, o.desc, o.sessions, o.descs].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new LaionFmriError(
      "Exactly one of `session` or `desc` must be set (or `sessions` / `descs` for several).",
    );
  }
  for (const desc of o.desc !== undefined ? [o.desc] : o.descs ?? []) {
    if (!(NOISE_CEILING_DESCS as readonly string[]).includes(desc)) {
      throw new InvalidChoiceError("noise-ceiling desc", desc, NOISE_CEILING_DESCS);
    }
  }
}

/**
 * Reads one noise-ceiling map at the brain voxels, restricted to `filter`.
 *
 * @throws {DataNotDownloadedError} when the file is not on disk
 * @example
 * ```ts
 * import { readNoiseCeiling } from "./noise_ceiling.ts";
 * import { SubjectFiles } from "./subject_files.ts";
 * const files = new SubjectFiles("sub-01", "/data", { nanInMask: true });
 * const nc = await readNoiseCeiling(files, { session: "ses-01" }, undefined);
 * ```
 */
export async function readNoiseCeiling(
  files: SubjectFiles,
  o: { session?: string; desc?: string; signal?: AbortSignal },
  filter: BrainVoxelMask | undefined,
): Promise<Float32Array> {
  const { session, signal } = o;
  const path = session !== undefined
    ? await files.require(
      files.paths.sessionNoiseCeiling(session),
      `Noise ceiling of ${session}`,
      { session, signal },
    )
    : await files.require(files.paths.subjectNoiseCeiling(o.desc!), `Noise ceiling ${o.desc}`, {
      signal,
    });
  const values = await readNiftiMaskedValues(path, await files.brainMask(signal), {
    signal,
    refetch: files.refetch(session),
  });
  return keepVoxels(values, filter);
}
