/**
 * The TemplateFlow client (lib/templates) against the synthetic `templateflow`
 * bucket on the local RGW (scripts/with_local_s3.sh seeds it and exports
 * LAION_FMRI_TEMPLATEFLOW_ENDPOINT and LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fetchTemplate,
  FSAVERAGE_VERTICES,
  fsaverageDensity,
  fsaverageMesh,
  MNI305_T1W_KEY,
  mni305Template,
  templateKey,
  templateSettings,
  templateSource,
  TemplateUnavailableError,
} from "../lib/templates/mod.ts";
import { InvalidChoiceError, NoSuchBucketError } from "../lib/core/errors.ts";
import { setWarningHandler } from "../lib/core/warnings.ts";
import { templateflowKeys, type TemplateflowTruth } from "../scripts/generate.ts";
import { FaultProxy } from "./fault_proxy.ts";

const endpoint = Deno.env.get("LAION_FMRI_TEMPLATEFLOW_ENDPOINT");
const synth = Deno.env.get("LAION_FMRI_SYNTH_TEMPLATEFLOW_DIR");
if (!endpoint || !synth) {
  throw new Error("run through scripts/with_local_s3.sh (it seeds the templateflow bucket)");
}
const truth: TemplateflowTruth = JSON.parse(
  await Deno.readTextFile(join(synth, "ground-truth", "templateflow.json")),
);
const root = await Deno.makeTempDir({ prefix: "laion-templates-" });
const stats = () => ({ ...templateSource(endpoint, "templateflow").stats });
const original = (key: string) => Deno.readFile(join(synth, "bucket", key));

Deno.test("templates: keys in TemplateFlow's names, as the synthetic bucket holds them", () => {
  for (const den of ["10k", "41k", "164k"] as const) {
    for (const hemi of ["L", "R"] as const) {
      const key = templateKey({
        template: "fsaverage",
        hemi,
        density: den,
        suffix: "sphere",
        extension: ".surf.gii",
      });
      assert.equal(key, templateflowKeys.fsaverage(hemi, den, "sphere"));
      assert.equal(truth.surfaces[key], FSAVERAGE_VERTICES[den], key);
    }
  }
  assert.equal(
    templateKey({ template: "MNI305", suffix: "T1w", extension: ".nii.gz" }),
    MNI305_T1W_KEY,
  );
  assert.equal(MNI305_T1W_KEY, truth.mni305.key);
  assert.equal(fsaverageDensity("fsaverage5"), "10k");
  assert.equal(fsaverageDensity("fsaverage"), "164k");
  assert.throws(
    () => fsaverageDensity("fsaverage4"),
    (e: unknown) =>
      e instanceof InvalidChoiceError && /fsaverage4/.test(e.message) &&
      /fsaverage5.*fsaverage6.*fsaverage7/.test(e.message),
  );
  assert.throws(
    () => templateKey({ template: "../x", suffix: "T1w", extension: ".nii.gz" }),
    RangeError,
  );
});

Deno.test("templates: settings from env (TEMPLATEFLOW_HOME as templateflow's), explicit options win", () => {
  const home = Deno.env.get("TEMPLATEFLOW_HOME");
  try {
    Deno.env.set("TEMPLATEFLOW_HOME", join(root, "tf-home"));
    const s = templateSettings();
    assert.equal(s.endpoint, endpoint);
    assert.equal(s.bucket, "templateflow");
    assert.equal(s.cacheDir, join(root, "tf-home"));
    Deno.env.delete("TEMPLATEFLOW_HOME");
    assert.equal(
      templateSettings().cacheDir,
      join(Deno.env.get("HOME")!, ".cache", "laion-fmri", "templateflow"),
    );
    assert.deepEqual(templateSettings({ endpoint: "http://x:1", bucket: "tf-b", cacheDir: "/c" }), {
      endpoint: "http://x:1",
      bucket: "tf-b",
      cacheDir: "/c",
    });
  } finally {
    if (home === undefined) Deno.env.delete("TEMPLATEFLOW_HOME");
    else Deno.env.set("TEMPLATEFLOW_HOME", home);
  }
});

Deno.test("templates: fetched once, then read from the cache without any request", async () => {
  const cacheDir = join(root, "cache-a");
  const before = stats();
  const mesh = await fsaverageMesh("L", "fsaverage5", "sphere", { cacheDir });
  const after = stats();
  assert.equal(mesh.nVertices, 10242);
  assert.equal(mesh.faces.length, 3 * 20480);
  const key = templateflowKeys.fsaverage("L", "10k", "sphere");
  assert.equal(mesh.path, join(cacheDir, ...key.split("/")));
  assert.deepEqual(await Deno.readFile(mesh.path), await original(key));
  assert.equal(after.head - before.head, 1);
  assert.equal(after.get - before.get, 1);
  // second call: no request at all
  const again = await fetchTemplate(key, { cacheDir });
  assert.equal(again, mesh.path);
  assert.deepEqual(stats(), after);
  // the 164k sphere and the MNI305 T1w
  const big = await fsaverageMesh("R", "fsaverage", "sphere", { cacheDir });
  assert.equal(big.nVertices, 163842);
  const mni = await mni305Template({ cacheDir });
  assert.deepEqual(await Deno.readFile(mni), await original(MNI305_T1W_KEY));
});

Deno.test("templates: a truncated or corrupt cached file is fetched again", async () => {
  const cacheDir = join(root, "cache-b");
  const key = templateflowKeys.fsaverage("R", "10k", "white");
  const path = await fetchTemplate(key, { cacheDir });
  const want = await original(key);
  // truncated
  await Deno.truncate(path, 1000);
  let before = stats();
  assert.equal(await fetchTemplate(key, { cacheDir }), path);
  assert.equal(stats().get - before.get, 1, "re-fetched");
  assert.deepEqual(await Deno.readFile(path), want);
  // same size, one byte flipped
  const bytes = await Deno.readFile(path);
  bytes[500] ^= 0xff;
  await Deno.writeFile(path, bytes);
  before = stats();
  assert.equal(await fetchTemplate(key, { cacheDir }), path);
  assert.equal(stats().get - before.get, 1, "re-fetched");
  assert.deepEqual(await Deno.readFile(path), want);
  // intact again: no request
  before = stats();
  await fetchTemplate(key, { cacheDir });
  assert.deepEqual(stats(), before);
});

Deno.test("templates: concurrent callers share one fetch", async () => {
  const cacheDir = join(root, "cache-c");
  const key = templateflowKeys.fsaverage("L", "41k", "pial");
  const before = stats();
  const paths = await Promise.all([1, 2, 3].map(() => fetchTemplate(key, { cacheDir })));
  assert.equal(new Set(paths).size, 1);
  assert.equal(stats().get - before.get, 1);
});

Deno.test("templates: offline, the error names the template, the URL and the fix", async () => {
  const cacheDir = join(root, "cache-offline");
  // a port nobody listens on: connection refused
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  await assert.rejects(
    fsaverageMesh("L", "fsaverage6", "sphere", { cacheDir, endpoint: dead }),
    (e: unknown) => {
      assert.ok(e instanceof TemplateUnavailableError, String(e));
      const key = "tpl-fsaverage/tpl-fsaverage_hemi-L_den-41k_sphere.surf.gii";
      assert.equal(e.key, key);
      assert.equal(e.url, `${dead}/templateflow/${key}`);
      assert.match(e.message, /template fsaverage/);
      assert.match(e.message, /tpl-fsaverage_hemi-L_den-41k_sphere\.surf\.gii/);
      assert.ok(e.message.includes(e.url), e.message);
      assert.match(e.message, /cannot be reached/);
      assert.match(e.message, /LAION_FMRI_TEMPLATEFLOW_ENDPOINT/);
      assert.ok(e.message.includes(join(cacheDir, ...key.split("/"))), e.message);
      return true;
    },
  );
  // a key the bucket does not have
  await assert.rejects(
    fetchTemplate("tpl-fsaverage/tpl-fsaverage_hemi-L_den-3k_sphere.surf.gii", { cacheDir }),
    (e: unknown) => e instanceof TemplateUnavailableError && /no such file/.test(e.message),
  );
});

Deno.test("templates: a missing bucket is named as such, not taken for a missing file", async () => {
  const bucket = "templateflow-nope";
  await assert.rejects(
    fetchTemplate(MNI305_T1W_KEY, { cacheDir: join(root, "cache-nobucket"), endpoint, bucket }),
    (e: unknown) => {
      assert.ok(e instanceof TemplateUnavailableError, String(e));
      assert.ok(e.cause instanceof NoSuchBucketError, String(e.cause));
      assert.equal(e.cause.bucket, bucket);
      assert.ok(e.message.includes(`no bucket "${bucket}" at ${endpoint}`), e.message);
      assert.match(e.message, /LAION_FMRI_TEMPLATEFLOW_BUCKET/);
      assert.doesNotMatch(e.message, /no such file/);
      return true;
    },
  );
});

Deno.test("templates: offline, a file already at the cache path (the Python client's) is used, with a warning", async () => {
  const cacheDir = join(root, "cache-python-client");
  const key = templateflowKeys.fsaverage("R", "41k", "sphere");
  const path = join(cacheDir, ...key.split("/"));
  // as templateflow's own client leaves it: the file, and no manifest of ours
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeFile(path, await original(key));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const seen: string[] = [];
  const previous = setWarningHandler((m) => seen.push(m));
  try {
    const mesh = await fsaverageMesh("R", "fsaverage6", "sphere", { cacheDir, endpoint: dead });
    assert.equal(mesh.path, path);
    assert.equal(mesh.nVertices, 40962);
  } finally {
    setWarningHandler(previous);
  }
  assert.equal(seen.length, 1, seen.join("\n"));
  assert.ok(seen[0].includes(path), seen[0]);
  assert.match(seen[0], /unverified/);
  assert.match(seen[0], /cannot be reached/);
});

Deno.test("templates: an aborted signal stops the fetch", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(
    fetchTemplate(MNI305_T1W_KEY, { cacheDir: join(root, "cache-abort"), signal: ac.signal }),
    /stop/,
  );
});

Deno.test("templates: a missing permission names its flag; a cached file needs only --allow-read", async () => {
  const run = async (cacheDir: string, flags: string[]) => {
    const file = join(root, "perm.ts");
    await Deno.writeTextFile(
      file,
      `import { fetchTemplate } from "${new URL("../lib/templates/mod.ts", import.meta.url).href}";
try {
  const p = await fetchTemplate("${MNI305_T1W_KEY}", { cacheDir: ${
        JSON.stringify(cacheDir)
      }, endpoint: "${endpoint}" });
  console.log("path " + p);
} catch (e) { console.log(e.constructor.name + ": " + e.message); }
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-env", ...flags, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  };
  const cacheDir = join(root, "cache-perm");
  const host = new URL(endpoint).host;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // no --allow-net
  let text = await run(cacheDir, ["--allow-read", `--allow-write=${root}`]);
  assert.match(text, new RegExp(`PermissionMissingError: .*--allow-net=${esc(host)}`), text);
  // no --allow-write on the cache folder
  text = await run(cacheDir, ["--allow-read", `--allow-net=${host}`]);
  assert.match(text, new RegExp(`PermissionMissingError: .*--allow-write=${esc(cacheDir)}`), text);
  // no --allow-read on the cache folder
  text = await run(cacheDir, [
    `--allow-read=${Deno.cwd()}`,
    `--allow-net=${host}`,
    `--allow-write=${root}`,
  ]);
  assert.match(text, new RegExp(`PermissionMissingError: .*--allow-read=${esc(cacheDir)}`), text);
  // once cached: read-only, offline
  await fetchTemplate(MNI305_T1W_KEY, { cacheDir });
  text = await run(cacheDir, ["--allow-read"]);
  assert.match(text, /^path .*tpl-MNI305_T1w\.nii\.gz$/m, text);
});

Deno.test("templates: a cut connection and an aborted fetch resume where they stopped", async () => {
  const proxy = new FaultProxy(endpoint, "templateflow");
  try {
    const key = templateflowKeys.fsaverage("L", "164k", "pial");
    const want = await original(key);
    // the connection is reset after 200 kB: the same call resumes with a ranged GET
    proxy.addFault({ kind: "reset", afterBytes: 200_000 });
    const cacheDir = join(root, "cache-resume");
    const path = await fetchTemplate(key, { cacheDir, endpoint: proxy.url });
    assert.deepEqual(await Deno.readFile(path), want);
    const gets = proxy.gets();
    assert.equal(gets.length, 2);
    assert.equal(gets[1].rangeStart, 200_000);
    // a fetch aborted mid-body keeps its partial file; the next call resumes it
    const key2 = templateflowKeys.fsaverage("R", "164k", "pial");
    proxy.addFault({ kind: "stall", afterBytes: 300_000, stallMs: 3000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("user stop")), 400);
    await assert.rejects(
      fetchTemplate(key2, { cacheDir, endpoint: proxy.url, signal: ac.signal }),
      /user stop/,
    );
    // the shared work ends on the stall; wait for its partial file to settle
    const dir = join(cacheDir, "tpl-fsaverage");
    let parts: string[] = [];
    for (let i = 0; i < 100 && parts.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      parts = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        n.includes("hemi-R_den-164k_pial") && n.endsWith(".part")
      );
    }
    assert.equal(parts.length, 1, "a partial file is kept");
    const n = proxy.gets().length;
    const path2 = await fetchTemplate(key2, { cacheDir, endpoint: proxy.url });
    assert.deepEqual(await Deno.readFile(path2), await original(key2));
    const resumed = proxy.gets().slice(n);
    assert.equal(resumed.length, 1);
    assert.ok((resumed[0].rangeStart ?? 0) >= 300_000, `resumed at ${resumed[0].rangeStart}`);
  } finally {
    await proxy.close();
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(root, { recursive: true });
});
