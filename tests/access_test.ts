// The stimulus access client against the local access service (real HTTP) and the real RGW:
// status mapping, request-id cache, downloadFile (resume, 200-to-Range, sha256, sidecar),
// requestStimulusAccess and downloadStimuli.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  accessErrorFor,
  currentTermsVersion,
  fetchManifest,
  refreshUrls,
  submitAccessRequest,
} from "../lib/access/client.ts";
import { downloadFile } from "../lib/access/download_file.ts";
import { ACCESS_FORM_CELL } from "../lib/access/form.ts";
import { sidecarPath } from "../lib/access/verified_file.ts";
import { requestStimulusAccess } from "../lib/access/request_access.ts";
import { clearRequestId, loadRequestId, saveRequestId } from "../lib/access/request_id.ts";
import { downloadStimuli } from "../lib/access/stimuli.ts";
import {
  AccessFormError,
  AccessNotFoundError,
  AccessRevokedError,
  AccessServiceError,
  DataDirNotFoundError,
  TermsOutdatedError,
} from "../lib/core/errors.ts";
import { pathExists } from "../lib/core/fs.ts";
import {
  ACCESS_BUCKET,
  clientForm,
  FORM,
  IMAGES_KEY,
  METADATA_KEY,
  OBJECTS,
  servicePayload,
  sha256,
  withService,
} from "./_access_fixture.ts";
import { FaultProxy } from "./fault_proxy.ts";
import { denoDir, localEndpoint } from "./_helpers.ts";

const IMAGES = OBJECTS[IMAGES_KEY];

const form = servicePayload;

/** requestStimulusAccess with `answers` on its prompt: the grant, the questions, stdout. */
async function askWith(serverUrl: string, authFile: string, answers: (string | null)[]) {
  const asked: string[] = [];
  const printed: string[] = [];
  const log = console.log;
  console.log = (s: string) => printed.push(s);
  try {
    const grant = await requestStimulusAccess({
      serverUrl,
      authFile,
      prompt: (q) => {
        asked.push(q);
        return answers.shift();
      },
    });
    return { grant, asked, out: printed.join("\n") };
  } finally {
    console.log = log;
  }
}

async function tempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "laion-access-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("access: error mapping of each status (upstream's _request_json)", () => {
  const base = "http://127.0.0.1:9/custom";
  const t = accessErrorFor(
    403,
    JSON.stringify({ detail: { error: "terms_outdated", current_terms_version: "2027-01-01" } }),
    base,
  );
  assert.ok(t instanceof TermsOutdatedError);
  // Before: the default accept URL came from the module constant, whatever the server in use.
  assert.equal(t.acceptUrl, `${base}/terms/accept`);
  assert.equal(t.termsVersion, "2027-01-01");
  assert.equal(
    t.message,
    `The LAION-fMRI Terms of Use have been updated to v2027-01-01. Visit ${base}/terms/accept to accept, then re-run.`,
  );
  const noVersion = accessErrorFor(403, '{"detail":{"error":"terms_outdated"}}', base);
  assert.equal((noVersion as TermsOutdatedError).termsVersion, "?");
  const revoked = accessErrorFor(403, '{"detail":"Access has been REVOKED."}', base);
  assert.ok(revoked instanceof AccessRevokedError);
  const other403 = accessErrorFor(403, '{"detail":"forbidden"}', base);
  assert.ok(!(other403 instanceof AccessRevokedError) && !(other403 instanceof TermsOutdatedError));
  assert.equal(other403.message, "HTTP 403: forbidden");
  assert.ok(accessErrorFor(404, '{"detail":"Unknown"}', base) instanceof AccessNotFoundError);
  assert.equal(
    accessErrorFor(429, '{"detail":"slow down"}', base).message,
    "Rate limit exceeded: slow down",
  );
  const raw = accessErrorFor(502, "<html>bad gateway</html>", base);
  assert.equal(raw.message, "HTTP 502: <html>bad gateway</html>");
  assert.equal(raw.status, 502);
});

Deno.test("access: real service answers map to typed errors (404, 403 revoked, 403 terms, 422, 429)", async () => {
  await withService({ rateLimit: 8 }, async (svc) => {
    const serverUrl = svc.url;
    const manifest = await fetchManifest({ serverUrl });
    // Returned objects are camelCase; the snake_case wire format stays inside the client.
    assert.deepEqual(Object.keys(manifest).sort(), [
      "currentTermsVersion",
      "dataset",
      "files",
      "versions",
    ]);
    assert.equal(manifest.dataset, "laion-fmri");
    assert.deepEqual(manifest.files.map((f) => f.name).sort(), [
      "task-images_metadata.csv",
      "task-images_stimuli.h5",
    ]);
    const img = manifest.files.find((f) => f.name === "task-images_stimuli.h5")!;
    assert.equal(img.size, IMAGES.length);
    assert.equal(img.sha256, sha256(IMAGES));
    assert.equal(await currentTermsVersion({ serverUrl }), manifest.currentTermsVersion);

    await assert.rejects(refreshUrls("nope", { serverUrl }), AccessNotFoundError);
    const stale = await submitAccessRequest(clientForm("2020-01-01"), { serverUrl }).catch((e) =>
      e
    );
    assert.ok(stale instanceof TermsOutdatedError);
    assert.equal(stale.acceptUrl, `${svc.url}/terms/accept`);
    assert.equal(stale.termsVersion, manifest.currentTermsVersion);
    // A 422 is mapped to the fields it names (before: "HTTP 422: [{...}]", the answers lost).
    const bad = await submitAccessRequest(
      { ...clientForm(), email: "not-an-email", researchPurpose: "too short" },
      { serverUrl },
    ).catch((e) => e);
    assert.ok(bad instanceof AccessFormError, String(bad));
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.fields, {
      email: "value is not a valid email address: An email address must have an @-sign.",
      purpose: "String should have at least 20 characters",
    });
    assert.ok(bad.message.startsWith("The access service refused the form (HTTP 422):\n  email: "));
    // The local service answers as the real FastAPI one does (pydantic v2 error objects).
    const raw = await fetch(`${serverUrl}/api/v1/access/request`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...form(), name: "", accepted_terms: false }),
    });
    assert.equal(raw.status, 422);
    assert.deepEqual((await raw.json()).detail, [
      {
        type: "string_too_short",
        loc: ["body", "name"],
        msg: "String should have at least 1 character",
        input: "",
        ctx: { min_length: 1 },
      },
      {
        type: "literal_error",
        loc: ["body", "accepted_terms"],
        msg: "Input should be True",
        input: false,
        ctx: { expected: "True" },
      },
    ]);
    const grant = await submitAccessRequest(clientForm(), { serverUrl });
    assert.deepEqual(Object.keys(grant).sort(), ["expiresAt", "files", "requestId"]);
    assert.ok(!Number.isNaN(Date.parse(grant.expiresAt)), grant.expiresAt);
    assert.match(grant.requestId!, /^[0-9a-f]{32}$/);
    svc.revoke(grant.requestId!);
    await assert.rejects(refreshUrls(grant.requestId!, { serverUrl }), AccessRevokedError);
    // Eight API calls so far: the ninth exceeds the service's rate limit.
    const limited = await fetchManifest({ serverUrl }).catch((e) => e);
    assert.ok(limited instanceof AccessServiceError);
    assert.equal(limited.status, 429);
    assert.match(limited.message, /^Rate limit exceeded: Too many requests/);
  });
});

Deno.test("access: terms changed after the grant → refresh answers TermsOutdatedError", async () => {
  await withService({}, async (svc) => {
    const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
    svc.setTermsVersion("2027-02-02");
    const e = await refreshUrls(grant.requestId!, { serverUrl: svc.url }).catch((e) => e);
    assert.ok(e instanceof TermsOutdatedError);
    assert.equal(e.termsVersion, "2027-02-02");
  });
});

Deno.test("access: 5xx through the fault proxy, a stalled answer, and no server at all", async () => {
  await withService({}, async (svc) => {
    const proxy = new FaultProxy(svc.url, "none");
    try {
      proxy.addFault({ kind: "status", status: 500, match: () => true });
      const e = await fetchManifest({ serverUrl: proxy.url }).catch((e) => e);
      assert.ok(e instanceof AccessServiceError);
      assert.equal(e.status, 500);
      assert.match(e.message, /^HTTP 500: <\?xml/);
      proxy.addFault({ kind: "stall", afterBytes: 5, stallMs: 5000, match: () => true });
      const slow = await fetchManifest({ serverUrl: proxy.url, timeoutMs: 300 }).catch((e) => e);
      assert.ok(slow instanceof AccessServiceError);
      assert.match(
        slow.message,
        /^Could not reach the access service at .*no answer within 300 ms/,
      );
    } finally {
      await proxy.close();
    }
  });
  const none = await fetchManifest({ serverUrl: "http://127.0.0.1:1" }).catch((e) => e);
  assert.ok(none instanceof AccessServiceError);
  assert.match(
    none.message,
    /^Could not reach the access service at http:\/\/127\.0\.0\.1:1\/api\/v1\/manifest: /,
  );
});

Deno.test("access: request-id cache — env wins, file is 0600, clear removes it", async () => {
  await tempDir(async (dir) => {
    const authFile = join(dir, "cache", "laion-fmri", "auth.json");
    assert.equal(await loadRequestId({ authFile }), undefined);
    const path = await saveRequestId("rid-1", {
      authFile,
      email: "a@b.example",
      serverUrl: "http://127.0.0.1:5/",
    });
    assert.equal(path, authFile);
    assert.equal((await Deno.stat(authFile)).mode! & 0o777, 0o600);
    const data = JSON.parse(await Deno.readTextFile(authFile));
    assert.deepEqual(Object.keys(data), ["server_url", "request_id", "email", "saved_at"]);
    assert.equal(data.server_url, "http://127.0.0.1:5");
    assert.equal(await loadRequestId({ authFile }), "rid-1");
    Deno.env.set("LAION_FMRI_REQUEST_ID", "  from-env \n");
    try {
      assert.equal(await loadRequestId({ authFile }), "from-env");
      Deno.env.set("LAION_FMRI_REQUEST_ID", "   ");
      assert.equal(await loadRequestId({ authFile }), "rid-1"); // blank: the file
    } finally {
      Deno.env.delete("LAION_FMRI_REQUEST_ID");
    }
    await Deno.writeTextFile(authFile, "{not json");
    assert.equal(await loadRequestId({ authFile }), undefined);
    assert.equal(await clearRequestId({ authFile }), true);
    assert.equal(await clearRequestId({ authFile }), false);
  });
});

Deno.test("access: requestStimulusAccess asks upstream's questions, submits, caches the id", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      const authFile = join(dir, "auth.json");
      const { grant, asked, out } = await askWith(svc.url, authFile, [
        FORM.name,
        FORM.email,
        FORM.institution,
        "",
        FORM.researchPurpose,
        "YES",
      ]);
      assert.deepEqual(asked.slice(0, 5), [
        "Full name: ",
        "Institutional email: ",
        "Institution / affiliation: ",
        "PI / supervisor (optional, Enter to skip): ",
        "> ",
      ]);
      assert.match(
        asked[5],
        /Terms of Use \(v2026-05-11\).*Privacy notice.*Type 'yes' to submit: $/,
      );
      assert.ok(out.includes("=".repeat(64)));
      assert.ok(out.includes(`Read the full terms:  ${svc.url}/terms`));
      assert.ok(out.includes(`Privacy notice:       ${svc.url}/privacy`));
      assert.ok(out.includes(`Takedown contact:     ${svc.url}/takedown`));
      assert.ok(out.includes(`✓ Access granted. request_id: ${grant.requestId}`), out);
      assert.match(out, /saved to .*auth\.json/);
      assert.equal(await loadRequestId({ authFile }), grant.requestId);
      const cancelled = await requestStimulusAccess({
        serverUrl: svc.url,
        authFile,
        quiet: true,
        form: { ...FORM, acceptTerms: undefined },
        prompt: () => "n",
      }).catch((e) => e);
      assert.ok(cancelled instanceof AccessServiceError);
      assert.equal(
        cancelled.message,
        "Access request cancelled: the Terms of Use were not accepted. Nothing was submitted.",
      );
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
    });
  });
});

Deno.test("access: downloadFile — fresh, cached without re-hashing, hashed once without sidecar", async () => {
  await withService({}, async (svc) => {
    const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
    const info = grant.files.find((f) => f.name === "task-images_stimuli.h5")!;
    // The gated key is refused to anonymous GET: only the presigned URL reads it.
    const anon = await fetch(`${localEndpoint()}/${ACCESS_BUCKET}/${IMAGES_KEY}`);
    await anon.body?.cancel();
    assert.equal(anon.status, 403);
    await tempDir(async (dir) => {
      const dest = join(dir, "stimuli", "task-images_stimuli.h5");
      const opts = { expectedSize: info.size, expectedSha256: info.sha256, quiet: true };
      const seen: number[] = [];
      const first = await downloadFile(info.url, dest, {
        ...opts,
        onProgress: (p) => seen.push(p.doneBytes),
      });
      assert.equal(first.status, "downloaded");
      assert.deepEqual(await Deno.readFile(dest), IMAGES);
      assert.equal(seen.at(-1), IMAGES.length);
      assert.ok(await pathExists(sidecarPath(dest)));
      assert.equal(await pathExists(`${dest}.part`), false);
      const second = await downloadFile(info.url, dest, opts);
      assert.deepEqual([second.status, second.hashedFromDisk, second.received], ["cached", 0, 0]);
      await Deno.remove(sidecarPath(dest));
      const third = await downloadFile(info.url, dest, opts);
      assert.deepEqual([third.status, third.hashedFromDisk], ["cached", IMAGES.length]);
      assert.equal((await downloadFile(info.url, dest, opts)).hashedFromDisk, 0); // sidecar back
    });
  });
});

Deno.test("access: downloadFile resumes with Range after a reset; a 200 answer restarts from zero", async () => {
  const proxy = new FaultProxy(localEndpoint(), ACCESS_BUCKET);
  try {
    await withService({ urlOrigin: proxy.url }, async (svc) => {
      const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
      const info = grant.files.find((f) => f.name === "task-images_stimuli.h5")!;
      assert.ok(info.url.startsWith(proxy.url));
      const opts = { expectedSize: info.size, expectedSha256: info.sha256, quiet: true };
      const isImages = (r: { key: string }) => r.key === IMAGES_KEY;
      await tempDir(async (dir) => {
        const dest = join(dir, "task-images_stimuli.h5");
        proxy.addFault({ kind: "reset", afterBytes: 300_000, match: isImages });
        const cut = await downloadFile(info.url, dest, opts).catch((e) => e);
        assert.ok(cut instanceof AccessServiceError, String(cut));
        assert.match(
          cut.message,
          /^Download of task-images_stimuli\.h5 failed: .*run again to resume/,
        );
        const part = (await Deno.stat(`${dest}.part`)).size;
        assert.ok(part > 0 && part <= 300_000, `part of ${part} bytes`);
        const resumed = await downloadFile(info.url, dest, opts);
        assert.equal(resumed.status, "resumed");
        assert.equal(resumed.received, IMAGES.length - part);
        assert.equal(proxy.gets().at(-1)!.rangeStart, part);
        assert.equal(proxy.gets().at(-1)!.status, 206);
        assert.deepEqual(await Deno.readFile(dest), IMAGES);

        // A part of wrong bytes, and a server that ignores Range (answers 200 with the whole
        // object). Before: the whole object was appended to the part → sha256 mismatch.
        const dest2 = join(dir, "again.h5");
        await Deno.writeFile(`${dest2}.part`, new Uint8Array(1000).fill(7));
        proxy.addFault({ kind: "norange", match: isImages });
        const restarted = await downloadFile(info.url, dest2, opts);
        assert.equal(restarted.status, "downloaded");
        assert.equal(proxy.gets().at(-1)!.status, 200);
        assert.equal(restarted.received, IMAGES.length);
        assert.deepEqual(await Deno.readFile(dest2), IMAGES);

        // The same wrong part with an honest 206: the hash cannot match; the part is removed.
        const dest3 = join(dir, "corrupt.h5");
        await Deno.writeFile(`${dest3}.part`, new Uint8Array(1000).fill(7));
        const bad = await downloadFile(info.url, dest3, opts).catch((e) => e);
        assert.ok(bad instanceof AccessServiceError);
        assert.match(
          bad.message,
          /^sha256 mismatch for corrupt\.h5: expected [0-9a-f]{16}…, got [0-9a-f]{16}…/,
        );
        assert.equal(await pathExists(`${dest3}.part`), false);
        assert.equal(await pathExists(dest3), false);
      });
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("access: downloadFile with a wrong expected sha256 removes the part and says so", async () => {
  await withService({}, async (svc) => {
    const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
    const info = grant.files.find((f) => f.name === "task-images_metadata.csv")!;
    await tempDir(async (dir) => {
      const dest = join(dir, "task-images_metadata.csv");
      const e = await downloadFile(info.url, dest, {
        expectedSize: info.size,
        expectedSha256: "0".repeat(64),
        quiet: true,
      }).catch((e) => e);
      assert.ok(e instanceof AccessServiceError);
      assert.match(e.message, /^sha256 mismatch for task-images_metadata\.csv: expected 0{16}…/);
      assert.equal(await pathExists(`${dest}.part`), false);
      assert.equal(await pathExists(dest), false);
    });
  });
});

Deno.test("access: an expired presigned URL fails with the clear error", async () => {
  await withService({ expiresIn: 1 }, async (svc) => {
    const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
    const info = grant.files.find((f) => f.name === "task-images_metadata.csv")!;
    await new Promise((r) => setTimeout(r, 2500));
    await tempDir(async (dir) => {
      const e = await downloadFile(info.url, join(dir, "m.csv"), {
        expectedSize: info.size,
        expectedSha256: info.sha256,
        quiet: true,
      }).catch((e) => e);
      assert.ok(e instanceof AccessServiceError, String(e));
      assert.equal(e.status, 403);
      assert.equal(
        e.message,
        "Download of m.csv failed: HTTP 403 (the presigned URL may have expired; ask for a fresh one)",
      );
    });
  });
});

Deno.test("access: downloadStimuli — form, download, then up to date with no access call", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      const authFile = join(dir, "auth.json");
      const dataDir = join(dir, "data");
      await Deno.mkdir(dataDir);
      const opts = { dataDir, serverUrl: svc.url, authFile, quiet: true, form: FORM };
      const paths = await downloadStimuli(opts);
      assert.deepEqual(paths, {
        "task-images_stimuli.h5": join(dataDir, IMAGES_KEY),
        "task-images_metadata.csv": join(dataDir, METADATA_KEY),
      });
      assert.deepEqual(await Deno.readFile(paths["task-images_stimuli.h5"]), IMAGES);
      assert.deepEqual(
        await Deno.readFile(paths["task-images_metadata.csv"]),
        OBJECTS[METADATA_KEY],
      );
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      const before = { ...svc.requests };
      await downloadStimuli(opts);
      assert.equal(svc.requests["GET /api/v1/manifest"], before["GET /api/v1/manifest"] + 1);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      assert.equal(svc.requests["POST /api/v1/refresh"], undefined);

      // One file gone: the cached id gets fresh URLs (refresh), no form.
      await Deno.remove(paths["task-images_metadata.csv"]);
      await downloadStimuli({ ...opts, form: undefined, prompt: () => assert.fail("no form") });
      assert.equal(svc.requests["POST /api/v1/refresh"], 1);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);

      // An id unknown to the server: the form runs again.
      await saveRequestId("unknown-id", { authFile });
      await Deno.remove(paths["task-images_metadata.csv"]);
      await downloadStimuli(opts);
      assert.equal(svc.requests["POST /api/v1/access/request"], 2);
      assert.notEqual(await loadRequestId({ authFile }), "unknown-id");

      // A revoked id is an error, not a new form.
      svc.revoke((await loadRequestId({ authFile }))!);
      await Deno.remove(paths["task-images_metadata.csv"]);
      await assert.rejects(downloadStimuli(opts), AccessRevokedError);
    });
  });
});

Deno.test("access: downloadStimuli into a data directory that does not exist: the data-dir error, nothing created or asked", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      const dataDir = join(dir, "typo");
      const authFile = join(dir, "auth.json");
      // Before: the download created the folder (mkdir -p), as the CLI alone refused it.
      await assert.rejects(
        downloadStimuli({ dataDir, serverUrl: svc.url, authFile, quiet: true, form: FORM }),
        (e: unknown) => {
          assert.ok(e instanceof DataDirNotFoundError, String(e));
          assert.equal(
            e.message,
            `Data directory does not exist: ${dataDir}. Create it first (mkdir -p ${dataDir}).`,
          );
          return true;
        },
      );
      assert.equal(await pathExists(dataDir), false);
      assert.equal(await pathExists(authFile), false, "no request filed");
      assert.deepEqual(svc.requests, {}, "nothing asked of the service");
    });
  });
});

Deno.test("access: form.purpose and form.researchPurpose that differ: a TypeError showing both", async () => {
  await tempDir(async (dir) => {
    const authFile = join(dir, "auth.json");
    await assert.rejects(
      requestStimulusAccess({
        serverUrl: "http://127.0.0.1:9",
        authFile,
        quiet: true,
        form: { ...FORM, purpose: "Encoding models.", researchPurpose: 'Decoding "faces".' },
      }),
      (e: unknown) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(
          e.message,
          "form.purpose and form.researchPurpose are the same answer and differ " +
            `("Encoding models." vs "Decoding \\"faces\\"."): give one of them.`,
        );
        return true;
      },
    );
    assert.equal(await pathExists(authFile), false);
  });
});

Deno.test("access: an aborted downloadFile keeps its part; the next call resumes it", async () => {
  const proxy = new FaultProxy(localEndpoint(), ACCESS_BUCKET);
  try {
    await withService({ urlOrigin: proxy.url }, async (svc) => {
      const grant = await submitAccessRequest(clientForm(), { serverUrl: svc.url });
      const info = grant.files.find((f) => f.name === "task-images_stimuli.h5")!;
      const opts = { expectedSize: info.size, expectedSha256: info.sha256, quiet: true };
      await tempDir(async (dir) => {
        const dest = join(dir, "task-images_stimuli.h5");
        proxy.bytesPerSecond = 400_000;
        const stop = new AbortController();
        const reason = new Error("stopped by the test");
        const e = await downloadFile(info.url, dest, {
          ...opts,
          signal: stop.signal,
          onProgress: (p) => {
            if (p.doneBytes > 100_000) stop.abort(reason);
          },
        }).catch((e) => e);
        assert.equal(e, reason);
        const part = (await Deno.stat(`${dest}.part`)).size;
        assert.ok(part > 100_000 && part < IMAGES.length, `part of ${part} bytes`);
        proxy.bytesPerSecond = undefined;
        const resumed = await downloadFile(info.url, dest, opts);
        assert.equal(resumed.status, "resumed");
        assert.equal(proxy.gets().at(-1)!.rangeStart, part);
        assert.deepEqual(await Deno.readFile(dest), IMAGES);
      });
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("access: a missing permission is an error naming the flag", async () => {
  await tempDir(async (dir) => {
    const script = join(dir, "probe.ts");
    const lib = new URL("../lib/access/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { fetchManifest } from "${lib}";\n` +
        `for (const o of [{}, { serverUrl: "http://127.0.0.1:5999" }]) {\n` +
        `  await fetchManifest(o).catch((e) => console.log(e.name + ": " + e.message));\n}\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", `--allow-read`, script],
      env: { NO_COLOR: "1" },
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    assert.deepEqual(lines, [
      "PermissionMissingError: Permission needed to choose the stimulus access service: run deno with --allow-env=LAION_FMRI_ACCESS_URL",
      "PermissionMissingError: Permission needed to reach the stimulus access service: run deno with --allow-net=127.0.0.1:5999",
    ], new TextDecoder().decode(out.stderr));
  });
});

Deno.test("access: each answer is checked as it is given; a wrong one is asked again, the others kept", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      const authFile = join(dir, "auth.json");
      // Before: "", "Ada Lovelace" as the email and a 5-character purpose were all accepted,
      // then the service's raw 422 came back and every answer was lost; "y" cancelled.
      const { grant, asked, out } = await askWith(svc.url, authFile, [
        "", // name: empty, asked again
        FORM.name,
        "Ada Lovelace", // not an email, asked again
        FORM.email,
        FORM.institution,
        "",
        "short", // purpose of 5 characters, asked again
        FORM.researchPurpose,
        "maybe", // neither yes nor no, asked again
        "y",
      ]);
      assert.deepEqual(asked.slice(0, 8), [
        "Full name: ",
        "Full name: ",
        "Institutional email: ",
        "Institutional email: ",
        "Institution / affiliation: ",
        "PI / supervisor (optional, Enter to skip): ",
        "> ",
        "> ",
      ]);
      assert.equal(asked.length, 10);
      for (const q of asked.slice(8)) assert.match(q, /Type 'yes' to submit: $/);
      assert.ok(out.includes("  ✗ required (your full name); please answer again."), out);
      assert.ok(
        out.includes(
          '  ✗ "Ada Lovelace" is not a valid email address (like name@institution.edu); please answer again.',
        ),
        out,
      );
      assert.ok(
        out.includes("  ✗ 5 characters; the service needs at least 20; please answer again."),
      );
      assert.ok(out.includes("  ✗ Please answer yes (y) or no (n)."));
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      assert.equal(await loadRequestId({ authFile }), grant.requestId);
    });
  });
});

Deno.test("access: an incomplete form or no one to ask is a typed error naming the fields, the CLI flags and the cell; nothing is submitted", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      const authFile = join(dir, "auth.json");
      // The marked notebook cell as committed: every answer empty.
      const accessForm = { name: "", email: "", purpose: "", acceptTerms: false };
      const e = await requestStimulusAccess({ serverUrl: svc.url, authFile, form: accessForm })
        .catch((e) => e);
      assert.ok(e instanceof AccessFormError, String(e));
      assert.deepEqual(Object.keys(e.fields), ["name", "email", "purpose", "acceptTerms"]);
      assert.match(
        e.message,
        /^The stimulus access form is not complete, so nothing was submitted/,
      );
      assert.ok(e.message.includes(`// ${ACCESS_FORM_CELL}`), e.message);
      assert.ok(e.message.includes("laion-fmri request-access --name "), e.message);
      assert.ok(e.message.includes("--accept-terms"));
      assert.ok(e.message.includes(`${svc.url}/terms`));
      // Partly answered: only the wrong ones are named, the good answers kept on the error.
      const partial = await requestStimulusAccess({
        serverUrl: svc.url,
        authFile,
        form: { name: "Ada", email: "Ada Lovelace", purpose: "short", acceptTerms: true },
      }).catch((e) => e);
      assert.ok(partial instanceof AccessFormError);
      assert.deepEqual(partial.fields, {
        email: '"Ada Lovelace" is not a valid email address (like name@institution.edu)',
        purpose: "5 characters; the service needs at least 20",
      });
      assert.deepEqual(partial.answers, { name: "Ada", acceptTerms: true });
      // The input ends (no terminal): the fields still open are named, not "cancelled by user".
      const ended = await requestStimulusAccess({
        serverUrl: svc.url,
        authFile,
        quiet: true,
        prompt: () => null,
      }).catch((e) => e);
      assert.ok(ended instanceof AccessFormError);
      assert.match(ended.message, /no terminal to ask on/);
      assert.deepEqual(Object.keys(ended.fields), ["name", "email", "purpose", "acceptTerms"]);
      // downloadStimuli with no request id and the empty cell: the same error, nothing filed.
      const dl = await downloadStimuli({
        serverUrl: svc.url,
        authFile,
        dataDir: dir,
        quiet: true,
        form: accessForm,
      }).catch((e) => e);
      assert.ok(dl instanceof AccessFormError, String(dl));
      assert.equal(svc.requests["POST /api/v1/access/request"], undefined);
      assert.equal(await pathExists(authFile), false);
    });
  });
});

Deno.test("access: a 422 that still comes back re-asks only the fields it names", async () => {
  // A service stricter than the client (a purpose of 60+ characters).
  await withService({ minPurposeLength: 60 }, async (svc) => {
    await tempDir(async (dir) => {
      const authFile = join(dir, "auth.json");
      const long = "Encoding models of the ventral visual stream, fitted per voxel on CLIP.";
      const answers = [FORM.name, FORM.email, "", "", FORM.researchPurpose, "yes", long];
      const asked: string[] = [];
      const grant = await requestStimulusAccess({
        serverUrl: svc.url,
        authFile,
        quiet: true,
        prompt: (q) => {
          asked.push(q);
          return answers.shift();
        },
      });
      assert.equal(asked.length, 7);
      assert.equal(asked[6], "> "); // only the purpose again; the terms stay accepted
      assert.equal(svc.requests["POST /api/v1/access/request"], 2);
      assert.equal(await loadRequestId({ authFile }), grant.requestId);
      // No one to ask: the typed error names the field and keeps the other answers.
      const e = await requestStimulusAccess({
        serverUrl: svc.url,
        authFile,
        quiet: true,
        form: FORM,
      }).catch((e) => e);
      assert.ok(e instanceof AccessFormError, String(e));
      assert.equal(e.status, 422);
      assert.deepEqual(e.fields, { purpose: "String should have at least 60 characters" });
      assert.deepEqual(e.answers, {
        name: FORM.name,
        email: FORM.email,
        institution: FORM.institution,
        acceptTerms: true,
      });
    });
  });
});

Deno.test("access: a granted id is printed and kept even when the cache cannot be written", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "not-a-folder"), "");
      const authFile = join(dir, "not-a-folder", "auth.json");
      const printed: string[] = [];
      const log = console.log;
      console.log = (s: string) => printed.push(s);
      let e;
      try {
        e = await requestStimulusAccess({ serverUrl: svc.url, authFile, form: FORM }).catch((e) =>
          e
        );
      } finally {
        console.log = log;
      }
      // Before: Deno's own error, the id neither printed nor saved.
      assert.ok(e instanceof AccessServiceError, String(e));
      const id = e.message.match(/request_id ([0-9a-f]{32})/)?.[1];
      assert.ok(id, e.message);
      assert.ok(printed.join("\n").includes(`request_id: ${id}`));
      assert.match(e.message, /set LAION_FMRI_REQUEST_ID=[0-9a-f]{32}/);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      const fresh = await refreshUrls(id, { serverUrl: svc.url });
      assert.equal(fresh.files.length, 2);
    });
  });
});

/** Runs `downloadStimuli` in a subprocess with exactly `flags`; its last line is the result. */
async function probeDownload(
  flags: string[],
  env: Record<string, string>,
  dataDir: string,
): Promise<{ line: string; stdout: string; stderr: string }> {
  const lib = new URL("../lib/access/mod.ts", import.meta.url).href;
  const script = join(env.HOME, "probe.ts");
  await Deno.writeTextFile(
    script,
    `import { downloadStimuli } from "${lib}";\n` +
      `const form = ${JSON.stringify(FORM)};\n` +
      `try {\n  const p = await downloadStimuli({ dataDir: Deno.args[0] || undefined, form, quiet: true });\n` +
      `  console.log("OK " + Object.keys(p).join(","));\n` +
      `} catch (e) { console.log(e.name + ": " + e.message); }\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", `--allow-read=${script}`, ...flags, script, dataDir],
    env: { NO_COLOR: "1", DENO_DIR: denoDir(), ...env },
    clearEnv: true,
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    line: stdout.trim().split("\n").at(-1) ?? "",
    stdout,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("access: README's flags for downloadStimuli — every missing grant named at once, before the form", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (home) => {
      const data = join(home, "data");
      await Deno.mkdir(data);
      const s3 = new URL(localEndpoint()).host;
      const service = new URL(svc.url).host;
      const env = {
        HOME: home,
        LAION_FMRI_ACCESS_URL: svc.url,
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
      };
      // The row README had: net to the service, three variables, write to the data dir.
      const readme = [
        `--allow-net=${service}`,
        "--allow-env=LAION_FMRI_ACCESS_URL,LAION_FMRI_REQUEST_ID,HOME",
        `--allow-write=${data}`,
      ];
      const auth = join(home, ".cache", "laion-fmri", "auth.json");
      const first = await probeDownload(readme, env, data);
      // Before: NotCapable on the first read; after the form, NotCapable on the cache folder.
      assert.equal(
        first.line,
        "PermissionMissingError: Permission needed to request and download the stimulus images: " +
          `run deno with --allow-read=${dirname(auth)},${data} --allow-write=${dirname(auth)} ` +
          "--allow-env=LAION_FMRI_S3_ENDPOINT --allow-net=<host of $LAION_FMRI_S3_ENDPOINT>",
        first.stdout + first.stderr,
      );
      assert.deepEqual(svc.requests, {}, "nothing asked of the service before the grants");
      // No dataDir: the configured one; its variable, the config file and the folder are named
      // with the rest (before: XDG_CONFIG_HOME alone, then the next grant on each rerun).
      const noDir = await probeDownload(readme, env, "");
      assert.equal(
        noDir.line,
        "PermissionMissingError: Permission needed to request and download the stimulus images: " +
          `run deno with --allow-read=${dirname(auth)},<config file>,<data dir> ` +
          `--allow-write=${dirname(auth)},<data dir> ` +
          "--allow-env=XDG_CONFIG_HOME,LAION_FMRI_S3_ENDPOINT --allow-net=<host of $LAION_FMRI_S3_ENDPOINT>",
        noDir.stdout + noDir.stderr,
      );
      // Exactly the flags named: one run downloads everything.
      // The row README gets: those flags added.
      const flags = [
        `--allow-net=${service},${s3}`,
        "--allow-env=LAION_FMRI_ACCESS_URL,LAION_FMRI_REQUEST_ID,HOME,LAION_FMRI_S3_ENDPOINT",
        `--allow-read=${dirname(auth)},${data}`,
        `--allow-write=${data},${dirname(auth)}`,
      ];
      // The variable readable, its host is named (still before the form).
      const noS3 = await probeDownload([`--allow-net=${service}`, ...flags.slice(1)], env, data);
      assert.equal(
        noS3.line,
        "PermissionMissingError: Permission needed to request and download the stimulus images: " +
          `run deno with --allow-net=${s3}`,
        noS3.stderr,
      );
      assert.deepEqual(svc.requests, {});
      const second = await probeDownload(flags, env, data);
      assert.equal(
        second.line,
        "OK task-images_stimuli.h5,task-images_metadata.csv",
        second.stderr,
      );
      assert.deepEqual(await Deno.readFile(join(data, IMAGES_KEY)), IMAGES);
      assert.equal((await Deno.stat(auth)).mode! & 0o777, 0o600);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      // With the id in the environment: no cache is read or written, and no form.
      await Deno.remove(join(data, METADATA_KEY));
      const id = JSON.parse(await Deno.readTextFile(auth)).request_id;
      const third = await probeDownload(
        [
          `--allow-net=${service},${s3}`,
          "--allow-env=LAION_FMRI_ACCESS_URL,LAION_FMRI_REQUEST_ID,HOME,LAION_FMRI_S3_ENDPOINT",
          `--allow-read=${data}`,
          `--allow-write=${data}`,
        ],
        { ...env, LAION_FMRI_REQUEST_ID: id },
        data,
      );
      assert.equal(third.line, "OK task-images_stimuli.h5,task-images_metadata.csv", third.stderr);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      assert.equal(svc.requests["POST /api/v1/refresh"], 1);
    });
  });
});

Deno.test("access: presigned URLs to a host not granted — the id is saved first, the rerun asks no form", async () => {
  const proxy = new FaultProxy(localEndpoint(), ACCESS_BUCKET);
  try {
    await withService({ urlOrigin: proxy.url }, async (svc) => {
      await tempDir(async (home) => {
        const data = join(home, "data");
        await Deno.mkdir(data);
        const auth = join(home, ".cache", "laion-fmri", "auth.json");
        const s3 = new URL(localEndpoint()).host;
        const env = {
          HOME: home,
          LAION_FMRI_ACCESS_URL: svc.url,
          LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        };
        const base = [
          "--allow-env=LAION_FMRI_ACCESS_URL,LAION_FMRI_REQUEST_ID,HOME,LAION_FMRI_S3_ENDPOINT",
          `--allow-read=${dirname(auth)},${data}`,
          `--allow-write=${data},${dirname(auth)}`,
        ];
        const hosts = `${new URL(svc.url).host},${s3}`;
        const first = await probeDownload([...base, `--allow-net=${hosts}`], env, data);
        assert.equal(
          first.line,
          "PermissionMissingError: Permission needed to download the stimulus images from the " +
            `presigned URLs (your request id is kept in ${auth}; the rerun asks no form): run deno ` +
            `with --allow-net=${new URL(proxy.url).host}`,
          first.stderr,
        );
        assert.equal(svc.requests["POST /api/v1/access/request"], 1);
        const again = await probeDownload(
          [...base, `--allow-net=${hosts},${new URL(proxy.url).host}`],
          env,
          data,
        );
        assert.equal(
          again.line,
          "OK task-images_stimuli.h5,task-images_metadata.csv",
          again.stderr,
        );
        assert.equal(svc.requests["POST /api/v1/access/request"], 1, "no second request");
        assert.equal(svc.requests["POST /api/v1/refresh"], 1);
      });
    });
  } finally {
    await proxy.close();
  }
});

Deno.test("access: in a real terminal (a pty) the default prompt asks, re-asks a wrong answer, and 'y' submits", async () => {
  await withService({}, async (svc) => {
    await tempDir(async (home) => {
      const lib = new URL("../lib/access/mod.ts", import.meta.url).href;
      const script = join(home, "probe.ts");
      await Deno.writeTextFile(
        script,
        `import { requestStimulusAccess } from "${lib}";\n` +
          `try { const g = await requestStimulusAccess({ quiet: true }); console.log("GRANTED " + g.requestId); }\n` +
          `catch (e) { console.log(e.name + ": " + e.message); }\n`,
      );
      const cache = join(home, ".cache", "laion-fmri");
      const deno = [
        Deno.execPath(),
        "run",
        "--no-prompt",
        `--allow-read=${script},${cache}`,
        `--allow-write=${cache}`,
        `--allow-net=${new URL(svc.url).host}`,
        "--allow-env=LAION_FMRI_ACCESS_URL,HOME",
        script,
      ].join(" ");
      // util-linux `script` gives the child a pseudo-terminal: Deno.stdin.isTerminal() is true.
      const child = new Deno.Command("script", {
        args: ["-qec", deno, "/dev/null"],
        env: { HOME: home, LAION_FMRI_ACCESS_URL: svc.url, DENO_DIR: denoDir(), NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(
        new TextEncoder().encode(
          [FORM.name, "Ada Lovelace", FORM.email, "", "", "short", FORM.researchPurpose, "y", ""]
            .join("\n"),
        ),
      );
      await w.close();
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout).replaceAll("\r", "");
      const id = text.match(/GRANTED ([0-9a-f]{32})/)?.[1];
      assert.ok(id, text + new TextDecoder().decode(out.stderr));
      // Even with quiet: true, the person sees why a question comes again.
      assert.ok(text.includes('"Ada Lovelace" is not a valid email address'), text);
      assert.ok(text.includes("5 characters; the service needs at least 20"), text);
      assert.equal(svc.requests["POST /api/v1/access/request"], 1);
      const auth = JSON.parse(await Deno.readTextFile(join(cache, "auth.json")));
      assert.equal(auth.request_id, id);
    });
  });
});
