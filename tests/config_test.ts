// deno test --allow-env --allow-read --allow-write tests/config_test.ts
import assert from "node:assert/strict";
import { join } from "node:path";
import { configPath, datasetInitialize, getDataDir } from "../lib/local/config.ts";
import { DataDirNotFoundError, DataDirNotSetError } from "../lib/core/errors.ts";

async function withXdg(fn: (xdg: string) => Promise<void>) {
  const xdg = await Deno.makeTempDir({ prefix: "laion-xdg-" });
  const before = Deno.env.get("XDG_CONFIG_HOME");
  Deno.env.set("XDG_CONFIG_HOME", xdg);
  try {
    await fn(xdg);
  } finally {
    if (before === undefined) Deno.env.delete("XDG_CONFIG_HOME");
    else Deno.env.set("XDG_CONFIG_HOME", before);
    await Deno.remove(xdg, { recursive: true });
  }
}

Deno.test("getDataDir without a config file throws DataDirNotSetError naming the fix", async () => {
  await withXdg(() => {
    assert.throws(() => getDataDir(), (e: unknown) => {
      assert.ok(e instanceof DataDirNotSetError);
      assert.match(e.message, /datasetInitialize/);
      return true;
    });
    return Promise.resolve();
  });
});

Deno.test("datasetInitialize round trip stores the absolute path", async () => {
  await withXdg(async (xdg) => {
    const data = await Deno.makeTempDir({ prefix: "laion-data-" });
    const cwd = Deno.cwd();
    try {
      Deno.chdir(join(data, ".."));
      const relative = data.split("/").pop()!;
      assert.equal(await datasetInitialize(relative), data);
      assert.equal(getDataDir(), data);
      assert.equal(configPath(), join(xdg, "laion_fmri", "config.json"));
      const stored = JSON.parse(await Deno.readTextFile(configPath()));
      assert.deepEqual(stored, { data_dir: data });
      assert.ok((await Deno.stat(join(data, ".laion_fmri"))).isDirectory);
      // Re-initializing overwrites.
      const other = await Deno.makeTempDir({ prefix: "laion-data2-" });
      await datasetInitialize(other);
      assert.equal(getDataDir(), other);
      await Deno.remove(other, { recursive: true });
    } finally {
      Deno.chdir(cwd);
      await Deno.remove(data, { recursive: true });
    }
  });
});

Deno.test("datasetInitialize rejects non-strings and missing directories", async () => {
  await withXdg(async () => {
    await assert.rejects(() => datasetInitialize(123 as unknown as string), TypeError);
    await assert.rejects(() => datasetInitialize(null as unknown as string), /must be a string/);
    await assert.rejects(
      () => datasetInitialize("/nonexistent/laion/dir"),
      (e: unknown) =>
        e instanceof DataDirNotFoundError && /\/nonexistent\/laion\/dir/.test(e.message),
    );
  });
});

Deno.test("an empty XDG_CONFIG_HOME falls back to ~/.config", () => {
  const before = Deno.env.get("XDG_CONFIG_HOME");
  Deno.env.set("XDG_CONFIG_HOME", "");
  try {
    assert.equal(configPath(), join(Deno.env.get("HOME")!, ".config", "laion_fmri", "config.json"));
  } finally {
    if (before === undefined) Deno.env.delete("XDG_CONFIG_HOME");
    else Deno.env.set("XDG_CONFIG_HOME", before);
  }
});

Deno.test("datasetInitialize rejects an empty path instead of using the current directory", async () => {
  await withXdg(async (xdg) => {
    await assert.rejects(datasetInitialize(""), TypeError);
    await assert.rejects(datasetInitialize("  "), /must not be empty/);
    await assert.rejects(Deno.stat(join(xdg, "laion_fmri")), Deno.errors.NotFound);
  });
});

Deno.test("datasetInitialize(dir, { persist: false }) holds for this process and leaves the config file alone", async () => {
  await withXdg(async (xdg) => {
    const a = await Deno.makeTempDir();
    const b = await Deno.makeTempDir();
    try {
      await datasetInitialize(a);
      const before = await Deno.readTextFile(configPath());
      assert.equal(await datasetInitialize(b, { persist: false }), b);
      assert.equal(getDataDir(), b);
      assert.equal(await Deno.readTextFile(join(xdg, "laion_fmri", "config.json")), before);
      await datasetInitialize(a); // a persisted choice wins again
      assert.equal(getDataDir(), a);
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  });
});
