// The public stimulus-side downloads (embeddings, captions, segmentations) against the real RGW,
// and the stimulus-side CLI sub-commands end to end (with the `cli` task's exact flags).
import assert from "node:assert/strict";
import { join } from "node:path";
import { InvalidChoiceError, NoMatchingDataError } from "../lib/core/errors.ts";
import { pathExists } from "../lib/core/fs.ts";
import {
  downloadCaptions,
  downloadEmbeddings,
  downloadSegmentations,
  EMBEDDING_MODELS,
  resolveEmbeddingModels,
} from "../lib/download/stimulus_side.ts";
import {
  ACCESS_BUCKET,
  EMPTY_BUCKET,
  ensureTestBuckets,
  FORM,
  IMAGES_KEY,
  METADATA_KEY,
  OBJECTS,
  withService,
} from "./_access_fixture.ts";
import { denoDir, localEndpoint, taskCommand } from "./_helpers.ts";

async function tempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "laion-stimside-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const bucketOpts = () => ({ endpoint: localEndpoint(), bucket: ACCESS_BUCKET, quiet: true });

Deno.test("stimulus side: unknown embedding models are refused before anything, listing the valid ones", async () => {
  assert.deepEqual(resolveEmbeddingModels("all"), [...EMBEDDING_MODELS]);
  assert.deepEqual(resolveEmbeddingModels(["SigLIP2", "CLIP", "CLIP"]), ["SigLIP2", "CLIP"]);
  await tempDir(async (dataDir) => {
    const e = await downloadEmbeddings({
      ...bucketOpts(),
      dataDir,
      acceptLicense: true,
      // deno-lint-ignore no-explicit-any
      models: ["clip" as any],
    }).catch((e) => e);
    assert.ok(e instanceof InvalidChoiceError);
    assert.equal(
      e.message,
      `Unknown embedding model(s) "clip". Valid: ['CLIP', 'DINOv2', 'PEcore', 'SigLIP2']. ` +
        "Model names are case-sensitive.",
    );
    assert.equal(await pathExists(join(dataDir, ".laion_fmri")), false); // nothing written
  });
});

Deno.test("stimulus side: embeddings, captions, segmentations — no gated file, no access id", async () => {
  await ensureTestBuckets();
  await tempDir(async (dataDir) => {
    Deno.env.delete("LAION_FMRI_REQUEST_ID");
    const all = await downloadEmbeddings({ ...bucketOpts(), dataDir, acceptLicense: true });
    assert.deepEqual(Object.keys(all), [...EMBEDDING_MODELS]);
    for (const m of EMBEDDING_MODELS) {
      const key = `stimuli/task-images_desc-${m}_embeddings.h5`;
      assert.equal(all[m], join(dataDir, key));
      assert.deepEqual(await Deno.readFile(all[m]!), OBJECTS[key]);
    }
    // The CC0 marker is in the data directory used, not the configured one.
    assert.ok(await pathExists(join(dataDir, ".laion_fmri", "license_accepted")));
    const one = await downloadEmbeddings({ ...bucketOpts(), dataDir, models: "PEcore" });
    assert.deepEqual(Object.keys(one), ["PEcore"]);

    const captions = await downloadCaptions({ ...bucketOpts(), dataDir });
    assert.equal(captions, join(dataDir, "stimuli/task-images_desc-captions.csv"));
    assert.deepEqual(
      await Deno.readFile(captions),
      OBJECTS["stimuli/task-images_desc-captions.csv"],
    );
    const seg = await downloadSegmentations({ ...bucketOpts(), dataDir });
    assert.deepEqual(seg, {
      h5: join(dataDir, "stimuli/task-images_desc-segmentations.h5"),
      metadata: join(dataDir, "stimuli/task-images_desc-segmentations_metadata.csv"),
    });
    assert.deepEqual(
      await Deno.readFile(seg.h5),
      OBJECTS["stimuli/task-images_desc-segmentations.h5"],
    );
    // The gated images were neither needed nor fetched.
    assert.equal(await pathExists(join(dataDir, IMAGES_KEY)), false);

    // Up to date: the size matches, nothing is fetched again.
    const mtime = (await Deno.stat(captions)).mtime!.getTime();
    const printed: string[] = [];
    const log = console.log;
    console.log = (s: string) => printed.push(s);
    try {
      await downloadCaptions({ ...bucketOpts(), quiet: false, dataDir });
    } finally {
      console.log = log;
    }
    assert.ok(printed.includes("[laion-fmri] captions already up to date."), printed.join("\n"));
    assert.equal((await Deno.stat(captions)).mtime!.getTime(), mtime);
  });
});

Deno.test("stimulus side: a key missing from the bucket is NoMatchingDataError", async () => {
  await ensureTestBuckets();
  await tempDir(async (dataDir) => {
    const opts = { endpoint: localEndpoint(), bucket: EMPTY_BUCKET, dataDir, acceptLicense: true };
    const e = await downloadCaptions({ ...opts, quiet: true }).catch((e) => e);
    assert.ok(e instanceof NoMatchingDataError, String(e));
    assert.match(
      e.message,
      /^Captions file 'stimuli\/task-images_desc-captions\.csv' not found on s3:\/\/laion-fmri-access-empty\/ .*Has it been uploaded yet\?$/,
    );
    await assert.rejects(
      downloadEmbeddings({ ...opts, quiet: true, models: ["CLIP"] }),
      NoMatchingDataError,
    );
    await assert.rejects(downloadSegmentations({ ...opts, quiet: true }), NoMatchingDataError);
  });
});

async function runCli(args: string[], env: Record<string, string>, stdin?: string) {
  const home = env.HOME;
  const child = new Deno.Command(Deno.execPath(), {
    args: [...taskCommand("cli", home), ...args],
    env: { NO_COLOR: "1", DENO_DIR: denoDir(), ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  if (stdin) await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("stimulus side: CLI sub-commands end to end, errors as one line", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (home) => {
      const data = join(home, "data");
      await Deno.mkdir(data);
      const env = {
        HOME: home,
        XDG_CONFIG_HOME: join(home, "config"),
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        LAION_FMRI_BUCKET: ACCESS_BUCKET,
        LAION_FMRI_ACCESS_URL: svc.url,
      };
      const cfg = await runCli(["config", "--data-dir", data], env);
      assert.equal(cfg.code, 0, cfg.stderr);

      const emb = await runCli([
        "download-embeddings",
        "CLIP",
        "SigLIP2",
        "--accept-license",
        "--quiet",
      ], env);
      assert.equal(emb.code, 0, emb.stderr);
      assert.ok(
        emb.stdout.includes(`CLIP: ${join(data, "stimuli/task-images_desc-CLIP_embeddings.h5")}`),
      );
      assert.equal(
        await pathExists(join(data, "stimuli/task-images_desc-DINOv2_embeddings.h5")),
        false,
      );
      const bad = await runCli(["download-embeddings", "clip"], env);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
      assert.match(
        bad.stderr,
        /Unknown embedding model\(s\) "clip"\. Valid: \['CLIP', 'DINOv2', 'PEcore', 'SigLIP2'\]/,
      );
      const cap = await runCli(["download-captions", "--quiet"], env);
      assert.equal(cap.code, 0, cap.stderr);
      assert.ok(cap.stdout.includes(join(data, "stimuli/task-images_desc-captions.csv")));
      const seg = await runCli(["download-segmentations", "--quiet"], env);
      assert.equal(seg.code, 0, seg.stderr);
      assert.match(seg.stdout, /masks: .*segmentations\.h5\nmetadata: .*_metadata\.csv/);
      const missing = await runCli(["download-captions", "--bucket", EMPTY_BUCKET], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^laion-fmri: error: Captions file .* not found/);

      // request-access: the form on stdin, as upstream's input() prompts.
      const answers = [FORM.name, FORM.email, FORM.institution, "", FORM.researchPurpose, "yes"];
      const req = await runCli(["request-access"], env, answers.join("\n") + "\n");
      assert.equal(req.code, 0, req.stderr);
      assert.ok(req.stdout.includes("LAION-fMRI stimulus access request"));
      assert.ok(req.stdout.includes("Full name: "));
      assert.match(
        req.stdout,
        /✓ Access granted\. request_id: [0-9a-f]{32}\n {2}saved to .*\.cache\/laion-fmri\/auth\.json/,
      );
      const auth = join(home, ".cache/laion-fmri/auth.json");
      assert.equal((await Deno.stat(auth)).mode! & 0o777, 0o600);
      assert.equal(JSON.parse(await Deno.readTextFile(auth)).server_url, svc.url);

      const stim = await runCli(["download-stimuli", "--quiet"], env);
      assert.equal(stim.code, 0, stim.stderr);
      assert.deepEqual(await Deno.readFile(join(data, IMAGES_KEY)), OBJECTS[IMAGES_KEY]);
      assert.deepEqual(await Deno.readFile(join(data, METADATA_KEY)), OBJECTS[METADATA_KEY]);
      const again = await runCli(["download-stimuli"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stdout.includes("[laion-fmri] stimuli already up to date."));
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);

      // Access errors: one line, no stack (upstream printed a traceback).
      svc.setTermsVersion("2030-01-01");
      await Deno.remove(join(data, METADATA_KEY));
      const outdated = await runCli(["download-stimuli"], env);
      assert.equal(outdated.code, 1);
      assert.equal(
        outdated.stderr.trim(),
        `laion-fmri: error: The LAION-fMRI Terms of Use have been updated to v2030-01-01. ` +
          `Visit ${svc.url}/terms/accept to accept, then re-run.`,
      );
      const cancelled = await runCli(
        ["request-access", "--quiet"],
        env,
        answers.slice(0, 5).join("\n") + "\nno\n",
      );
      assert.equal(cancelled.code, 1);
      assert.equal(
        cancelled.stderr,
        "laion-fmri: error: Access request cancelled: the Terms of Use were not accepted. " +
          "Nothing was submitted.\n",
      );
      // No terminal and no answers: one line naming the fields and the flags, nothing filed
      // (before: "Access request cancelled by user.").
      const none = await runCli(["request-access", "--quiet", "--name", "Ada"], env);
      assert.equal(none.code, 1);
      assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);
      assert.match(
        none.stderr,
        /^laion-fmri: error: The stimulus access form is not complete, so nothing was submitted \(stdin ended before every answer was given: no terminal to ask on\): --email: required .*; --purpose: required.*; --accept-terms: the Terms of Use must be read and accepted\. Answer with the flags: laion-fmri request-access --name "Your Name" --email you@institution\.edu --purpose ".*" --accept-terms/,
      );
      // A wrong answer is asked again on stdin, "y" accepts the terms.
      const retried = await runCli(
        ["request-access", "--quiet"],
        env,
        [FORM.name, "not an email", FORM.email, "", "", "short", FORM.researchPurpose, "y"]
          .join("\n") + "\n",
      );
      assert.equal(retried.code, 0, retried.stderr);
      assert.equal(svc.requests["POST /api/v1/access/request"], 2);
    });
  });
});
