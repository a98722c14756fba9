/**
 * The one loader of sharp (libvips), the image library behind decoding the
 * stimuli and rendering plots: loaded once, lazily, so programs that never
 * touch an image need none of its permissions; a refused permission is an
 * error naming the flags.
 * @module
 */
import { PermissionMissingError } from "../core/errors.ts";
import { isPermissionError } from "../core/permissions.ts";

/** sharp's default export. */
export type Sharp = typeof import("npm:sharp@0.35.5").default;

/** The environment variables sharp 0.35.5 reads when it loads. */
export const SHARP_ENV: readonly string[] = [
  "npm_package_config_libvips",
  "SHARP_FORCE_GLOBAL_LIBVIPS",
  "SHARP_IGNORE_GLOBAL_LIBVIPS",
  "PKG_CONFIG_PATH",
  "MALLOC_ARENA_MAX",
];

/** The Deno flags sharp 0.35.5 needs: its native addon, its package files and the variables it reads. */
export const SHARP_FLAGS = `--allow-ffi --allow-read --allow-env=${SHARP_ENV.join(",")}`;

let loading: Promise<Sharp> | undefined;

/**
 * sharp, loaded on first use.
 *
 * @param purpose what it is for, named in the permission error
 * @throws {PermissionMissingError} naming {@linkcode SHARP_FLAGS} when a permission is refused
 * @example
 * ```ts
 * import { loadSharp } from "./sharp.ts";
 * const sharp = await loadSharp("decode images");
 * const { width } = await sharp(new Uint8Array([])).metadata().catch(() => ({ width: 0 }));
 * ```
 */
export function loadSharp(purpose: string): Promise<Sharp> {
  loading ??= import("npm:sharp@0.35.5").then((m) => m.default).catch((e) => {
    loading = undefined;
    throw e;
  });
  return loading.catch((e) => {
    if (isPermissionError(e)) {
      throw new PermissionMissingError(`${purpose} with sharp (libvips)`, SHARP_FLAGS, {
        cause: e,
      });
    }
    throw e;
  });
}

/**
 * `e` as a {@linkcode PermissionMissingError} naming sharp's flags when it
 * is a refused permission (sharp reads files and variables while it works,
 * not only when it loads); otherwise `e` itself.
 *
 * @example
 * ```ts
 * import { sharpError } from "./sharp.ts";
 * sharpError(new Error("boom"), "render pictures"); // the same Error
 * ```
 */
export function sharpError(e: unknown, purpose: string): unknown {
  if (!isPermissionError(e)) return e;
  return new PermissionMissingError(`${purpose} with sharp (libvips)`, SHARP_FLAGS, { cause: e });
}
