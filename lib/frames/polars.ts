/**
 * Lazy loading of the native Polars bindings (`nodejs-polars`), so that
 * programs that never build a DataFrame need no `--allow-ffi`.
 * @module
 */
import type * as pl from "npm:nodejs-polars@0.25.2";
import { PermissionMissingError } from "../core/errors.ts";
import { isPermissionError } from "../core/permissions.ts";

/**
 * A Polars DataFrame (nodejs-polars 0.25.2): what `getBetas`, `getTrialInfo`
 * and `readTsv` return. Named here so that the documentation of this module
 * links to one type; see the nodejs-polars docs for its methods.
 */
export type DataFrame = pl.DataFrame;

/** A Polars Series (nodejs-polars 0.25.2), e.g. one column of a {@linkcode DataFrame}. */
export type Series = pl.Series;

/** The Polars namespace (`pl`) as exported by `nodejs-polars`. */
export type Polars = typeof import("npm:nodejs-polars@0.25.2").default;

/**
 * The Deno flags `nodejs-polars` 0.25.2 needs to load (found by experiment
 * with Deno 2.9.6): `--allow-ffi` for the native `.node` addon,
 * `--allow-read` for the package folder (its loader checks for the addon
 * file), and `--allow-sys=cpus,networkInterfaces,hostname` because the
 * loader calls `process.report.getReport()` to tell glibc from musl.
 * `--allow-env` is not needed.
 */
export const POLARS_FLAGS = "--allow-ffi --allow-read --allow-sys=cpus,networkInterfaces,hostname";

let cached: Promise<Polars> | undefined;

/**
 * Imports `nodejs-polars` on first use and returns its default export
 * (`pl`). A permission refusal becomes a {@linkcode PermissionMissingError}
 * whose `flag` lists the flags to add ({@linkcode POLARS_FLAGS}).
 *
 * @throws {PermissionMissingError} when Deno denies ffi, read or sys access
 * @example
 * ```ts
 * import { loadPolars } from "./polars.ts";
 * const pl = await loadPolars();
 * const df = pl.DataFrame({ label: ["a.jpg", "b.jpg"] });
 * console.log(df.height); // 2
 * ```
 */
export function loadPolars(): Promise<Polars> {
  // A failed attempt is not remembered, so a caller may retry.
  cached ??= importPolars().catch((e) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function importPolars(): Promise<Polars> {
  try {
    const mod = await import("npm:nodejs-polars@0.25.2");
    return mod.default;
  } catch (e) {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(
        `load the native Polars bindings (nodejs-polars: ${(e as Error).message})`,
        POLARS_FLAGS,
        { cause: e },
      );
    }
    throw e;
  }
}
