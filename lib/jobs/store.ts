/**
 * Where an encode job keeps its plan and shard results: a local or shared
 * folder, or an S3 prefix (`s3://bucket/prefix/`) for clusters whose nodes
 * share no filesystem. Every object is written whole or not at all: a folder
 * write goes to a temp file and is renamed; an S3 write is one PutObject, or
 * a multipart upload above the part size that is aborted (its parts deleted)
 * on any failure or abort, so a killed write leaves no object.
 *
 * The S3 store signs with the caller's credentials from the standard AWS
 * chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and
 * ~/.aws, web identity, container or instance roles), never the anonymous
 * reader of the public dataset. A non-AWS S3 is named by `endpoint` or
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`.
 * @module
 */
import { dirname, join } from "node:path";
import { LaionFmriError, PermissionMissingError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";
import { readSettingsEnv } from "../core/permissions.ts";

/** Options of {@linkcode jobStore}. */
export interface JobStoreOptions {
  /** S3 endpoint of a non-AWS S3. @default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS */
  endpoint?: string;
  /** S3 region. @default AWS_REGION, then AWS_DEFAULT_REGION, else "us-east-1" */
  region?: string;
  /** Objects larger than this go up as a multipart upload of parts this size (at least 5 MiB). @default 16 MiB */
  partSize?: number;
}

/** The plan folder or S3 prefix of an encode job, by key (`plan.json`, `shards/shard-00003.json`). */
export interface JobStore {
  /** The folder or `s3://bucket/prefix/` as given. */
  readonly location: string;
  /** The S3 endpoint, when one was given or set in the environment (a non-AWS S3). */
  readonly endpoint?: string;
  /** The S3 region of an S3 prefix (given, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1). */
  readonly region?: string;
  /** The path or `s3://` URL of a key, for messages. */
  url(key: string): string;
  /** The object's bytes, or `undefined` when it does not exist. */
  read(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Writes the whole object, or nothing (see the module doc). */
  write(
    key: string,
    data: Uint8Array | string,
    options?: { signal?: AbortSignal; mode?: number },
  ): Promise<void>;
  /** True when the object exists. */
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Deletes every object under a key prefix (`shards/`). */
  removePrefix(prefix: string, signal?: AbortSignal): Promise<void>;
}

/**
 * An error of the S3 job store: names the prefix, the request and what is
 * missing (a credential, a permission such as `s3:PutObject`, the bucket).
 *
 * @example
 * ```ts
 * import { JobStoreError } from "@laion/fmri/jobs";
 * const e = new JobStoreError("s3://lab/encode/", "write plan.json", "s3:PutObject denied");
 * console.log(e.location, e.message);
 * ```
 */
export class JobStoreError extends LaionFmriError {
  /** The `s3://bucket/prefix/` of the job. */
  readonly location: string;
  /** Builds the error; the message names the location, the request and the cause. */
  constructor(location: string, what: string, problem: string, options?: ErrorOptions) {
    super(`${what} in ${location}: ${problem}`, options);
    this.location = location;
  }
}

/**
 * Is `location` an S3 prefix (`s3://bucket/prefix/`)?
 *
 * @example
 * ```ts
 * import { isS3Location } from "@laion/fmri/jobs";
 * isS3Location("s3://lab/encode/"); // true
 * ```
 */
export function isS3Location(location: string): boolean {
  return location.startsWith("s3://");
}

/** A key's path or URL under a plan location (for messages and for the folder's files). */
export function locationJoin(location: string, key: string): string {
  return isS3Location(location) ? `${location.replace(/\/*$/, "/")}${key}` : join(location, key);
}

const stores = new Map<string, JobStore>();

/**
 * The store of a plan location: a folder, or an S3 prefix. One store per
 * location in a process: a call with `options` opens it anew with them (the
 * functions of `@laion/fmri/jobs` then use it); a call without reuses it.
 *
 * @throws {RangeError} for an S3 URL without a bucket, or a part size below 5 MiB
 * @example
 * ```ts
 * import { jobStore } from "@laion/fmri/jobs";
 * const store = jobStore("s3://lab/encode-clip/", { endpoint: "https://s3.eu-central-1.amazonaws.com" });
 * console.log(store.url("plan.json"));
 * ```
 */
export function jobStore(location: string, options: JobStoreOptions = {}): JobStore {
  const key = isS3Location(location) ? location.replace(/\/*$/, "/") : location;
  let store = stores.get(key);
  if (!store || Object.keys(options).length) {
    store = isS3Location(location) ? s3Store(key, options) : folderStore(location);
    stores.set(key, store);
  }
  return store;
}

function folderStore(location: string): JobStore {
  const url = (key: string) => join(location, key);
  return {
    location,
    url,
    async read(key) {
      try {
        return await Deno.readFile(url(key));
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    },
    async write(key, data, options = {}) {
      await Deno.mkdir(dirname(url(key)), { recursive: true });
      await writeFileAtomic(url(key), data, options);
    },
    async exists(key) {
      try {
        await Deno.stat(url(key));
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw e;
      }
    },
    async removePrefix(prefix) {
      await Deno.remove(url(prefix), { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    },
  };
}

const MIB = 2 ** 20;
type S3 = typeof import("npm:@aws-sdk/client-s3@3.1175.0");

function s3Store(location: string, options: JobStoreOptions): JobStore {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  if (!m || !m[1]) {
    throw new RangeError(`an S3 output must read s3://bucket/prefix/, got ${location}`);
  }
  const [, bucket, prefix] = m;
  const partSize = options.partSize ?? 16 * MIB;
  if (!Number.isInteger(partSize) || partSize < 5 * MIB) {
    throw new RangeError(
      `partSize must be an integer of at least 5 MiB (S3's minimum part), got ${partSize}`,
    );
  }
  // These choose where results are written: a refused grant is an error naming the flag, never
  // "unset" (which would write to AWS instead of the lab's S3).
  const names = [
    ...(options.endpoint === undefined ? ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"] : []),
    ...(options.region === undefined ? ["AWS_REGION", "AWS_DEFAULT_REGION"] : []),
  ];
  const env: Record<string, string | undefined> = names.length
    ? readSettingsEnv(names, `choose the S3 endpoint and region of ${location}`)
    : {};
  const endpoint = options.endpoint ??
    (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const region = options.region ??
    (env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1");
  let loaded: Promise<{ sdk: S3; client: InstanceType<S3["S3Client"]> }> | undefined;
  const open = () =>
    loaded ??= (async () => {
      const [sdk, { FetchHttpHandler }] = await Promise.all([
        import("npm:@aws-sdk/client-s3@3.1175.0"),
        import("npm:@smithy/fetch-http-handler@5.8.1"),
      ]);
      const client = new sdk.S3Client({
        endpoint,
        region,
        forcePathStyle: endpoint !== undefined,
        requestHandler: new FetchHttpHandler(),
        maxAttempts: 3,
      });
      return { sdk, client };
    })();
  const url = (key: string) => `${location}${key}`;
  /** The error of a failed request, naming the prefix and what is missing. */
  const fail = (what: string, e: unknown, signal?: AbortSignal): Error => {
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : e as Error;
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = err?.name ?? "";
    const status = err?.$metadata?.httpStatusCode;
    if (name === "NotCapable" || /Requires \w+ access/.test(err?.message ?? "")) {
      const host = endpoint ? new URL(endpoint).host : `${bucket}.s3.${region}.amazonaws.com`;
      return new PermissionMissingError(
        `${what} in ${location} (${err?.message})`,
        `--allow-net=${host} --allow-env --allow-read --allow-sys=osRelease (the AWS credential chain reads ` +
          "AWS_* and ~/.aws; the signing client names the OS release in its user agent)",
        { cause: e },
      );
    }
    if (name === "CredentialsProviderError" || /credential/i.test(err?.message ?? "") && !status) {
      return new JobStoreError(
        location,
        what,
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or " +
          "AWS_PROFILE with ~/.aws/credentials, or run with an instance/container role)",
        { cause: e },
      );
    }
    if (name === "NoSuchBucket") {
      return new JobStoreError(
        location,
        what,
        `bucket ${bucket} does not exist: create it first (aws s3 mb s3://${bucket})`,
        {
          cause: e,
        },
      );
    }
    if (
      status === 403 || name === "AccessDenied" || name === "InvalidAccessKeyId" ||
      name === "SignatureDoesNotMatch"
    ) {
      const action = what.startsWith("write")
        ? "s3:PutObject (and s3:AbortMultipartUpload)"
        : what.startsWith("remove")
        ? "s3:ListBucket and s3:DeleteObject"
        : "s3:GetObject and s3:ListBucket";
      return new JobStoreError(
        location,
        what,
        `access denied (${name || status}): the credentials need ${action} on ` +
          `arn:aws:s3:::${bucket}/${prefix}*`,
        { cause: e },
      );
    }
    return new JobStoreError(
      location,
      what,
      `${name || "error"} ${status ?? ""}: ${err?.message}`,
      {
        cause: e,
      },
    );
  };
  const isMissing = (e: unknown) => {
    const x = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    return x?.name === "NoSuchKey" || x?.name === "NotFound" ||
      x?.$metadata?.httpStatusCode === 404 &&
        x?.name !== "NoSuchBucket";
  };
  /**
   * Aborts a multipart upload until S3 lists it no more: a part still in flight when the
   * first abort lands can be stored after it (S3's documentation asks to abort again).
   */
  const abortUpload = async (
    sdk: S3,
    client: InstanceType<S3["S3Client"]>,
    Key: string,
    UploadId: string,
  ) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }))
        .catch(() => {});
      const left = await client.send(
        new sdk.ListMultipartUploadsCommand({ Bucket: bucket, Prefix: Key }),
      ).then((r) => (r.Uploads ?? []).some((u) => u.UploadId === UploadId), () => false);
      if (!left) return;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  };
  return {
    location,
    endpoint,
    region,
    url,
    async read(key, signal) {
      const { sdk, client } = await open();
      try {
        const r = await client.send(
          new sdk.GetObjectCommand({ Bucket: bucket, Key: prefix + key }),
          {
            abortSignal: signal,
          },
        );
        return await r.Body!.transformToByteArray();
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw fail(`read ${key}`, e, signal);
      }
    },
    async exists(key, signal) {
      const { sdk, client } = await open();
      try {
        await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: prefix + key }), {
          abortSignal: signal,
        });
        return true;
      } catch (e) {
        if (isMissing(e)) return false;
        throw fail(`read ${key}`, e, signal);
      }
    },
    async write(key, data, options = {}) {
      const { signal } = options;
      signal?.throwIfAborted();
      const { sdk, client } = await open();
      const body = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const Key = prefix + key;
      if (body.length <= partSize) {
        try {
          await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key, Body: body }), {
            abortSignal: signal,
          });
        } catch (e) {
          throw fail(`write ${key}`, e, signal);
        }
        return;
      }
      let uploadId: string | undefined;
      try {
        // Not cancelled mid-flight: an upload the server created while the request was being
        // cancelled would have no id here and could never be aborted. The signal is checked
        // right after, with the id in hand.
        uploadId =
          (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key })))
            .UploadId;
        const parts = [];
        for (let at = 0, n = 1; at < body.length; at += partSize, n++) {
          signal?.throwIfAborted();
          const r = await client.send(
            new sdk.UploadPartCommand({
              Bucket: bucket,
              Key,
              UploadId: uploadId,
              PartNumber: n,
              Body: body.subarray(at, at + partSize),
            }),
            { abortSignal: signal },
          );
          parts.push({ ETag: r.ETag, PartNumber: n });
        }
        signal?.throwIfAborted();
        await client.send(
          new sdk.CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
          { abortSignal: signal },
        );
      } catch (e) {
        // The parts are deleted; the object never appears (no abort signal: it must run).
        if (uploadId) await abortUpload(sdk, client, Key, uploadId);
        throw fail(`write ${key}`, e, signal);
      }
    },
    async removePrefix(sub, signal) {
      const { sdk, client } = await open();
      try {
        let token: string | undefined;
        do {
          const page = await client.send(
            new sdk.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix + sub,
              ContinuationToken: token,
            }),
            { abortSignal: signal },
          );
          for (const o of page.Contents ?? []) {
            await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }), {
              abortSignal: signal,
            });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (e) {
        throw fail(`remove ${sub}`, e, signal);
      }
    },
  };
}
