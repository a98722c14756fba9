// The query tour (examples/querying.ts) run exactly as `deno task tour:offline`
// runs it (same permission flags), compared line by line with the seed.
import assert from "node:assert/strict";
import {
  denoDir,
  localEndpoint,
  normalizeLines,
  repoPath,
  seedTourOutput,
  taskCommand,
  upstreamTourText,
} from "./_helpers.ts";

Deno.test("the offline tour prints upstream's output byte for byte, with minimal flags, and leaves the user's config alone", async () => {
  const home = await Deno.makeTempDir({ prefix: "laion-home-" });
  try {
    // A user with their own configuration, kept under an XDG_CONFIG_HOME (before: an uncaught
    // error, since the task could not write there; and the user's data_dir was overwritten).
    const xdg = `${home}/xdg`;
    await Deno.mkdir(`${xdg}/laion_fmri`, { recursive: true });
    const config = `${xdg}/laion_fmri/config.json`;
    const mine = JSON.stringify({ data_dir: `${home}/my-data` });
    await Deno.writeTextFile(config, mine);
    const args = taskCommand("tour:offline", home);
    assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...args, "--stats"],
      cwd: repoPath(""),
      env: {
        HOME: home,
        DENO_DIR: denoDir(),
        XDG_CONFIG_HOME: xdg,
        LAION_FMRI_S3_ENDPOINT: localEndpoint(),
        NO_COLOR: "1",
      },
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    // Byte for byte what upstream's program prints, padding included ...
    assert.equal(stdout, upstreamTourText());
    // ... and, whitespace aside, exactly the seed's documented output.
    assert.deepEqual(normalizeLines(stdout), seedTourOutput());
    const requests = Number(stderr.match(/S3 requests: (\d+) list/)?.[1]);
    assert.ok(requests <= 12, `at most one listing per distinct prefix: ${stderr}`);
    assert.equal(await Deno.readTextFile(config), mine, "the user's configuration is untouched");
    await assert.rejects(Deno.stat(`${home}/.config`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task tour:offline prints the same, and seeds only what the tour reads (bucket laion-fmri)", async () => {
  const home = await Deno.makeTempDir({ prefix: "laion-home-" });
  try {
    const out = await new Deno.Command("deno", {
      args: ["task", "--quiet", "tour:offline"],
      cwd: repoPath(""),
      env: {
        HOME: home,
        DENO_DIR: denoDir(),
        XDG_CONFIG_HOME: `${home}/xdg`,
        NO_COLOR: "1",
        CI: "", // the RGW the other tests use stays up (CI=true would stop it at the end)
      },
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(stdout, upstreamTourText());
    // No other bucket generated or seeded (with_local_s3.sh --buckets laion-fmri).
    for (const other of ["laion-fmri-current", "laion-fmri-pagination", "templateflow"]) {
      assert.ok(!stderr.includes(other), `tour:offline set up ${other}:\n${stderr}`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
