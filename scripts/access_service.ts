/**
 * A local implementation of the stimulus access service's HTTP contract
 * (upstream's `laion-fmri.hebartlab.com`), on loopback, in front of the
 * local RGW:
 *
 * - `GET  /api/v1/manifest` — the gated files' names, sizes and SHA-256
 *   (read from the bucket; hashes cached by ETag), the terms version;
 * - `POST /api/v1/access/request` — validates the form by the service's rules
 *   (a name, a valid email, a purpose of 20+ characters, terms accepted;
 *   422 with FastAPI/pydantic v2 details: `type`, `loc`, `msg`, `input`,
 *   `ctx`), 403 `terms_outdated` for a stale `terms_version`, issues a
 *   `request_id` and presigned GET URLs (SigV4, seed credentials) to the
 *   S3 endpoint it was given;
 * - `POST /api/v1/refresh` — fresh URLs for a known id: 404 unknown, 403
 *   revoked, 403 `terms_outdated` when the terms changed since it was issued;
 * - 429 past `rateLimit` API calls per minute;
 * - `/terms`, `/terms/accept`, `/privacy`, `/takedown` — short text pages;
 * - admin (loopback tests): `POST /admin/revoke {request_id}`,
 *   `POST /admin/terms {version}`, `GET /admin/stats` (requests per route).
 *
 *   deno run --allow-net=127.0.0.1 --allow-env --allow-read scripts/access_service.ts \
 *     --endpoint http://127.0.0.1:7480 [--bucket laion-fmri-current] [--port 0] [--expires 3600]
 *
 * prints its base URL on stdout, then serves until killed.
 * @module
 */
import { createHash } from "node:crypto";
import { presignUrl } from "./presign.ts";
import { CURRENT_BUCKET, SEED_ACCESS_KEY, SEED_SECRET_KEY } from "./seed.ts";

/** The gated files the service presigns: manifest name → bucket key. */
export const SERVED_FILES = {
  "task-images_stimuli.h5": "stimuli/task-images_stimuli.h5",
  "task-images_metadata.csv": "stimuli/task-images_metadata.csv",
} as const;

/** Options of {@linkcode startAccessService}. */
export interface AccessServiceOptions {
  /** The S3 endpoint the URLs point at (the local RGW). */
  endpoint: string;
  /** @default "laion-fmri-current" */
  bucket?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Seconds a presigned URL is valid. @default 3600 */
  expiresIn?: number;
  /** The current terms version. @default "2026-05-11" */
  termsVersion?: string;
  /** Dataset versions refresh accepts. @default ["v1"] */
  versions?: string[];
  /** Serve the URLs from this origin instead (a proxy in front of the RGW); signed for `endpoint`. */
  urlOrigin?: string;
  /** API calls per minute (all clients together) before 429. @default 600 */
  rateLimit?: number;
  /**
   * The shortest research purpose accepted (tests of a service stricter than
   * the client, whose 422 the client must map to the field). @default 20
   */
  minPurposeLength?: number;
}

/** A running service. */
export interface AccessService {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  url: string;
  /** Requests answered, by `METHOD /path`. */
  requests: Record<string, number>;
  /** Marks a request id revoked. */
  revoke(requestId: string): void;
  /** Changes the current terms version. */
  setTermsVersion(version: string): void;
  /** Stops the server. */
  close(): Promise<void>;
}

interface Grant {
  email: string;
  termsVersion: string;
  revoked: boolean;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** One error of FastAPI's 422 answer, as pydantic v2 reports it. */
interface ValidationError {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** The email shape the service accepts (a stand-in for pydantic's EmailStr). */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * The 422 details of a form, as the real service (FastAPI + pydantic v2)
 * returns them, or none when it is valid. Its rules: a name, a valid email,
 * a research purpose of at least 20 characters, the terms accepted and the
 * privacy notice acknowledged, a terms version; institution and PI are
 * optional strings.
 */
function formErrors(f: Record<string, unknown>, minPurpose = 20): ValidationError[] {
  const errs: ValidationError[] = [];
  const str = (k: string, min: number | undefined) => {
    const v = f[k];
    if (v === undefined) {
      errs.push({ type: "missing", loc: ["body", k], msg: "Field required", input: f });
    } else if (typeof v !== "string") {
      errs.push({
        type: "string_type",
        loc: ["body", k],
        msg: "Input should be a valid string",
        input: v,
      });
    } else if (min !== undefined && v.trim().length < min) {
      errs.push({
        type: "string_too_short",
        loc: ["body", k],
        msg: `String should have at least ${min} character${min === 1 ? "" : "s"}`,
        input: v,
        ctx: { min_length: min },
      });
    } else return v;
    return undefined;
  };
  str("name", 1);
  const email = str("email", undefined);
  if (email !== undefined && !EMAIL.test(email)) {
    const reason = email.includes("@")
      ? "The part after the @-sign is not valid."
      : "An email address must have an @-sign.";
    errs.push({
      type: "value_error",
      loc: ["body", "email"],
      msg: `value is not a valid email address: ${reason}`,
      input: email,
      ctx: { reason },
    });
  }
  if (f.institution !== undefined && f.institution !== null) str("institution", undefined);
  if (f.pi_or_supervisor !== undefined && f.pi_or_supervisor !== null) {
    str("pi_or_supervisor", undefined);
  }
  str("research_purpose", minPurpose);
  for (const k of ["accepted_terms", "acknowledged_privacy"]) {
    if (f[k] !== true) {
      errs.push({
        type: f[k] === undefined ? "missing" : "literal_error",
        loc: ["body", k],
        msg: f[k] === undefined ? "Field required" : "Input should be True",
        input: f[k] === undefined ? f : f[k],
        ...(f[k] === undefined ? {} : { ctx: { expected: "True" } }),
      });
    }
  }
  str("terms_version", 1);
  return errs;
}

/**
 * Starts the service on 127.0.0.1.
 *
 * @example
 * ```ts
 * const svc = startAccessService({ endpoint: "http://127.0.0.1:7480", bucket: "laion-fmri-current" });
 * console.log(svc.url);
 * await svc.close();
 * ```
 */
export function startAccessService(o: AccessServiceOptions): AccessService {
  const bucket = o.bucket ?? CURRENT_BUCKET;
  const endpoint = o.endpoint.replace(/\/+$/, "");
  const expiresIn = o.expiresIn ?? 3600;
  const versions = o.versions ?? ["v1"];
  const rateLimit = o.rateLimit ?? 600;
  let termsVersion = o.termsVersion ?? "2026-05-11";
  const grants = new Map<string, Grant>();
  const hashes = new Map<string, string>(); // `${key}\0${etag}` → sha256
  const requests: Record<string, number> = {};
  let window: number[] = [];
  let base = "";

  const sign = (key: string, method = "GET", expires = expiresIn) =>
    presignUrl({
      endpoint,
      bucket,
      key,
      method,
      expiresIn: expires,
      accessKeyId: SEED_ACCESS_KEY,
      secretAccessKey: SEED_SECRET_KEY,
    });

  /** Name, size and SHA-256 of each served file present in the bucket. */
  async function manifestFiles() {
    const files: { name: string; size: number; sha256: string }[] = [];
    for (const [name, key] of Object.entries(SERVED_FILES)) {
      const head = await fetch(await sign(key, "HEAD", 60), { method: "HEAD" });
      if (head.status === 404) continue;
      if (!head.ok) throw new Error(`HEAD s3://${bucket}/${key} answered ${head.status}`);
      const size = Number(head.headers.get("content-length"));
      const id = `${key}\0${head.headers.get("etag")}`;
      let sha = hashes.get(id);
      if (sha === undefined) {
        const res = await fetch(await sign(key, "GET", 60));
        if (!res.ok || !res.body) throw new Error(`GET s3://${bucket}/${key}: ${res.status}`);
        const h = createHash("sha256");
        for await (const chunk of res.body) h.update(chunk);
        sha = h.digest("hex");
        hashes.set(id, sha);
      }
      files.push({ name, size, sha256: sha });
    }
    return files;
  }

  async function grantFiles() {
    const files = await manifestFiles();
    const out = [];
    for (const f of files) {
      let url = await sign(SERVED_FILES[f.name as keyof typeof SERVED_FILES]);
      if (o.urlOrigin) {
        url = o.urlOrigin.replace(/\/+$/, "") + url.slice(new URL(url).origin.length);
      }
      out.push({ ...f, url });
    }
    return { expires_at: new Date(Date.now() + expiresIn * 1000).toISOString(), files: out };
  }

  const outdated = () =>
    json(403, {
      detail: {
        error: "terms_outdated",
        current_terms_version: termsVersion,
        accept_url: `${base}/terms/accept`,
      },
    });

  async function body(req: Request): Promise<Record<string, unknown> | undefined> {
    try {
      const b = JSON.parse(await req.text());
      return b && typeof b === "object" && !Array.isArray(b) ? b : undefined;
    } catch {
      return undefined;
    }
  }

  async function handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const route = `${req.method} ${path}`;
    requests[route] = (requests[route] ?? 0) + 1;
    if (path.startsWith("/api/")) {
      const now = Date.now();
      window = window.filter((t) => now - t < 60_000);
      if (window.length >= rateLimit) {
        return json(429, { detail: `Too many requests: at most ${rateLimit} per minute.` });
      }
      window.push(now);
    }
    switch (route) {
      case "GET /api/v1/manifest":
        return json(200, {
          dataset: "laion-fmri",
          current_terms_version: termsVersion,
          versions,
          files: await manifestFiles(),
        });
      case "POST /api/v1/access/request": {
        const form = await body(req);
        if (!form) {
          return json(422, {
            detail: [{
              type: "model_attributes_type",
              loc: ["body"],
              msg: "Input should be a valid dictionary or object to extract fields from",
              input: null,
            }],
          });
        }
        const errs = formErrors(form, o.minPurposeLength);
        if (errs.length) return json(422, { detail: errs });
        if (form.terms_version !== termsVersion) return outdated();
        const id = crypto.randomUUID().replaceAll("-", "");
        grants.set(id, { email: String(form.email), termsVersion, revoked: false });
        return json(200, { request_id: id, ...(await grantFiles()) });
      }
      case "POST /api/v1/refresh": {
        const b = await body(req);
        const id = typeof b?.request_id === "string" ? b.request_id : "";
        const g = grants.get(id);
        if (!g) return json(404, { detail: "Unknown request_id." });
        if (g.revoked) return json(403, { detail: "Access for this request_id has been revoked." });
        const version = b?.dataset_version ?? "v1";
        if (!versions.includes(String(version))) {
          return json(404, { detail: `Unknown dataset_version '${version}'.` });
        }
        if (g.termsVersion !== termsVersion) return outdated();
        return json(200, await grantFiles());
      }
      case "POST /admin/revoke": {
        const b = await body(req);
        const g = grants.get(String(b?.request_id));
        if (!g) return json(404, { detail: "Unknown request_id." });
        g.revoked = true;
        return json(200, { revoked: b?.request_id });
      }
      case "POST /admin/terms": {
        const b = await body(req);
        if (typeof b?.version !== "string") return json(422, { detail: "version required" });
        termsVersion = b.version;
        return json(200, { current_terms_version: termsVersion });
      }
      case "GET /admin/stats":
        return json(200, { requests });
      case "GET /terms":
      case "GET /terms/accept":
      case "GET /privacy":
      case "GET /takedown":
        return new Response(`LAION-fMRI (local test service): ${path.slice(1)}\n`);
    }
    return json(404, { detail: "Not Found" });
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: o.port ?? 0, onListen: () => {} },
    (req) =>
      handle(req).catch((e) => json(500, { detail: `internal error: ${(e as Error).message}` })),
  );
  base = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: base,
    requests,
    revoke(id) {
      const g = grants.get(id);
      if (!g) throw new Error(`unknown request_id ${id}`);
      g.revoked = true;
    },
    setTermsVersion(v) {
      termsVersion = v;
    },
    close: () => server.shutdown(),
  };
}

function parseArgs(args: string[]): AccessServiceOptions {
  const out: Partial<AccessServiceOptions> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, v] = [args[i], args[i + 1]];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--endpoint") out.endpoint = v;
    else if (flag === "--bucket") out.bucket = v;
    else if (flag === "--port") out.port = Number(v);
    else if (flag === "--expires") out.expiresIn = Number(v);
    else if (flag === "--terms-version") out.termsVersion = v;
    else {
      throw new Error(
        `unknown argument ${flag} (valid: --endpoint, --bucket, --port, --expires, --terms-version)`,
      );
    }
  }
  if (!out.endpoint) throw new Error("--endpoint URL is required");
  return out as AccessServiceOptions;
}

if (import.meta.main) {
  const svc = startAccessService(parseArgs(Deno.args));
  console.log(svc.url);
}
