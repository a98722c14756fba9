/**
 * Several ROIs over several sessions in one pass: each session's betas are
 * read once at the union of the ROIs (one NIfTI decode, or one set of
 * model-file rows), sessions decode in parallel workers, and each ROI's
 * columns are cut out and stacked over sessions with a `session` column.
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import { LaionFmriError } from "../core/errors.ts";
import { resolveSessionId, type SessionId } from "../core/ids.ts";
import { mapPool } from "../core/pool.ts";
import { decodeNiftiFiles } from "../formats/nifti_pool.ts";
import { loadPolars } from "../frames/polars.ts";
import { type BetaMatrix, createBetaMatrix } from "./beta_matrix.ts";
import type { BetasOptions, BetasPlan } from "./betas.ts";
import { type ModelBetasOptions, type ModelBetasPlan, readModelValues } from "./model_betas.ts";
import type { RemoteModelOptions } from "./remote_model.ts";
import type { ResolvedBetasSource } from "./remote_mode.ts";
import type { RoiQuery } from "./roi_grammar.ts";
import { type BrainVoxelMask, unionMasks } from "./voxel_selection.ts";

/** Options of `Subject.getRoiBetaMatrices` / `Subject.getRoiBetas`. */
export interface RoiBetasOptions
  extends Pick<BetasOptions, "stimuli" | "maskSource" | "signal">, ModelBetasOptions {
  /** The sessions, stacked in this order. */
  sessions: readonly SessionId[];
  /**
   * The ROI queries: names (each its own key), or `{ key: query }` for
   * categories and unions, e.g. `{ face: "face", ffa: ["FFA1", "FFA2"] }`.
   */
  rois: readonly string[] | Readonly<Record<string, RoiQuery>>;
  /**
   * Decode workers for NIfTI betas; the calling thread decodes one more
   * session beside them. `0` decodes one session at a time.
   * @default the number of cores minus one
   */
  workers?: number;
  /** Called after each session with the sessions done and the total. */
  onProgress?: (sessionsDone: number, nSessions: number) => void;
}

/** What the multi-ROI pass needs of a Subject. */
export interface RoiBetasHost {
  /** The subject id. */
  subjectId: string;
  /** The mask of one ROI query over brain voxels. */
  roiMask(query: RoiQuery, o: Pick<BetasOptions, "maskSource" | "signal">): Promise<BrainVoxelMask>;
  /** The source of a call. */
  resolve(o: ModelBetasOptions): ResolvedBetasSource;
  /** The NIfTI plan of one session at a voxel mask. */
  niftiPlan(o: BetasOptions): Promise<BetasPlan>;
  /** The model-file plan of one session at a voxel mask. */
  modelPlan(o: BetasOptions, remote?: RemoteModelOptions): Promise<ModelBetasPlan>;
}

interface SessionRead {
  plan: BetasPlan | ModelBetasPlan;
  /** Kept trials x union voxels. */
  values: Float32Array;
}

function queriesOf(rois: RoiBetasOptions["rois"]): [string, RoiQuery][] {
  const entries: [string, RoiQuery][] = Array.isArray(rois)
    ? (rois as readonly string[]).map((r) => [r, r])
    : Object.entries(rois as Record<string, RoiQuery>);
  if (entries.length === 0) throw new RangeError("rois must name at least one ROI query");
  return entries;
}

function keptRows(values: Float32Array, n: number, nVolumes: number, plan: BetasPlan) {
  if (nVolumes !== plan.trials.height) {
    throw new LaionFmriError(
      `${plan.path} has ${nVolumes} volumes but the trial table has ${plan.trials.height} rows.`,
    );
  }
  if (!plan.keep) return values;
  const out = new Float32Array(plan.keep.length * n);
  plan.keep.forEach((t, r) => out.set(values.subarray(t * n, (t + 1) * n), r * n));
  return out;
}

async function readSessions(
  host: RoiBetasHost,
  o: RoiBetasOptions,
  union: BrainVoxelMask,
): Promise<SessionRead[]> {
  const { signal, stimuli, maskSource } = o;
  const sessions = o.sessions.map(resolveSessionId);
  const base = { stimuli, maskSource, signal, mask: union };
  const { source, remote } = host.resolve(o);
  let done = 0;
  if (source !== "nifti") {
    const limit = source === "remote" ? remote?.concurrency ?? 8 : 2;
    return await mapPool(sessions, async (session) => {
      const plan = await host.modelPlan({ ...base, session }, remote);
      const values = await readModelValues(plan, host.subjectId, signal);
      o.onProgress?.(++done, sessions.length);
      return { plan, values };
    }, { limit, signal });
  }
  const plans = await mapPool(sessions, (session) => host.niftiPlan({ ...base, session }), {
    limit: 4,
    signal,
  });
  const decoded = await decodeNiftiFiles(plans.map((p) => ({ path: p.path, mask: p.gridMask })), {
    workers: o.workers,
    signal,
    onFile: (d, n) => o.onProgress?.(d, n),
  });
  return plans.map((plan, i) => ({
    plan,
    values: keptRows(decoded[i].data, decoded[i].nSelected, decoded[i].nVolumes, plan),
  }));
}

/** Position of each of `roi`'s voxels among the union's (both ascending brain indices). */
function columnsIn(unionIndex: Int32Array, roi: BrainVoxelMask): Int32Array {
  const cols: number[] = [];
  unionIndex.forEach((c, j) => {
    if (roi[c]) cols.push(j);
  });
  return Int32Array.from(cols);
}

async function stackTrials(reads: SessionRead[]): Promise<DataFrame> {
  const pl = await loadPolars();
  const frames = reads.map(({ plan }) =>
    plan.kept.withColumns(pl.lit(plan.session).alias("session")) as unknown as DataFrame
  );
  return pl.concat(frames as never, { how: "vertical" }) as unknown as DataFrame;
}

/**
 * Each ROI's betas over all `sessions`, stacked (trials of the first
 * session, then the next ...), with a `session` column in the trial table.
 *
 * @throws {RangeError} for an empty `rois` or a bad `workers`
 * @example
 * ```ts
 * import { readRoiBetas } from "./roi_betas.ts";
 * declare const host: import("./roi_betas.ts").RoiBetasHost;
 * const byRoi = await readRoiBetas(host, { sessions: [1, 2], rois: ["FFA1", "V1"] });
 * console.log(byRoi.get("FFA1")!.shape);
 * ```
 */
export async function readRoiBetas(
  host: RoiBetasHost,
  o: RoiBetasOptions,
): Promise<Map<string, BetaMatrix>> {
  const queries = queriesOf(o.rois);
  if (o.sessions.length === 0) throw new RangeError("sessions must name at least one session");
  const { maskSource, signal } = o;
  const masks = await Promise.all(queries.map(([, q]) => host.roiMask(q, { maskSource, signal })));
  const union = unionMasks(masks, masks[0].length);
  const reads = await readSessions(host, o, union);
  const trials = await stackTrials(reads);
  const first = reads[0].plan;
  const label = reads.map((r) => r.plan.session).join(", ");
  const out = new Map<string, BetaMatrix>();
  queries.forEach(([key], q) => {
    const cols = columnsIn(first.brainIndex, masks[q]);
    const n = first.brainIndex.length;
    const values = new Float32Array(trials.height * cols.length);
    let row = 0;
    for (const { values: v } of reads) {
      for (let t = 0; t < v.length / n; t++, row++) {
        const src = t * n, dst = row * cols.length;
        for (let j = 0; j < cols.length; j++) values[dst + j] = v[src + cols[j]];
      }
    }
    out.set(
      key,
      createBetaMatrix({
        values,
        shape: [trials.height, cols.length],
        trials,
        brainIndex: cols.map((j) => first.brainIndex[j]),
        flatIndex: cols.map((j) => first.flatIndex[j]),
        grid: first.grid,
        session: label,
      }),
    );
  });
  return out;
}
