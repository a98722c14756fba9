/**
 * OpenBLAS through Deno FFI: `dgemm_` for `A · Bᵀ` and LAPACK's `dsyevd_`
 * (divide and conquer) for symmetric eigendecompositions. Debian's
 * `libopenblas0-pthread` (or `libopenblas0-openmp`/`-serial`) provides
 * `libopenblas.so.0` with both. Needs `--allow-ffi` and nothing else.
 * @module
 */
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { type Matrix, outputOf, shapeOf } from "./matrix.ts";
import type { SymmetricEigen } from "./eigen_ts.ts";

const SYMBOLS = {
  // Fortran ABI: every argument by reference, hidden CHARACTER lengths last.
  dgemm_: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "usize",
      "usize",
    ],
    result: "void",
  },
  dsyrk_: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "usize",
      "usize",
    ],
    result: "void",
  },
  dsyevd_: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "usize",
      "usize",
    ],
    result: "void",
  },
} as const;

type OpenBlasLib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** Where Debian and other distributions put the library. */
const CANDIDATES = [
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib64/libopenblas.so.0",
  "/usr/lib/libopenblas.so.0",
  "libopenblas.so.0",
];

/**
 * OpenBLAS is not installed (or lacks the LAPACK symbols); the message says
 * which package to install.
 *
 * @example
 * ```ts
 * import { matrix, NativeLibraryMissingError } from "@laion/fmri/analysis";
 * import { symmetricEigenBlas } from "./openblas.ts";
 * try {
 *   symmetricEigenBlas(matrix(1, 1, [1]));
 * } catch (e) {
 *   if (e instanceof NativeLibraryMissingError) console.log(e.message);
 * }
 * ```
 */
export class NativeLibraryMissingError extends LaionFmriError {}

let lib: OpenBlasLib | undefined;

/** The library, loaded once; throws PermissionMissingError or NativeLibraryMissingError. */
function load(): OpenBlasLib {
  if (lib) return lib;
  let state: Deno.PermissionState = "denied";
  try {
    state = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch { /* treated as denied */ }
  if (state !== "granted") {
    throw new PermissionMissingError("call OpenBLAS through FFI", "--allow-ffi");
  }
  const errors: string[] = [];
  for (const file of CANDIDATES) {
    try {
      lib = Deno.dlopen(file, SYMBOLS);
      return lib;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message}`);
    }
  }
  throw new NativeLibraryMissingError(
    "OpenBLAS (libopenblas.so.0 with dgemm_ and dsyevd_) was not found; on Debian: " +
      "apt-get install libopenblas0-pthread. Tried: " + errors.join("; "),
  );
}

/**
 * True when OpenBLAS can be called here (`--allow-ffi` granted, library found).
 *
 * @example
 * ```ts
 * import { openblasAvailable } from "@laion/fmri/analysis";
 * console.log(openblasAvailable());
 * ```
 */
export function openblasAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

const ch = (c: string) => new Uint8Array([c.charCodeAt(0)]);
const i32 = (v: number) => new Int32Array([v]);
const f64 = (v: number) => new Float64Array([v]);

/**
 * `A · Bᵀ` (both row-major) with OpenBLAS `dgemm_`.
 *
 * @example
 * ```ts
 * import { multiplyTransposedBlas } from "./openblas.ts";
 * import { matrix } from "@laion/fmri/analysis";
 * const x = matrix(2, 2, [1, 2, 3, 4]);
 * console.log(multiplyTransposedBlas(x, x).data); // [5, 11, 11, 25]
 * ```
 */
export function multiplyTransposedBlas(a: Matrix, b: Matrix, into?: Float64Array): Matrix {
  if (a.cols !== b.cols) {
    throw new RangeError(`A (${shapeOf(a)}) · Bᵀ (B ${shapeOf(b)}) needs equal column counts`);
  }
  const { dgemm_, dsyrk_ } = load().symbols;
  const n = a.rows, m = b.rows, p = a.cols;
  const out = outputOf(into, n, m);
  if (n === 0 || m === 0) return { rows: n, cols: m, data: out };
  if (a === b || a.data === b.data) {
    // X · Xᵀ: half the work with dsyrk_, then mirror the triangle.
    dsyrk_(
      ch("U"),
      ch("T"),
      i32(n),
      i32(p),
      f64(1),
      a.data,
      i32(Math.max(1, p)),
      f64(0),
      out,
      i32(n),
      1n,
      1n,
    );
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i];
    return { rows: n, cols: m, data: out };
  }
  // Row-major C (n x m) is column-major Cᵀ (m x n) = B · Aᵀ = op(Bcm)ᵀ · Acm.
  dgemm_(
    ch("T"),
    ch("N"),
    i32(m),
    i32(n),
    i32(p),
    f64(1),
    b.data,
    i32(Math.max(1, p)),
    a.data,
    i32(Math.max(1, p)),
    f64(0),
    out,
    i32(m),
    1n,
    1n,
  );
  return { rows: n, cols: m, data: out };
}

/**
 * Eigenvalues (ascending) and eigenvectors (eigenvector `j` = row `j`) of
 * the symmetric matrix `s` with LAPACK `dsyevd_` (reads its lower triangle
 * in column-major order, i.e. the upper one of the row-major input).
 *
 * @example
 * ```ts
 * import { symmetricEigenBlas } from "./openblas.ts";
 * import { matrix } from "@laion/fmri/analysis";
 * console.log(symmetricEigenBlas(matrix(2, 2, [2, 1, 1, 2])).values); // [1, 3]
 * ```
 */
export function symmetricEigenBlas(s: Matrix): SymmetricEigen {
  if (s.rows !== s.cols) {
    throw new RangeError(`eigendecomposition needs a square matrix, got ${shapeOf(s)}`);
  }
  const { dsyevd_ } = load().symbols;
  const n = s.rows;
  const a = Float64Array.from(s.data);
  const w = new Float64Array(n);
  if (n === 0) return { values: w, vectors: a };
  const info = new Int32Array(1);
  const work = new Float64Array(1);
  const iwork = new Int32Array(1);
  // Workspace query, then the decomposition.
  dsyevd_(ch("V"), ch("L"), i32(n), a, i32(n), w, work, i32(-1), iwork, i32(-1), info, 1n, 1n);
  if (info[0] !== 0) throw new Error(`dsyevd_ workspace query failed: info=${info[0]}`);
  const lwork = Math.ceil(work[0]), liwork = iwork[0];
  const work2 = new Float64Array(lwork), iwork2 = new Int32Array(liwork);
  dsyevd_(
    ch("V"),
    ch("L"),
    i32(n),
    a,
    i32(n),
    w,
    work2,
    i32(lwork),
    iwork2,
    i32(liwork),
    info,
    1n,
    1n,
  );
  if (info[0] !== 0) throw new Error(`dsyevd_ failed: info=${info[0]} (n=${n})`);
  return { values: w, vectors: a };
}
