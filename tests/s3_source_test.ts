// The S3 layer against the local RGW: pagination, 403, unreachable endpoints.
// deno task test  (needs --allow-net=127.0.0.1 --allow-env --allow-read)
import assert from "node:assert/strict";
import { AccessDeniedError, EndpointUnreachableError, S3RequestError } from "../mod.ts";
import { CachedSource, S3Source } from "../lib/bucket/mod.ts";
import { localEndpoint } from "./_helpers.ts";

Deno.test("list follows continuation tokens across more than 1,000 keys", async () => {
  const s = new S3Source({ endpoint: localEndpoint(), bucket: "laion-fmri-pagination" });
  const { objects } = await s.list("many/");
  assert.equal(objects.length, 2500);
  assert.equal(new Set(objects.map((o) => o.key)).size, 2500);
  assert.equal(objects[0].key, "many/obj-00000.txt");
  assert.equal(objects.at(-1)!.key, "many/obj-02499.txt");
  assert.equal(s.stats.list, 3, "three pages of at most 1,000 keys");
});

Deno.test("list with a delimiter returns common prefixes", async () => {
  const s = new S3Source({ endpoint: localEndpoint() });
  const { commonPrefixes, objects } = await s.list("", { delimiter: "/" });
  assert.deepEqual(commonPrefixes, ["derivatives/"]);
  assert.deepEqual(
    objects.map((o) => o.key).sort(),
    ["README", "dataset_description.json", "participants.json", "participants.tsv"],
  );
});

Deno.test("a held-out key answers 403 as AccessDeniedError, not retried; listing still shows it", async () => {
  const s = new S3Source({ endpoint: localEndpoint() });
  const { objects } = await s.list("derivatives/glmsingle-tedana/sub-01/ses-31/");
  assert.ok(objects.length > 0, "held-out keys are listed");
  const key = objects[0].key;
  await assert.rejects(() => s.get(key), (e: unknown) => {
    assert.ok(e instanceof AccessDeniedError);
    assert.equal(e.key, key);
    assert.match(e.message, /Access denied for s3:\/\/laion-fmri\//);
    return true;
  });
  await assert.rejects(() => s.head(key), AccessDeniedError);
  assert.equal(s.stats.retries, 0);
});

Deno.test("GET streams a public object; a range starts at the offset", async () => {
  const s = new S3Source({ endpoint: localEndpoint() });
  const head = await s.head("participants.tsv");
  const whole = await s.get("participants.tsv");
  const bytes = new Uint8Array(await new Response(whole.body).arrayBuffer());
  assert.equal(whole.status, 200);
  assert.equal(bytes.length, head.size);
  assert.match(new TextDecoder().decode(bytes), /^participant_id\t/);
  const part = await s.get("participants.tsv", { start: 5, ifMatch: head.etag });
  const tail = new Uint8Array(await new Response(part.body).arrayBuffer());
  assert.equal(part.status, 206);
  assert.deepEqual(tail, bytes.slice(5));
  assert.equal(part.contentRange, `bytes 5-${head.size - 1}/${head.size}`);
  const bounded = await s.get("participants.tsv", { start: 5, end: 9 });
  assert.equal(bounded.status, 206);
  assert.deepEqual(
    new Uint8Array(await new Response(bounded.body).arrayBuffer()),
    bytes.slice(5, 10),
  );
  assert.equal(bounded.contentRange, `bytes 5-9/${head.size}`);
  await assert.rejects(
    () => s.get("participants.tsv", { start: 5, ifMatch: "0".repeat(32) }),
    (e: unknown) => e instanceof S3RequestError && e.status === 412,
  );
});

Deno.test("an unreachable endpoint is an error naming it and the env var", async () => {
  const endpoint = "http://127.0.0.1:39"; // nothing listens there
  const s = new S3Source({ endpoint, maxAttempts: 2, minDelayMs: 1 });
  await assert.rejects(() => s.list(""), (e: unknown) => {
    assert.ok(e instanceof EndpointUnreachableError);
    assert.equal(e.endpoint, endpoint);
    assert.match(e.message, /127\.0\.0\.1:39/);
    assert.match(e.message, /LAION_FMRI_S3_ENDPOINT/);
    return true;
  });
});

Deno.test("every bucket error names the endpoint: blocked port, garbage answer, 404, 403", async () => {
  const names = (endpoint: string) => (e: unknown) => {
    assert.ok(e instanceof Error && e.name !== "AbortError", String(e));
    assert.ok(e.message.includes(endpoint), `${e.message} does not name ${endpoint}`);
    return true;
  };
  // A port fetch refuses outright (the fetch standard's "bad ports").
  const blocked = "http://127.0.0.1:6000";
  const b = new S3Source({ endpoint: blocked, maxAttempts: 2, minDelayMs: 1 });
  await assert.rejects(() => b.get("README"), names(blocked));
  await assert.rejects(() => b.list(""), (e: unknown) => {
    assert.ok(e instanceof S3RequestError);
    assert.match(e.message, /another port/);
    return names(blocked)(e);
  });
  // A listening port that answers something that is not HTTP.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode("garbage, not HTTP\r\n\r\n")).catch(() => {});
      conn.close();
    }
  })();
  const garbage = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  try {
    const g = new S3Source({ endpoint: garbage, maxAttempts: 2, minDelayMs: 1 });
    await assert.rejects(() => g.get("README"), names(garbage));
    await assert.rejects(() => g.list(""), names(garbage));
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
  // The real server's refusals: a missing key (404) and a held-out one (403).
  const local = new S3Source({ endpoint: localEndpoint() });
  await assert.rejects(() => local.get("no/such/key"), names(local.endpoint));
  const { objects } = await local.list("derivatives/glmsingle-tedana/sub-01/ses-31/");
  await assert.rejects(() => local.get(objects[0].key), names(local.endpoint));
});

Deno.test("a missing key is an S3RequestError with status 404", async () => {
  const s = new S3Source({ endpoint: localEndpoint() });
  await assert.rejects(
    () => s.head("no/such/key"),
    (e: unknown) => e instanceof S3RequestError && e.status === 404 && e.attempts === 1,
  );
});

Deno.test("a shared cached listing survives one caller's abort; the other caller gets it", async () => {
  const inner = new S3Source({ endpoint: localEndpoint() });
  const cached = new CachedSource(inner);
  const c = new AbortController();
  const first = cached.list("derivatives/rois/", { delimiter: "/", signal: c.signal });
  const second = cached.list("derivatives/rois/", { delimiter: "/" });
  c.abort(new DOMException("stop", "AbortError"));
  await assert.rejects(first, (e: unknown) => (e as Error).name === "AbortError");
  const listing = await second;
  assert.equal(listing.commonPrefixes.length, 5);
  assert.equal(inner.stats.list, 1, "both callers shared one request");
});
