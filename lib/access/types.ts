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
 * import type { ManifestFile } from "@laion/fmri";
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
 * import { fetchManifest, type StimulusManifest } from "@laion/fmri";
 * const m: StimulusManifest = await fetchManifest();
 * console.log(m.current_terms_version, m.files.map((f) => f.name));
 * ```
 */
export interface StimulusManifest {
  dataset: string;
  current_terms_version: string;
  versions: string[];
  files: ManifestFile[];
}

/**
 * One presigned file of an access grant.
 *
 * @example
 * ```ts
 * import { type GrantedFile, downloadFile } from "@laion/fmri";
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
 * import { type AccessGrant, refreshUrls } from "@laion/fmri";
 * const g: AccessGrant = await refreshUrls("my-request-id");
 * console.log(g.expires_at, g.files[0].url);
 * ```
 */
export interface AccessGrant {
  request_id?: string;
  expires_at: string;
  files: GrantedFile[];
}

/**
 * The access form (upstream's payload, field names as the service takes them).
 *
 * @example
 * ```ts
 * import type { AccessForm } from "@laion/fmri";
 * const form: AccessForm = {
 *   name: "Ada Lovelace", email: "ada@uni.example", institution: "Uni",
 *   pi_or_supervisor: null, research_purpose: "Encoding models of visual cortex.",
 *   accepted_terms: true, acknowledged_privacy: true, terms_version: "2026-05-11", source: "cli",
 * };
 * ```
 */
export interface AccessForm {
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
