/**
 * Raw single-trial betas: a row-major Float32Array with its trial table and
 * voxel identity. Made only by `Subject.getBetaMatrix`.
 * @module
 */
import type { DataFrame } from "../frames/polars.ts";
import {
  CUSTOM_INSPECT,
  type DisplayBundle,
  JUPYTER_DISPLAY,
  summaryBundle,
} from "../core/display.ts";
import { fixedWidthColumn, intColumns } from "../frames/betas_frame.ts";
import { unflattenC } from "../formats/voxel_order.ts";

/** What {@linkcode createBetaMatrix} needs. */
export interface BetaMatrixInit {
  /** Row-major values, trials by voxels. */
  values: Float32Array;
  /** `[nTrials, nVoxels]`. */
  shape: [number, number];
  /** The kept trial rows. */
  trials: DataFrame;
  /** Brain-axis position of each column. */
  brainIndex: Int32Array;
  /** Full-grid C-order index of each column. */
  flatIndex: Int32Array;
  /** The grid shape. */
  grid: [number, number, number];
  /** The session. */
  session: string;
}

let construct: (init: BetaMatrixInit) => BetaMatrix;

/**
 * Raw single-trial betas: row-major `values` (trials x voxels), with the
 * trial table and the voxel identity in the same order. Returned by
 * `Subject.getBetaMatrix`; not constructible by callers.
 *
 * @example
 * ```ts
 * import { loadSubject } from "@laion/fmri";
 * const sub = await loadSubject("sub-01");
 * const m = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
 * console.log(String(m)); // "BetaMatrix(ses-01: 1000 trials x 120 voxels)"
 * ```
 */
export class BetaMatrix {
  /** Row-major Float32 values, `shape[0]` trials by `shape[1]` voxels. NaN stays NaN. */
  readonly values: Float32Array;
  /** `[nTrials, nVoxels]`. */
  readonly shape: [number, number];
  /** The trial rows kept, in order (columns of the trial TSV). */
  readonly trials: DataFrame;
  /** Brain-voxel indices of the columns (positions on the brain axis). */
  readonly brainIndex: Int32Array;
  /** The session. */
  readonly session: string;
  readonly #grid: [number, number, number];
  readonly #flat: Int32Array;

  static {
    construct = (init) => new BetaMatrix(init);
  }

  private constructor(init: BetaMatrixInit) {
    this.values = init.values;
    this.shape = init.shape;
    this.trials = init.trials;
    this.brainIndex = init.brainIndex;
    this.session = init.session;
    this.#grid = init.grid;
    this.#flat = init.flatIndex;
  }

  /** Row `t` (one trial) as a view, without copying. */
  row(t: number): Float32Array {
    const n = this.shape[1];
    return this.values.subarray(t * n, (t + 1) * n);
  }

  /** Voxel identity in column order: `brain_index`, `i`, `j`, `k` (grid indices). */
  voxels(): Promise<DataFrame> {
    const n = this.#flat.length;
    const i = new Int32Array(n), j = new Int32Array(n), k = new Int32Array(n);
    for (let c = 0; c < n; c++) [i[c], j[c], k[c]] = unflattenC(this.#flat[c], this.#grid);
    return intColumns({ brain_index: this.brainIndex, i, j, k });
  }

  /** The trial table plus a `betas` column of fixed-width Float32 arrays. */
  async toDataFrame(): Promise<DataFrame> {
    const betas = await fixedWidthColumn("betas", this.values, this.shape[1], this.shape[0]);
    return this.trials.hstack(betas.getColumns(), false) as unknown as DataFrame;
  }

  /** A one-line summary, as `console.log` and Jupyter show it. */
  toString(): string {
    return `BetaMatrix(${this.session}: ${this.shape[0]} trials x ${this.shape[1]} voxels)`;
  }

  /** A short one-line summary for `console.log`. */
  [CUSTOM_INSPECT](): string {
    return this.toString();
  }

  /** Rich display in Jupyter notebooks (HTML and text). */
  [JUPYTER_DISPLAY](): DisplayBundle {
    return summaryBundle(this.toString());
  }
}

/**
 * Makes a {@linkcode BetaMatrix}; library-internal (the class is exported
 * from `mod.ts` as a type only).
 *
 * @example
 * ```ts
 * import { createBetaMatrix } from "./beta_matrix.ts";
 * import pl from "nodejs-polars";
 * const m = createBetaMatrix({
 *   values: new Float32Array(2), shape: [1, 2], trials: pl.DataFrame({ label: ["a"] }),
 *   brainIndex: new Int32Array([0, 1]), flatIndex: new Int32Array([3, 4]),
 *   grid: [2, 2, 2], session: "ses-01",
 * });
 * ```
 */
export function createBetaMatrix(init: BetaMatrixInit): BetaMatrix {
  return construct(init);
}
