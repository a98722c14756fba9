/**
 * The shapes of the access service's contract: the camelCase objects the
 * client takes and returns, and (internal, `Wire*`) the snake_case JSON as it
 * travels, with the conversions between them.
 * @module
 */

/**
 * One file of the public manifest.
 *
 * @example
 * ```ts
 * import type { ManifestFile } from "@laion/fmri/access";
 * const f: ManifestFile = { name: "task-images_metadata.csv", size: 10, sha256: "ab".repeat(32) };
 * ```
 */
export interface ManifestFile {
  /** File name, e.g. `task-images_stimuli.h5`. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256, lower-case hex. */
  sha256: string;
}

/**
 * The public manifest (`GET /api/v1/manifest`).
 *
 * @example
 * ```ts
 * import { fetchManifest, type StimulusManifest } from "@laion/fmri/access";
 * const m: StimulusManifest = await fetchManifest();
 * console.log(m.currentTermsVersion, m.files.map((f) => f.name));
 * ```
 */
export interface StimulusManifest {
  /** The dataset, `"laion-fmri"`. */
  dataset: string;
  /** The Terms of Use version a request must accept, e.g. `"2026-05-11"` (`current_terms_version`). */
  currentTermsVersion: string;
  /** Dataset versions served, e.g. `["v1"]`. */
  versions: string[];
  /** The gated files with their size and sha256. */
  files: ManifestFile[];
}

/**
 * One presigned file of an access grant.
 *
 * @example
 * ```ts
 * import { downloadFile, type GrantedFile } from "@laion/fmri/access";
 * declare const f: GrantedFile;
 * await downloadFile(f.url, `/data/stimuli/${f.name}`, { expectedSize: f.size, expectedSha256: f.sha256 });
 * ```
 */
export interface GrantedFile extends ManifestFile {
  /** Presigned GET URL (valid until the grant's `expiresAt`). */
  url: string;
}

/**
 * An access grant: presigned URLs and when they expire
 * (`POST /api/v1/access/request` also returns the request id).
 *
 * @example
 * ```ts
 * import { type AccessGrant, refreshUrls } from "@laion/fmri/access";
 * const g: AccessGrant = await refreshUrls("my-request-id");
 * console.log(g.expiresAt, g.files[0].url);
 * ```
 */
export interface AccessGrant {
  /** The request id (`request_id`; on a new request, refresh keeps the cached one). */
  requestId?: string;
  /** When the URLs expire (ISO 8601; `expires_at`). */
  expiresAt: string;
  /** The files with their presigned URLs. */
  files: GrantedFile[];
}

/**
 * The access form (upstream's payload; sent with the service's snake_case
 * field names, e.g. `researchPurpose` as `research_purpose`).
 *
 * @example
 * ```ts
 * import type { AccessForm } from "@laion/fmri/access";
 * // Built by requestStimulusAccess from the person's own answers.
 * declare const form: AccessForm;
 * console.log(form.termsVersion, form.researchPurpose.length);
 * ```
 */
export interface AccessForm {
  /** Full name. */
  name: string;
  /** Institutional email. */
  email: string;
  /** Institution / affiliation. */
  institution: string;
  /** PI or supervisor, or null. */
  piOrSupervisor: string | null;
  /** What the images will be used for. */
  researchPurpose: string;
  /** The Terms of Use are accepted. */
  acceptedTerms: boolean;
  /** The privacy notice was read. */
  acknowledgedPrivacy: boolean;
  /** The terms version accepted. */
  termsVersion: string;
  /** Where the request comes from (`"cli"`). */
  source: string;
}

/** {@linkcode StimulusManifest} as the service sends it. */
export interface WireManifest {
  dataset: string;
  current_terms_version: string;
  versions: string[];
  files: ManifestFile[];
}

/** {@linkcode AccessGrant} as the service sends it. */
export interface WireGrant {
  request_id?: string;
  expires_at: string;
  files: GrantedFile[];
}

/** {@linkcode AccessForm} as the service takes it. */
export interface WireForm {
  name: string;
  email: string;
  institution: string;
  pi_or_supervisor: string | null;
  research_purpose: string;
  accepted_terms: boolean;
  acknowledged_privacy: boolean;
  terms_version: string;
  source: string;
}

/** The manifest as returned to callers (camelCase). */
export function manifestFromWire(w: WireManifest): StimulusManifest {
  return {
    dataset: w.dataset,
    currentTermsVersion: w.current_terms_version,
    versions: w.versions,
    files: w.files,
  };
}

/** A grant as returned to callers (camelCase); no `requestId` key when the service sent none. */
export function grantFromWire(w: WireGrant): AccessGrant {
  return {
    ...(w.request_id === undefined ? {} : { requestId: w.request_id }),
    expiresAt: w.expires_at,
    files: w.files,
  };
}

/** The form as the service takes it (snake_case). */
export function formToWire(f: AccessForm): WireForm {
  return {
    name: f.name,
    email: f.email,
    institution: f.institution,
    pi_or_supervisor: f.piOrSupervisor,
    research_purpose: f.researchPurpose,
    accepted_terms: f.acceptedTerms,
    acknowledged_privacy: f.acknowledgedPrivacy,
    terms_version: f.termsVersion,
    source: f.source,
  };
}
