/**
 * The AWS SDK client, tamed for anonymous access to a public bucket.
 *
 * Why the SDK at all: it parses ListObjectsV2 (pagination, common prefixes,
 * XML edge cases) and HEAD exactly as S3 and Ceph RGW send them, which is
 * the part of S3 where hand-written parsing goes wrong. Object GETs do not
 * need it: they are plain HTTP and go through `fetch` in
 * {@linkcode S3Source.get}.
 *
 * Why so many settings: by default the SDK signs every request, walks the
 * credential chain (env vars, `~/.aws`, instance metadata), reads the OS
 * release for its user agent and `AWS_LAMBDA_*` variables for trace
 * propagation, and retries on its own. Each of those either needs a Deno
 * permission a reader of a public bucket should not have to grant, or would
 * change behaviour behind our back; every one is switched off here, in one
 * place, with the reason beside it.
 * @module
 */
import type { S3Client } from "npm:@aws-sdk/client-s3@3.1175.0";
import { PermissionMissingError } from "../core/errors.ts";
import { flagFor, isPermissionError, requirePermissions } from "../core/permissions.ts";

/**
 * Environment variables the SDK reads while it loads (whatever the client
 * settings). They are checked together before the import, so a missing grant
 * is one error naming all of them instead of a raw `NotCapable` per rerun.
 */
export const SDK_ENV_VARIABLES = [
  "AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA",
  "AWS_LAMBDA_BENCHMARK_MODE",
  "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED",
] as const;

/** Settings of {@linkcode createAnonymousS3Client}. */
export interface AnonymousClientOptions {
  /** Endpoint URL without a trailing slash. */
  endpoint: string;
  /** AWS region of the bucket. */
  region: string;
  /** Per-request timeout in ms. */
  requestTimeoutMs: number;
  /** Path-style addressing (every non-AWS endpoint). */
  forcePathStyle: boolean;
}

/** The client and the SDK module it came from (for the command classes). */
export interface AnonymousS3Client {
  /** The client. */
  client: S3Client;
  /** The SDK module. */
  sdk: typeof import("npm:@aws-sdk/client-s3@3.1175.0");
}

/**
 * Loads the SDK (lazily: programs that never list need no S3 flags) and
 * builds a client that never signs, never looks up credentials and never
 * retries by itself.
 *
 * @example
 * ```ts
 * import { createAnonymousS3Client } from "./s3_client.ts";
 * const { client, sdk } = await createAnonymousS3Client({
 *   endpoint: "https://s3.us-west-2.amazonaws.com", region: "us-west-2", requestTimeoutMs: 30000, forcePathStyle: false,
 * });
 * ```
 */
export async function createAnonymousS3Client(
  options: AnonymousClientOptions,
): Promise<AnonymousS3Client> {
  requirePermissions(
    "load the S3 client",
    SDK_ENV_VARIABLES.map((variable) => ({ name: "env", variable })),
  );
  const [sdk, { FetchHttpHandler }] = await Promise.all([
    import("npm:@aws-sdk/client-s3@3.1175.0"),
    import("npm:@smithy/fetch-http-handler@5.8.1"),
  ]).catch((e) => {
    if (!isPermissionError(e)) throw e;
    throw new PermissionMissingError("load the S3 client", flagFor(e, "--allow-env"), {
      cause: e,
    });
  });
  // Every setting is explicit so the SDK never consults ~/.aws or AWS_* settings.
  const client = new sdk.S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: "", secretAccessKey: "" },
    // Requests go out unsigned: each auth scheme gets an empty identity and a
    // signer that returns the request unchanged.
    httpAuthSchemes: ["aws.auth#sigv4", "aws.auth#sigv4a"].map((schemeId) => ({
      schemeId,
      identityProvider: () => () => Promise.resolve({}),
      signer: { sign: (request: unknown) => Promise.resolve(request) },
    })) as never,
    maxAttempts: 1,
    retryMode: "standard",
    userAgentAppId: "laion-fmri-deno",
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    useArnRegion: false,
    authSchemePreference: [],
    disableMultiregionAccessPoints: true,
    disableS3ExpressSessionAuth: true,
    followRegionRedirects: false,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A fixed user agent: the SDK's default one reads the OS release (--allow-sys).
    defaultUserAgentProvider: () => Promise.resolve([["laion-fmri-deno"]]),
    // Deno's own fetch: node:https would need --allow-sys for the system CAs.
    requestHandler: new FetchHttpHandler({ requestTimeout: options.requestTimeoutMs }),
  });
  // Lambda trace propagation reads AWS_LAMBDA_* variables on every request.
  client.middlewareStack.remove("recursionDetectionMiddleware");
  return { client, sdk };
}
