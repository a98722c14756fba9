/**
 * Registers a request on the local stimulus access service and prints its id,
 * for offline runs: the `:offline` tasks hand it to examples and notebooks in
 * `LAION_FMRI_REQUEST_ID` (through `LAION_FMRI_REGISTER_REQUEST=1 bash
 * scripts/with_local_s3.sh ...`), so nobody's access form is filled in by a
 * program. The form is the offline world's own, marked as such.
 *
 *   deno run --allow-net=127.0.0.1 scripts/register_request.ts http://127.0.0.1:PORT
 * @module
 */

/** The offline world's own request (a reserved `.invalid` address: no person). */
export const OFFLINE_REQUEST = {
  name: "Offline synthetic world",
  email: "offline@laion-fmri.invalid",
  institution: "local access service",
  researchPurpose: "Offline run of the examples against the local synthetic access service.",
};

/** `form` as the service takes it (upstream's snake_case payload). */
export function payloadOf(form: typeof OFFLINE_REQUEST, termsVersion: string) {
  return {
    name: form.name,
    email: form.email,
    institution: form.institution,
    pi_or_supervisor: null,
    research_purpose: form.researchPurpose,
    accepted_terms: true,
    acknowledged_privacy: true,
    terms_version: termsVersion,
    source: "cli",
  };
}

/**
 * Files `form` on the service at `serverUrl` (the current terms version, from
 * its manifest) and returns the request id.
 *
 * @example
 * ```ts
 * import { registerRequest } from "./register_request.ts";
 * const id = await registerRequest("http://127.0.0.1:8099");
 * ```
 */
export async function registerRequest(
  serverUrl: string,
  form: typeof OFFLINE_REQUEST = OFFLINE_REQUEST,
): Promise<string> {
  const base = serverUrl.replace(/\/+$/, "");
  const manifest = await (await fetch(`${base}/api/v1/manifest`)).json();
  const res = await fetch(`${base}/api/v1/access/request`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payloadOf(form, manifest.current_terms_version)),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`registering a request: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.request_id;
}

if (import.meta.main) {
  const url = Deno.args[0];
  if (!url) throw new Error("usage: register_request.ts ACCESS_SERVICE_URL");
  console.log(await registerRequest(url));
}
