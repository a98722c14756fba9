/**
 * One subject's files on disk: where they are, what to download when one is
 * missing, and the masks, ROI inventory and grid that are read once and
 * shared by every caller. Shared reads run without any caller's signal, so
 * one caller's abort never fails another's wait (see `SharedCache`).
 * @module
 */
import { join } from "node:path";
import { SharedCache } from "../core/abort.ts";
import { DataNotDownloadedError } from "../core/errors.ts";
import { parseRoiLabel } from "../core/ids.ts";
import { pathExists } from "../core/fs.ts";
import type { OnDemandFiles } from "../download/on_demand.ts";
import { readNiftiMask } from "../formats/nifti.ts";
import { SubjectPaths } from "../local/paths.ts";
import { CurrentPaths } from "../local/current_paths.ts";
import { anatomicalDownload, type MaskSource } from "./mask_source.ts";
import { type Grid, readGrid } from "./brain_space.ts";
import { RoiInventory } from "./roi_grammar.ts";
import {
  type BrainVoxelMask,
  gridIndices,
  type GridMask,
  gridToBrainVoxels,
} from "./voxel_selection.ts";

/**
 * File access of one subject, with the shared caches. Library-internal:
 * `Subject` is its public face.
 *
 * @example
 * ```ts
 * import { SubjectFiles } from "./subject_files.ts";
 * const files = new SubjectFiles("sub-01", "/data", { nanInMask: true });
 * const brain = await files.brainMask();
 * ```
 */
export class SubjectFiles {
  /** Normalized subject id. */
  readonly subjectId: string;
  /** File locations. */
  readonly paths: SubjectPaths;
  /** File locations of the current layout's additions. */
  readonly current: CurrentPaths;
  /** The brain mask that defines this instance's voxel axis. */
  readonly maskSource: MaskSource;
  readonly #nanInMask: boolean;
  /** Fetches missing small files from the bucket (subjects loaded for remote reads). */
  readonly onDemand?: OnDemandFiles;
  readonly #brainMask = new SharedCache<string, GridMask>();
  readonly #brainIndices = new SharedCache<string, Int32Array>();
  readonly #inventory = new SharedCache<string, RoiInventory>();
  readonly #roiMasks = new SharedCache<string, BrainVoxelMask>();
  readonly #grid = new SharedCache<string, Grid>();

  /**
   * @param subjectId a resolved subject id (`sub-NN`)
   * @param dataDir the data directory
   */
  constructor(
    subjectId: string,
    dataDir: string,
    options: { nanInMask: boolean; maskSource?: MaskSource; onDemand?: OnDemandFiles },
  ) {
    this.subjectId = subjectId;
    this.paths = new SubjectPaths(dataDir, subjectId);
    this.current = new CurrentPaths(dataDir, subjectId);
    this.maskSource = options.maskSource ?? "rsquare";
    this.#nanInMask = options.nanInMask;
    this.onDemand = options.onDemand;
  }

  /** Whether `path` is on disk, after fetching it from the bucket when on-demand fetching is on. */
  async #present(path: string, signal?: AbortSignal): Promise<boolean> {
    if (await pathExists(path)) return true;
    return this.onDemand ? await this.onDemand.file(path, signal) : false;
  }

  /**
   * The `download(...)` call (and CLI command) that repairs the subject's
   * files (of one session; with `filters`, only the files they select, e.g.
   * `{ desc: "GLMsingle", suffix: "model" }`): `verify` re-hashes files
   * already on disk.
   */
  refetch(session?: string, filters: { desc?: string; suffix?: string } = {}): string {
    const api = [`subject: "${this.subjectId}"`];
    const cli = [`--subject ${this.subjectId}`];
    for (
      const [name, value] of [["ses", session], ["desc", filters.desc], ["suffix", filters.suffix]]
    ) {
      if (!value) continue;
      api.push(`${name}: "${value}"`);
      cli.push(`--${name} ${value}`);
    }
    return `download({ ${api.join(", ")}, verify: true, acceptLicense: true })` +
      `\n or: laion-fmri download ${cli.join(" ")} --verify --accept-license`;
  }

  /**
   * `path`, once it is known to exist.
   * @throws {DataNotDownloadedError} naming `what`, the path and the download call
   */
  async require(
    path: string,
    what: string,
    options: { session?: string; signal?: AbortSignal } = {},
  ): Promise<string> {
    options.signal?.throwIfAborted();
    if (await this.#present(path, options.signal)) return path;
    throw new DataNotDownloadedError(`${what} not found at ${path}.`, {
      subject: this.subjectId,
      ses: options.session,
      path,
    });
  }

  /** The file of the brain mask of {@linkcode SubjectFiles.maskSource}. */
  get maskPath(): string {
    return this.maskSource === "anatomical"
      ? this.current.anatomical("mask", "1pt8")
      : this.paths.r2mean;
  }

  /** The brain mask over the full grid, from the mask source's file. */
  brainMask(signal?: AbortSignal): Promise<GridMask> {
    const path = this.maskPath;
    return this.#brainMask.get(path, async () => {
      await this.requireMask(path);
      return readNiftiMask(path, { nanInMask: this.#nanInMask, refetch: this.refetch() });
    }, signal);
  }

  /** The mask file, or an error naming the download that fetches it. */
  async requireMask(path = this.maskPath): Promise<string> {
    if (this.maskSource === "rsquare") return this.require(path, "The R2mean brain-mask map");
    if (await this.#present(path)) return path;
    throw new DataNotDownloadedError(
      `The anatomical brain mask (maskSource "anatomical") of ${this.subjectId} not found at ${path}.`,
      { subject: this.subjectId, path, ...anatomicalDownload(this.subjectId) },
    );
  }

  /** Full-grid C-order index of each brain voxel, in brain-axis order. */
  brainIndices(signal?: AbortSignal): Promise<Int32Array> {
    return this.#brainIndices.get(this.maskPath, async () => {
      return gridIndices(await this.brainMask());
    }, signal);
  }

  /** The ROIs on disk. */
  inventory(signal?: AbortSignal): Promise<RoiInventory> {
    const dir = this.paths.roisDir;
    return this.#inventory.get(dir, async () => {
      const sub = this.subjectId;
      await this.onDemand?.folder(dir, (name) => parseRoiLabel(name, sub) !== undefined);
      return RoiInventory.read(dir, sub);
    }, signal);
  }

  /** One ROI's volumetric mask over brain voxels (ROI voxels outside the brain dropped). */
  roiMask(roi: string, signal?: AbortSignal): Promise<BrainVoxelMask> {
    return this.#roiMasks.get(roi, async () => {
      const entry = (await this.inventory()).byName.get(roi)!;
      const path = join(this.paths.roisDir, entry.category, this.paths.roiVolumeName(roi));
      const full = await readNiftiMask(path, { refetch: this.refetch() });
      return gridToBrainVoxels(full, await this.brainIndices());
    }, signal);
  }

  /** The grid shape and affine of the subject's voxel space (the mask file's header). */
  grid(signal?: AbortSignal): Promise<Grid> {
    const path = this.maskPath;
    return this.#grid.get(path, async () => {
      await this.requireMask(path);
      return readGrid(path);
    }, signal);
  }
}
