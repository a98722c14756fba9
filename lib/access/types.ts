/**
 * The JSON shapes of the access service's contract (upstream's field
 * names, snake_case, as they travel).
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
 * console.log(m.current_terms_version, m.files.map((f) => f.name));
 * ```
 */
export interface StimulusManifest {
  /** The dataset, `"laion-fmri"`. */
  dataset: string;
  /** The Terms of Use version a request must accept, e.g. `"2026-05-11"`. */
  current_terms_version: string;
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
  /** Presigned GET URL (valid until the grant's `expires_at`). */
  url: string;
}

/**
 * An access grant: presigned URLs and when they expire
 * (`POST /api/v1/access/request` also returns the `request_id`).
 *
 * @example
 * ```ts
 * import { type AccessGrant, refreshUrls } from "@laion/fmri/access";
 * const g: AccessGrant = await refreshUrls("my-request-id");
 * console.log(g.expires_at, g.files[0].url);
 * ```
 */
export interface AccessGrant {
  /** The request id (on a new request; refresh keeps the cached one). */
  request_id?: string;
  /** When the URLs expire (ISO 8601). */
  expires_at: string;
  /** The files with their presigned URLs. */
  files: GrantedFile[];
}

/**
 * The access form (upstream's payload, field names as the service takes them).
 *
 * @example
 * ```ts
 * import type { AccessForm } from "@laion/fmri/access";
 * // Built by requestStimulusAccess from the person's own answers.
 * declare const form: AccessForm;
 * console.log(form.terms_version, form.research_purpose.length);
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
  pi_or_supervisor: string | null;
  /** What the images will be used for. */
  research_purpose: string;
  /** The Terms of Use are accepted. */
  accepted_terms: boolean;
  /** The privacy notice was read. */
  acknowledged_privacy: boolean;
  /** The terms version accepted. */
  terms_version: string;
  /** Where the request comes from (`"cli"`). */
  source: string;
}
