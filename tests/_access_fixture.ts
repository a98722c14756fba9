/**
 * Test buckets of the stimulus-side tests, independent of the synthetic
 * generator: `laion-fmri-access-test` holds small objects under the real
 * `stimuli/` keys (the gated images denied to anonymous GET by the seed
 * policy), `laion-fmri-access-empty` holds none of them. Uploaded once per
 * process with the seed credentials.
 */
import type { AccessForm } from "../lib/access/mod.ts";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { bucketPolicy, seedClient } from "../scripts/seed.ts";
import { type AccessService, startAccessService } from "../scripts/access_service.ts";
import { payloadOf, registerRequest } from "../scripts/register_request.ts";
import { localEndpoint } from "./_helpers.ts";

export const ACCESS_BUCKET = "laion-fmri-access-test";
export const EMPTY_BUCKET = "laion-fmri-access-empty";
export const IMAGES_KEY = "stimuli/task-images_stimuli.h5";
export const METADATA_KEY = "stimuli/task-images_metadata.csv";

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** The objects of {@linkcode ACCESS_BUCKET}. */
export const OBJECTS: Record<string, Uint8Array> = {
  [IMAGES_KEY]: bytes(700_000, 1),
  [METADATA_KEY]: text(
    "image_name,dataset,participant,unique_or_shared,n_reps\n" +
      "stim_000,synthetic,sub-01;sub-03,shared,12rep\nstim_001,synthetic,sub-01,unique,1rep\n",
  ),
  "stimuli/task-images_desc-CLIP_embeddings.h5": bytes(20_001, 2),
  "stimuli/task-images_desc-DINOv2_embeddings.h5": bytes(20_002, 3),
  "stimuli/task-images_desc-PEcore_embeddings.h5": bytes(20_003, 4),
  "stimuli/task-images_desc-SigLIP2_embeddings.h5": bytes(20_004, 5),
  "stimuli/task-images_desc-captions.csv": text(
    "image_name,caption_idx,source,caption,origin_collection,participant_id,ai_model\n" +
      "stim_000,0,ai,a grey square,gpt-5.1,,gpt-5.1\n",
  ),
  "stimuli/task-images_desc-segmentations.h5": bytes(30_000, 6),
  "stimuli/task-images_desc-segmentations_metadata.csv": text(
    "mask_row,image_name,noun,instance_id,score,box_x0,box_y0,box_x1,box_y1,localized,mask_file\n" +
      "0,stim_000,square,0,0.9,0,0,9,9,1,x\n",
  ),
};

/** SHA-256 (hex) of bytes. */
export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

let ready: Promise<void> | undefined;

async function upload(bucket: string, objects: Record<string, Uint8Array>): Promise<void> {
  const s3 = seedClient(localEndpoint());
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
      if (!["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].includes((e as Error).name)) throw e;
    });
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: bucketPolicy(bucket, "current") }),
    );
    for (const [Key, Body] of Object.entries(objects)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    }
  } finally {
    s3.destroy();
  }
}

/** Creates and fills the two test buckets (once per process). */
export function ensureTestBuckets(): Promise<void> {
  ready ??= (async () => {
    await upload(ACCESS_BUCKET, OBJECTS);
    await upload(EMPTY_BUCKET, { "stimuli/placeholder.txt": text("nothing here\n") });
  })();
  return ready;
}

/** Starts a local access service on the test bucket, runs `fn`, stops it. */
export async function withService<T>(
  options: Partial<Parameters<typeof startAccessService>[0]>,
  fn: (svc: AccessService) => Promise<T>,
): Promise<T> {
  await ensureTestBuckets();
  const svc = startAccessService({ endpoint: localEndpoint(), bucket: ACCESS_BUCKET, ...options });
  try {
    return await fn(svc);
  } finally {
    await svc.close();
  }
}

/** A valid access form for the tests. */
export const FORM = {
  name: "Ada Lovelace",
  email: "ada@uni.example",
  institution: "Analytical Engine Institute",
  researchPurpose: "Encoding models of the ventral visual stream.",
  acceptTerms: true,
};

/** {@linkcode FORM} as `submitAccessRequest` takes it (camelCase). */
export function clientForm(termsVersion = "2026-05-11"): AccessForm {
  return {
    name: FORM.name,
    email: FORM.email,
    institution: FORM.institution,
    piOrSupervisor: null,
    researchPurpose: FORM.researchPurpose,
    acceptedTerms: true,
    acknowledgedPrivacy: true,
    termsVersion,
    source: "cli",
  };
}

/** {@linkcode FORM} as the service takes it (snake_case payload). */
export function servicePayload(termsVersion = "2026-05-11") {
  return payloadOf(FORM, termsVersion);
}

/**
 * Registers a request on an access service (real HTTP, the test's own form)
 * and returns its id: tests hand it to code under test through
 * `LAION_FMRI_REQUEST_ID`, never as text in a notebook.
 */
export function registerTestRequest(serverUrl: string): Promise<string> {
  return registerRequest(serverUrl, FORM);
}
