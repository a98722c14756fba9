/**
 * Template files from TemplateFlow's public S3 bucket (`s3://templateflow`,
 * anonymous, us-east-1), as upstream's `templates.py` asks `templateflow.api.get`
 * for them: the fsaverage spheres (`tpl-fsaverage_hemi-L_den-10k_sphere.surf.gii`
 * at `den-10k`/`41k`/`164k`) and the MNI305 T1w (`tpl-MNI305_T1w.nii.gz`).
 *
 * Files go through our S3 layer (the bucket source) and the download
 * transfer (temp file + rename, size and ETag/MD5 checked, resumable) into
 * the TemplateFlow cache folder, laid out as TemplateFlow's own home
 * (`<cache>/tpl-fsaverage/...`), so a folder filled by the Python client
 * works as is. A file already cached and matching the MD5 recorded when it
 * was fetched is returned without any request; a truncated or corrupt file
 * is fetched again. A file we have no MD5 of (put there by the Python client
 * or by hand) is checked against the bucket; when the bucket cannot be
 * asked (offline, denied, no such key), it is used as it is, with a warning.
 *
 * Settings (each explicit option wins over its env variable):
 * - endpoint: `LAION_FMRI_TEMPLATEFLOW_ENDPOINT`, else `https://s3.us-east-1.amazonaws.com`
 * - bucket: `LAION_FMRI_TEMPLATEFLOW_BUCKET`, else `templateflow`
 * - cache folder: `TEMPLATEFLOW_HOME` (as templateflow), else `~/.cache/laion-fmri/templateflow`
 * @module
 */
import { join } from "node:path";
import type { BucketSource } from "../bucket/source.ts";
import { S3Source } from "../bucket/s3_source.ts";
import { abortable } from "../core/abort.ts";
import {
  AccessDeniedError,
  EndpointUnreachableError,
  InvalidChoiceError,
  isMissingObject,
  NoSuchBucketError,
  PermissionMissingError,
  TemplateUnavailableError,
} from "../core/errors.ts";
import {
  flagFor,
  isPermissionError,
  readSettingsEnv,
  requirePermissions,
} from "../core/permissions.ts";
import { warn } from "../core/warnings.ts";
import { md5File } from "../download/transfer/md5.ts";
import { STATE_DIR } from "../download/plan_builder.ts";
import { transferFiles } from "../download/transfer/transfer_files.ts";
import { readGiftiSurface } from "../formats/gifti.ts";

/** TemplateFlow's bucket. */
export const TEMPLATEFLOW_BUCKET = "templateflow";
/** The S3 endpoint of TemplateFlow's bucket (us-east-1). */
export const TEMPLATEFLOW_ENDPOINT = "https://s3.us-east-1.amazonaws.com";
/** Env variable: the S3 endpoint templates are read from. */
export const TEMPLATEFLOW_ENDPOINT_ENV = "LAION_FMRI_TEMPLATEFLOW_ENDPOINT";
/** Env variable: the bucket templates are read from. */
export const TEMPLATEFLOW_BUCKET_ENV = "LAION_FMRI_TEMPLATEFLOW_BUCKET";

/**
 * fsaverage names -> TemplateFlow's `den-` token (upstream's
 * `_FSAVERAGE_DENSITY_TOKENS`): fsaverage5 = 10,242 vertices per hemisphere,
 * fsaverage6 = 40,962, fsaverage7 and fsaverage = 163,842.
 */
export const FSAVERAGE_DENSITIES: Readonly<Record<FsaverageDensity, "10k" | "41k" | "164k">> = {
  fsaverage5: "10k",
  fsaverage6: "41k",
  fsaverage7: "164k",
  fsaverage: "164k",
};
/** An fsaverage density name: 10,242 / 40,962 / 163,842 vertices per hemisphere (`"fsaverage"` is 164k). */
export type FsaverageDensity = "fsaverage5" | "fsaverage6" | "fsaverage7" | "fsaverage";
/** Vertices per hemisphere of each `den-` token. */
export const FSAVERAGE_VERTICES = { "10k": 10242, "41k": 40962, "164k": 163842 } as const;
/** The fsaverage surfaces TemplateFlow ships per hemisphere and density. */
export const FSAVERAGE_SURFACES = ["sphere", "white", "pial", "inflated", "midthickness"] as const;
/** An fsaverage surface. */
export type FsaverageSurface = typeof FSAVERAGE_SURFACES[number];

/** A TemplateFlow file by its entities (TemplateFlow's order in the name). */
export interface TemplateQuery {
  /** Template identifier, e.g. `"fsaverage"`, `"MNI305"`. */
  template: string;
  /** Hemisphere entity. */
  hemi?: "L" | "R";
  /** Resolution entity (`res-`). */
  resolution?: string | number;
  /** Density entity (`den-`), e.g. `"10k"`. */
  density?: string;
  /** Description entity (`desc-`). */
  desc?: string;
  /** Suffix, e.g. `"sphere"`, `"T1w"`. */
  suffix: string;
  /** Extension with its dot, e.g. `".surf.gii"`, `".nii.gz"`. */
  extension: string;
}

/**
 * The bucket key of a TemplateFlow file.
 *
 * @example
 * ```ts
 * import { templateKey } from "@laion/fmri/templates";
 * templateKey({ template: "fsaverage", hemi: "L", density: "10k", suffix: "sphere", extension: ".surf.gii" });
 * // "tpl-fsaverage/tpl-fsaverage_hemi-L_den-10k_sphere.surf.gii"
 * ```
 */
export function templateKey(q: TemplateQuery): string {
  const ok = /^[A-Za-z0-9]+$/;
  for (const [name, v] of Object.entries(q)) {
    if (v === undefined || name === "extension") continue;
    if (!ok.test(String(v))) {
      throw new RangeError(
        `TemplateFlow entity ${name} must be letters and digits, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (!/^(\.[a-z0-9]+)+$/.test(q.extension)) {
    throw new RangeError(
      `extension must look like ".nii.gz" or ".surf.gii", got ${JSON.stringify(q.extension)}`,
    );
  }
  const parts = [
    `tpl-${q.template}`,
    q.hemi && `hemi-${q.hemi}`,
    q.resolution !== undefined && `res-${q.resolution}`,
    q.density && `den-${q.density}`,
    q.desc && `desc-${q.desc}`,
    q.suffix,
  ].filter(Boolean);
  return `tpl-${q.template}/${parts.join("_")}${q.extension}`;
}

/**
 * TemplateFlow's `den-` token of an fsaverage density name.
 *
 * @throws {InvalidChoiceError} for an unknown name, listing the valid ones
 * @example
 * ```ts
 * import { fsaverageDensity } from "@laion/fmri/templates";
 * fsaverageDensity("fsaverage5"); // "10k"
 * ```
 */
export function fsaverageDensity(name: string): "10k" | "41k" | "164k" {
  const d = (FSAVERAGE_DENSITIES as Record<string, "10k" | "41k" | "164k">)[name];
  if (!d || !Object.hasOwn(FSAVERAGE_DENSITIES, name)) {
    throw new InvalidChoiceError("fsaverage density", name, Object.keys(FSAVERAGE_DENSITIES));
  }
  return d;
}

/** Options of {@linkcode fetchTemplate}. */
export interface TemplateOptions {
  /**
   * S3 endpoint of the TemplateFlow bucket.
   * @default env LAION_FMRI_TEMPLATEFLOW_ENDPOINT, else "https://s3.us-east-1.amazonaws.com"
   */
  endpoint?: string;
  /** Bucket name. @default env LAION_FMRI_TEMPLATEFLOW_BUCKET, else "templateflow" */
  bucket?: string;
  /**
   * Cache folder (TemplateFlow's home layout).
   * @default env TEMPLATEFLOW_HOME, else "~/.cache/laion-fmri/templateflow"
   */
  cacheDir?: string;
  /** Read through this bucket source instead (tests, other transports). */
  source?: BucketSource;
  /** Cancels the fetch (a partial file is kept for the next call to resume). */
  signal?: AbortSignal;
}

/** The settings in effect: explicit options, else env, else the defaults. */
export interface TemplateSettings {
  /** The S3 endpoint the templates come from (TemplateFlow's public bucket by default). */
  endpoint: string;
  /** The bucket holding `tpl-*` folders. */
  bucket: string;
  /** Where fetched templates are cached (TemplateFlow's own folder layout). */
  cacheDir: string;
}

/**
 * The endpoint, bucket and cache folder {@linkcode fetchTemplate} uses.
 *
 * @throws {PermissionMissingError} naming `--allow-env=...` when a variable that decides them may not be read
 * @example
 * ```ts
 * import { templateSettings } from "@laion/fmri/templates";
 * console.log(templateSettings().cacheDir);
 * ```
 */
export function templateSettings(options: TemplateOptions = {}): TemplateSettings {
  const names = [
    ...(options.endpoint === undefined && !options.source ? [TEMPLATEFLOW_ENDPOINT_ENV] : []),
    ...(options.bucket === undefined && !options.source ? [TEMPLATEFLOW_BUCKET_ENV] : []),
    ...(options.cacheDir === undefined ? ["TEMPLATEFLOW_HOME", "HOME"] : []),
  ];
  const env: Record<string, string | undefined> = names.length
    ? readSettingsEnv(names, "find the TemplateFlow bucket and its cache folder")
    : {};
  let cacheDir = options.cacheDir ?? env.TEMPLATEFLOW_HOME;
  if (!cacheDir) {
    if (!env.HOME) {
      throw new RangeError(
        "No cache folder for TemplateFlow files: HOME is not set. Pass `cacheDir` or set TEMPLATEFLOW_HOME.",
      );
    }
    cacheDir = join(env.HOME, ".cache", "laion-fmri", "templateflow");
  }
  return {
    endpoint: (options.source ? "" : options.endpoint ?? env[TEMPLATEFLOW_ENDPOINT_ENV]) ||
      TEMPLATEFLOW_ENDPOINT,
    bucket: options.bucket ?? (env[TEMPLATEFLOW_BUCKET_ENV] || TEMPLATEFLOW_BUCKET),
    cacheDir,
  };
}

const sources = new Map<string, S3Source>();

/**
 * The S3 source of a TemplateFlow endpoint and bucket (one per process; its
 * `stats` count the requests sent).
 *
 * @example
 * ```ts
 * import { TEMPLATEFLOW_BUCKET, TEMPLATEFLOW_ENDPOINT, templateSource } from "@laion/fmri/templates";
 * console.log(templateSource(TEMPLATEFLOW_ENDPOINT, TEMPLATEFLOW_BUCKET).stats.get);
 * ```
 */
export function templateSource(endpoint: string, bucket: string): S3Source {
  const id = `${endpoint}\u0000${bucket}`;
  let s = sources.get(id);
  if (!s) {
    s = new S3Source({ endpoint, bucket, region: "us-east-1" });
    sources.set(id, s);
  }
  return s;
}

/** In-process memo: path -> `${size}/${mtime}` of a file checked against its recorded MD5. */
const checked = new Map<string, string>();
/** Fetches in flight, shared by concurrent callers; a later call re-checks the file on disk. */
const inFlight = new Map<string, Promise<string>>();

/**
 * True when the cached file's bytes hash to the MD5 recorded when it was
 * fetched (no request; memoized per process by size and mtime).
 */
async function cachedAndIntact(
  cacheDir: string,
  key: string,
  path: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) return false;
  const stamp = `${info.size}/${info.mtime?.getTime()}`;
  if (checked.get(path) === stamp) return true;
  // the download manifest, read without opening it for writing (a read-only cache works)
  const manifestPath = join(cacheDir, STATE_DIR, "manifest.json");
  let recorded: { md5?: Record<string, unknown> } = {};
  try {
    recorded = JSON.parse(await Deno.readTextFile(manifestPath));
  } catch (e) {
    if (isPermissionError(e)) throw e;
    return false; // missing or damaged: fetch (and record) again
  }
  const md5 = recorded?.md5?.[key];
  const want = typeof md5 === "string" ? md5 : undefined;
  if (!want) return false;
  const got = (await md5File(path, info.size, signal)).digest("hex");
  if (got !== want) return false;
  checked.set(path, stamp);
  return true;
}

/**
 * The local path of a TemplateFlow file, fetched into the cache folder when
 * missing, truncated or corrupt (verified against the object's size and
 * ETag; a partial file from an interrupted fetch is resumed). A cached file
 * whose MD5 matches the one recorded at fetch time costs no request; a file
 * at the path with no recorded MD5 is used unverified (with a warning) when
 * the bucket cannot be asked.
 *
 * @param what a bucket key (`tpl-MNI305/tpl-MNI305_T1w.nii.gz`) or a {@linkcode TemplateQuery}
 * @throws {TemplateUnavailableError} when the file cannot be fetched (offline, missing, denied), naming the template, its URL and the fix
 * @throws {PermissionMissingError} naming the flag (`--allow-net=...`, `--allow-write=...`, `--allow-env=...`)
 * @example
 * ```ts
 * import { fetchTemplate } from "@laion/fmri/templates";
 * const path = await fetchTemplate("tpl-MNI305/tpl-MNI305_T1w.nii.gz");
 * ```
 */
export async function fetchTemplate(
  what: string | TemplateQuery,
  options: TemplateOptions = {},
): Promise<string> {
  const key = typeof what === "string" ? what : templateKey(what);
  if (!/^tpl-[A-Za-z0-9]+\/[^/].*[^/]$/.test(key) || key.includes("..")) {
    throw new RangeError(
      `${JSON.stringify(key)} is not a TemplateFlow key; keys look like ` +
        `"tpl-fsaverage/tpl-fsaverage_hemi-L_den-10k_sphere.surf.gii" (see templateKey()).`,
    );
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const settings = templateSettings(options);
  const path = join(settings.cacheDir, ...key.split("/"));
  // a cached file needs only read access (a shared, read-only TEMPLATEFLOW_HOME works)
  requirePermissions(`read the TemplateFlow cache ${settings.cacheDir}`, [
    { name: "read", path: settings.cacheDir },
  ]);
  const id = `${settings.cacheDir}\u0000${key}`;
  let work = inFlight.get(id);
  if (!work) {
    work = (async () => {
      try {
        if (await cachedAndIntact(settings.cacheDir, key, path)) return path;
      } catch (e) {
        if (isPermissionError(e)) {
          throw permissionFor(
            e,
            `read the TemplateFlow cache ${settings.cacheDir}`,
            flagFor(e, `--allow-read=${settings.cacheDir}`),
          );
        }
        throw e;
      }
      return await fetchInto(key, path, settings, options.source);
    })().finally(() => inFlight.delete(id));
    inFlight.set(id, work);
  }
  // the work runs without the caller's signal: one caller's abort never fails another's
  return await abortable(work, signal);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function permissionFor(e: unknown, what: string, flag: string): Error {
  return e instanceof PermissionMissingError
    ? e
    : new PermissionMissingError(what, flag, { cause: e });
}

async function fetchInto(
  key: string,
  path: string,
  settings: TemplateSettings,
  given?: BucketSource,
): Promise<string> {
  const source = given ?? templateSource(settings.endpoint, settings.bucket);
  const url = `${settings.endpoint.replace(/\/+$/, "")}/${settings.bucket}/${key}`;
  const unavailable = (reason: string, cause: unknown) =>
    new TemplateUnavailableError(key, url, path, reason, { cause });
  let head;
  try {
    head = await source.head(key);
  } catch (e) {
    if (e instanceof PermissionMissingError) throw e;
    if (isPermissionError(e)) {
      const flag = source instanceof S3Source
        ? source.netPermission
        : `--allow-net=${new URL(settings.endpoint).host}`;
      throw permissionFor(e, `fetch ${url}`, flag);
    }
    const reason = e instanceof EndpointUnreachableError
      ? "the endpoint cannot be reached"
      : e instanceof AccessDeniedError
      ? "access is denied"
      : e instanceof NoSuchBucketError
      ? `there is no bucket "${settings.bucket}" at ${settings.endpoint} (set ` +
        `${TEMPLATEFLOW_BUCKET_ENV} or the \`bucket\` option; TemplateFlow's is "${TEMPLATEFLOW_BUCKET}")`
      : isMissingObject(e)
      ? "the bucket has no such file"
      : (e as Error).message ?? String(e);
    // a file we did not fetch (the Python client's, one copied in by hand)
    // is used as it is when the bucket cannot vouch for or replace it
    if (await isFile(path)) {
      warn(
        `using ${path} unverified: ${reason} (${url}), so it cannot be checked against the bucket`,
      );
      return path;
    }
    throw unavailable(reason, e);
  }
  requirePermissions(`write ${key} into the TemplateFlow cache ${settings.cacheDir}`, [
    { name: "write", path: settings.cacheDir },
  ]);
  let summary;
  try {
    summary = await transferFiles(
      source,
      settings.cacheDir,
      [{ key, size: head.size, etag: head.etag, path }],
      { verify: true, concurrency: 1 },
    );
  } catch (e) {
    if (e instanceof PermissionMissingError) throw e;
    if (isPermissionError(e)) {
      throw permissionFor(
        e,
        `write the TemplateFlow cache ${settings.cacheDir}`,
        `--allow-write=${settings.cacheDir}`,
      );
    }
    throw e;
  }
  if (summary.accessDenied.length) throw unavailable("access is denied", undefined);
  if (summary.failures.length) throw unavailable(summary.failures[0].error, undefined);
  checked.delete(path);
  return path;
}

/** An fsaverage surface: vertex coordinates and triangles, with its cached path. */
export interface FsaverageMesh {
  /** x y z interleaved, mm. */
  vertices: Float32Array;
  /** Triangles (vertex indices, 3 per face). */
  faces: Uint32Array | Int32Array;
  /** Vertices per hemisphere. */
  nVertices: number;
  /** The cached `.surf.gii`. */
  path: string;
}

/**
 * An fsaverage surface from TemplateFlow (default: the sphere upstream
 * resamples onto), fetched and cached by {@linkcode fetchTemplate}.
 *
 * @param density `"fsaverage5"`, `"fsaverage6"`, `"fsaverage7"` or `"fsaverage"` (164k)
 * @example
 * ```ts
 * import { fsaverageMesh } from "@laion/fmri/templates";
 * const sphere = await fsaverageMesh("L", "fsaverage5");
 * console.log(sphere.nVertices); // 10242
 * ```
 */
export async function fsaverageMesh(
  hemi: "L" | "R",
  density: FsaverageDensity | string = "fsaverage5",
  surface: FsaverageSurface = "sphere",
  options: TemplateOptions = {},
): Promise<FsaverageMesh> {
  if (hemi !== "L" && hemi !== "R") throw new InvalidChoiceError("hemi", hemi, ["L", "R"]);
  if (!(FSAVERAGE_SURFACES as readonly string[]).includes(surface)) {
    throw new InvalidChoiceError("fsaverage surface", surface, FSAVERAGE_SURFACES);
  }
  const den = fsaverageDensity(density);
  const path = await fetchTemplate(
    { template: "fsaverage", hemi, density: den, suffix: surface, extension: ".surf.gii" },
    options,
  );
  const mesh = await readGiftiSurface(path, { signal: options.signal });
  const nVertices = mesh.vertices.length / 3;
  if (nVertices !== FSAVERAGE_VERTICES[den]) {
    throw new TemplateUnavailableError(
      templateKey({
        template: "fsaverage",
        hemi,
        density: den,
        suffix: surface,
        extension: ".surf.gii",
      }),
      "",
      path,
      `it has ${nVertices} vertices, fsaverage den-${den} has ${FSAVERAGE_VERTICES[den]}`,
    );
  }
  return { vertices: mesh.vertices, faces: mesh.faces, nVertices, path };
}

/** TemplateFlow's MNI305 T1w (172 x 220 x 156, 1 mm), upstream's MNI305 reference grid. */
export const MNI305_T1W_KEY = "tpl-MNI305/tpl-MNI305_T1w.nii.gz";

/**
 * The path of TemplateFlow's `tpl-MNI305_T1w.nii.gz`, fetched and cached.
 *
 * @example
 * ```ts
 * import { mni305Template } from "@laion/fmri/templates";
 * const path = await mni305Template();
 * ```
 */
export function mni305Template(options: TemplateOptions = {}): Promise<string> {
  return fetchTemplate(MNI305_T1W_KEY, options);
}
