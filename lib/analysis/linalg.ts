/**
 * The two operations the encoding model needs (`A · Bᵀ` and a symmetric
 * eigendecomposition), from OpenBLAS when it can be called and from plain
 * TypeScript otherwise. `deno task bench:linalg` measured the choice.
 * @module
 */
import { InvalidChoiceError } from "../core/errors.ts";
import { type SymmetricEigen, symmetricEigenTs } from "./eigen_ts.ts";
import { type Matrix, multiplyTransposedTs } from "./matrix.ts";
import { multiplyTransposedBlas, openblasAvailable, symmetricEigenBlas } from "./openblas.ts";

/** A linear-algebra backend. */
export interface LinearAlgebra {
  /** `"openblas"` (FFI) or `"typescript"`. */
  readonly name: "openblas" | "typescript";
  /**
   * `A · Bᵀ` for row-major `A` (n×p) and `B` (m×p), into `out` (n·m values,
   * overwritten) when given: a loop that reuses one buffer spares the page
   * faults of a fresh multi-megabyte array per call.
   */
  multiplyTransposed(a: Matrix, b: Matrix, out?: Float64Array): Matrix;
  /** Eigenvalues ascending; eigenvector `j` in row `j`. */
  symmetricEigen(s: Matrix): SymmetricEigen;
}

/** Which backend: `"auto"` takes OpenBLAS when `--allow-ffi` is granted and the library loads. */
export type LinearAlgebraChoice = "auto" | "openblas" | "typescript";

const TS: LinearAlgebra = {
  name: "typescript",
  multiplyTransposed: multiplyTransposedTs,
  symmetricEigen: symmetricEigenTs,
};
const BLAS: LinearAlgebra = {
  name: "openblas",
  multiplyTransposed: multiplyTransposedBlas,
  symmetricEigen: symmetricEigenBlas,
};

/**
 * The backend for `choice`. `"openblas"` throws PermissionMissingError
 * (without `--allow-ffi`) or NativeLibraryMissingError (library absent);
 * `"auto"` never throws and falls back to TypeScript.
 *
 * @example
 * ```ts
 * import { linearAlgebra } from "@laion/fmri/analysis";
 * console.log(linearAlgebra().name); // "openblas" with --allow-ffi and libopenblas0
 * ```
 */
export function linearAlgebra(choice: LinearAlgebraChoice = "auto"): LinearAlgebra {
  switch (choice) {
    case "typescript":
      return TS;
    case "openblas":
      multiplyTransposedBlas({ rows: 0, cols: 0, data: new Float64Array() }, {
        rows: 0,
        cols: 0,
        data: new Float64Array(),
      });
      return BLAS;
    case "auto":
      return openblasAvailable() ? BLAS : TS;
    default:
      throw new InvalidChoiceError("backend", String(choice), ["auto", "openblas", "typescript"]);
  }
}
