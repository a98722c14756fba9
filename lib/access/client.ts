/**
 * The client of the stimulus access service (upstream's `_stimulus_access`):
 * JSON over HTTP(S) to `{base}/api/v1/...`, with upstream's status mapping
 * to typed errors. The gated stimulus images are only reachable through the
 * presigned URLs this service hands out.
 * @module
 */
import {
  AccessNotFoundError,
  AccessRevokedError,
  AccessServiceError,
  PermissionMissingError,
  TermsOutdatedError,
} from "../core/errors.ts";
import { flagFor, isPermissionError, readSettingsEnv } from "../core/permissions.ts";
import { fieldsOf422, formError } from "./form.ts";
import {
  type AccessForm,
  type AccessGrant,
  formToWire,
  grantFromWire,
  manifestFromWire,
  type StimulusManifest,
  type WireGrant,
  type WireManifest,
} from "./types.ts";

export type {
  AccessForm,
  AccessGrant,
  GrantedFile,
  ManifestFile,
  StimulusManifest,
} from "./types.ts";

/**
 * The production access service.
 *
 * @example
 * ```ts
 * import { DEFAULT_ACCESS_URL } from "@laion/fmri/access";
 * console.log(`${DEFAULT_ACCESS_URL}/terms`);
 * ```
 */
export const DEFAULT_ACCESS_URL = "https://laion-fmri.hebartlab.com";

/** The variable that points the client at another access service. */
export const ACCESS_URL_ENV = "LAION_FMRI_ACCESS_URL";

/** Seconds a JSON call may take (upstream: 30 s). */
const JSON_TIMEOUT_MS = 30_000;

/**
 * The options every call to the service takes.
 *
 * @example
 * ```ts
 * import { type AccessClientOptions, fetchManifest } from "@laion/fmri/access";
 * const o: AccessClientOptions = { serverUrl: "https://laion-fmri.hebartlab.com" };
 * await fetchManifest(o);
 * ```
 */
export interface AccessClientOptions {
  /** Base URL of the service. @default `$LAION_FMRI_ACCESS_URL`, else https://laion-fmri.hebartlab.com */
  serverUrl?: string;
  /** Milliseconds a call may take. @default 30000 */
  timeoutMs?: number;
  /** Stops the call. */
  signal?: AbortSignal;
  /** The `fetch` to use (tests of transports that real HTTP cannot produce). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * The base URL in use: `serverUrl`, else `$LAION_FMRI_ACCESS_URL`, else the
 * production service; without a trailing slash.
 *
 * @example
 * ```ts
 * import { accessServiceUrl } from "@laion/fmri/access";
 * accessServiceUrl("https://laion-fmri.hebartlab.com/"); // "https://laion-fmri.hebartlab.com"
 * ```
 */
export function accessServiceUrl(serverUrl?: string): string {
  const url = serverUrl ||
    readSettingsEnv([ACCESS_URL_ENV], "choose the stimulus access service")[ACCESS_URL_ENV] ||
    DEFAULT_ACCESS_URL;
  return url.replace(/\/+$/, "");
}

function detailText(detail: unknown): string {
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}

/**
 * Maps an error answer to upstream's typed errors: 403 `terms_outdated` →
 * {@linkcode TermsOutdatedError} (accept URL from the answer, else
 * `{base}/terms/accept` of the base in use), 403 mentioning "revoked" →
 * {@linkcode AccessRevokedError}, 404 → {@linkcode AccessNotFoundError},
 * 422 with FastAPI's list of refused fields → `AccessFormError`
 * (each field with the service's message), 429 → rate limit, else
 * `HTTP {status}: {detail}`.
 *
 * @example
 * ```ts
 * import { accessErrorFor } from "./client.ts";
 * accessErrorFor(404, '{"detail":"unknown request_id"}', "https://laion-fmri.hebartlab.com").message;
 * ```
 */
export function accessErrorFor(status: number, body: string, base: string): AccessServiceError {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    data = { detail: body };
  }
  const detail = data !== null && typeof data === "object" && "detail" in data
    ? (data as { detail: unknown }).detail
    : data;
  const d = (detail ?? {}) as Record<string, unknown>;
  if (status === 403 && typeof detail === "object" && d.error === "terms_outdated") {
    return new TermsOutdatedError(
      typeof d.accept_url === "string" && d.accept_url ? d.accept_url : `${base}/terms/accept`,
      typeof d.current_terms_version === "string" && d.current_terms_version
        ? d.current_terms_version
        : "?",
    );
  }
  const text = detailText(detail);
  const fields = status === 422 ? fieldsOf422(detail) : undefined;
  if (fields) {
    // FastAPI's validation answer: each refused field with the service's message.
    return formError(fields, {}, { via: "api", base, status });
  }
  if (status === 403 && text.toLowerCase().includes("revoked")) return new AccessRevokedError(text);
  if (status === 404) return new AccessNotFoundError(text);
  if (status === 429) return new AccessServiceError(`Rate limit exceeded: ${text}`, { status });
  return new AccessServiceError(`HTTP ${status}: ${text}`, { status });
}

/**
 * One JSON call: `Accept: application/json`, a JSON body when given, the
 * timeout, and the status mapping of {@linkcode accessErrorFor}.
 *
 * @throws {AccessServiceError} (or a subclass) for an error status or no answer
 */
export async function requestJson<T>(
  path: string,
  body: unknown,
  options: AccessClientOptions = {},
): Promise<T> {
  const base = accessServiceUrl(options.serverUrl);
  const url = `${base}${path}`;
  options.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? JSON_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  let text: string;
  try {
    res = await (options.fetch ?? fetch)(url, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    text = await res.text();
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason ?? e;
    if (isPermissionError(e)) {
      const flag = flagFor(e, `--allow-net=${new URL(url).host}`);
      throw new PermissionMissingError("reach the stimulus access service", flag, { cause: e });
    }
    const reason = timeout.aborted
      ? `no answer within ${options.timeoutMs ?? JSON_TIMEOUT_MS} ms`
      : (e as Error).message;
    throw new AccessServiceError(`Could not reach the access service at ${url}: ${reason}`, {
      cause: e,
    });
  }
  if (!res.ok) throw accessErrorFor(res.status, text, base);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new AccessServiceError(
      `The access service at ${url} answered HTTP ${res.status} with a body that is not JSON: ` +
        `${text.slice(0, 120)}`,
      { cause: e, status: res.status },
    );
  }
}

/**
 * The public manifest: the current terms version and each gated file's
 * name, size and SHA-256 (upstream's `fetch_manifest`).
 *
 * @throws {AccessServiceError} when the service cannot be reached or refuses
 * @example
 * ```ts
 * import { fetchManifest } from "@laion/fmri/access";
 * const manifest = await fetchManifest(); // the real service, or $LAION_FMRI_ACCESS_URL
 * console.log(manifest.files);
 * ```
 */
export async function fetchManifest(
  options: AccessClientOptions = {},
): Promise<StimulusManifest> {
  return manifestFromWire(await requestJson<WireManifest>("/api/v1/manifest", undefined, options));
}

/**
 * The version of the Terms of Use in force (upstream's `current_terms_version`).
 *
 * @throws {AccessServiceError} when the service cannot be reached or refuses
 * @example
 * ```ts
 * import { currentTermsVersion } from "@laion/fmri/access";
 * console.log(await currentTermsVersion());
 * ```
 */
export async function currentTermsVersion(options: AccessClientOptions = {}): Promise<string> {
  return (await fetchManifest(options)).currentTermsVersion;
}

/**
 * Submits the access form; the answer holds the request id and presigned
 * URLs (upstream's `submit_access_request`).
 *
 * @throws {TermsOutdatedError} when `form.termsVersion` is not the current one
 * @throws {AccessServiceError} for any other refusal, or no answer
 * @example
 * ```ts
 * import { type AccessForm, submitAccessRequest } from "@laion/fmri/access";
 * declare const form: AccessForm;
 * const grant = await submitAccessRequest(form);
 * console.log(grant.requestId);
 * ```
 */
export async function submitAccessRequest(
  form: AccessForm,
  options: AccessClientOptions = {},
): Promise<AccessGrant> {
  return grantFromWire(
    await requestJson<WireGrant>("/api/v1/access/request", formToWire(form), options),
  );
}

/**
 * Fresh presigned URLs for a known request id (upstream's `refresh_urls`).
 *
 * @throws {AccessNotFoundError} when the service does not know the id
 * @throws {AccessRevokedError} when the id was revoked
 * @throws {AccessServiceError} for any other refusal, or no answer
 * @example
 * ```ts
 * import { refreshUrls } from "@laion/fmri/access";
 * const grant = await refreshUrls("my-request-id", { datasetVersion: "v1" });
 * ```
 */
export async function refreshUrls(
  requestId: string,
  options: AccessClientOptions & {
    /** The dataset version. @default "v1" */ datasetVersion?: string;
  } = {},
): Promise<AccessGrant> {
  return grantFromWire(
    await requestJson<WireGrant>(
      "/api/v1/refresh",
      { request_id: requestId, dataset_version: options.datasetVersion ?? "v1" },
      options,
    ),
  );
}
