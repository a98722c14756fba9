/**
 * README's permission table, row by row: each row's snippet runs in a
 * subprocess with exactly the backticked `--allow-*` flags of its row
 * (placeholders filled in, parenthesized notes left out) and nothing more,
 * against the local S3 and the local access service where it needs them.
 * A row whose flags fall short fails here, naming the flag Deno asked for.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoDir, localEndpoint, repoPath } from "./_helpers.ts";
import { makeDataDir } from "./_data_dir.ts";
import { writeStimuliFixture } from "./_stimuli_fixture.ts";

interface Row {
  use: string;
  flags: string;
}

/** The rows of the table under `## Permissions`. */
async function tableRows(): Promise<Row[]> {
  const readme = await Deno.readTextFile(repoPath("README.md"));
  const section = readme.slice(readme.indexOf("## Permissions"), readme.indexOf("\n## Use"));
  return section.split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| use ") && !l.startsWith("| ---"))
    .map((l) => {
      const cells = l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      return { use: cells[0], flags: cells[1] };
    });
}

/** The row's flags: its backticked `--allow-*` tokens outside parentheses, plus a row it names. */
function flagsOf(row: Row, rows: Row[]): string[] {
  let text = row.flags;
  for (let prev = ""; prev !== text;) {
    prev = text;
    text = text.replace(/\([^()]*\)/g, "");
  }
  const flags = [...text.matchAll(/`(--allow-[^`]+)`/g)].map((m) => m[1]);
  const named = /the (.+?) row/.exec(text);
  if (named) {
    const other = rows.find((r) => r.use.startsWith(named[1]));
    assert.ok(other, `${row.use} names "the ${named[1]} row", which is not in the table`);
    flags.unshift(...flagsOf(other, rows));
  }
  return flags;
}

const MOD = new URL("../mod.ts", import.meta.url).href;
const PLOT = new URL("../lib/display/mod.ts", import.meta.url).href;

/** Each row's snippet, by the start of its "use" cell: a user's program body. */
const SNIPPETS: Record<string, string> = {
  "discovery": `
    const subjects = await getSubjects();
    if (!subjects.includes("sub-01")) throw new Error(String(subjects));
    if ((await getRois("sub-01", { category: "face" })).length === 0) throw new Error("no ROIs");
    await describe();
    await inspectBucket();`,
  "config": `
    const dir = await datasetInitialize(DATA);
    if (getDataDir() !== dir) throw new Error(getDataDir());`,
  "this process only": `
    const dir = await datasetInitialize(DATA, { persist: false });
    if (getDataDir() !== dir) throw new Error(getDataDir());`,
  "splits": `
    const split = await loadSplit("random_0", { pool: "shared" });
    const [train, test] = await getTrainTestIds("random_0", { pool: "shared" });
    if (!split || train.length === 0 || test.length === 0) throw new Error("empty split");`,
  "download": `
    const r = await download({
      subject: "01", session: "ses-01", suffix: "trials", dataDir: DATA, acceptLicense: true,
    });
    if (r.downloaded === 0) throw new Error(JSON.stringify(r));`,
  "Subject API": `
    const sub = await loadSubject("sub-01", { dataDir: SUBJECT_DATA });
    const df = await sub.getBetas({ session: "ses-01", roi: "FFA1" });
    const m = await sub.getBetaMatrix({ session: "ses-01", roi: "FFA1" });
    if (df.height === 0 || m.values.length === 0) throw new Error("no betas");`,
  "`exportBetas": `
    const s = await exportBetas({
      dataDir: SUBJECT_DATA, subjects: ["sub-01"], sessions: ["ses-01"], roi: "face", outDir: OUT,
    });
    if (s.written.length !== 1) throw new Error(JSON.stringify(s));`,
  "showing a figure": `
    const fig = plotHistogram([1, 2, 2, 3, 3, 3]);
    const bundle = await fig[Symbol.for("Jupyter.display")]();
    if (!bundle["image/svg+xml"].startsWith("<svg") || "image/png" in bundle) {
      throw new Error(Object.keys(bundle).join());
    }`,
  "stimulus images": `
    using stim = await loadStimuli({ dataDir: STIM_DATA });
    const img = await stim.images.get(0);
    const pic = await plotHistogram([1, 2, 2, 3, 3, 3]).toPicture();
    if (img.width === 0 || pic.width === 0) throw new Error("empty");`,
  "saving a picture": `
    const pic = Picture.fromPixels({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
    await pic.save("x/grid.png");`,
  "access service": `
    const paths = await downloadStimuli({
      dataDir: DATA, quiet: true,
      form: { name: "Test Runner", email: "runner@uni.example", institution: "Test Institute",
              researchPurpose: "Checking the permission table of the README.", acceptTerms: true },
    });
    if (Object.keys(paths).length !== 2) throw new Error(JSON.stringify(paths));`,
};

async function runSnippet(
  snippet: string,
  flags: string[],
  dirs: { home: string; data: string; subjectData: string; stimData: string; out: string },
  extraEnv: Record<string, string> = {},
) {
  const program = join(dirs.home, "program.ts");
  await Deno.writeTextFile(
    program,
    `import * as root from ${JSON.stringify(MOD)};\n` +
      `import * as plot from ${JSON.stringify(PLOT)};\n` +
      `const lib = { ...root, ...plot };\n` +
      `const { ${
        [
          "getSubjects",
          "getRois",
          "describe",
          "inspectBucket",
          "datasetInitialize",
          "getDataDir",
          "loadSplit",
          "getTrainTestIds",
          "download",
          "loadSubject",
          "exportBetas",
          "loadStimuli",
          "plotHistogram",
          "Picture",
          "downloadStimuli",
        ].join(", ")
      } } = lib;\n` +
      `const [DATA, SUBJECT_DATA, STIM_DATA, OUT] = Deno.args;\n` +
      `try {${snippet}\n  console.log("OK");\n} catch (e) {\n` +
      `  console.log(\`\${e.constructor.name}: \${e.message}\`);\n  Deno.exit(1);\n}\n`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      repoPath("deno.json"),
      ...flags,
      program,
      dirs.data,
      dirs.subjectData,
      dirs.stimData,
      dirs.out,
    ],
    cwd: dirs.home,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: dirs.home,
      XDG_CONFIG_HOME: join(dirs.home, ".config"),
      DENO_DIR: denoDir(),
      NO_COLOR: "1",
      LAION_FMRI_S3_ENDPOINT: localEndpoint(),
      ...(Deno.env.get("LAION_FMRI_ACCESS_URL")
        ? { LAION_FMRI_ACCESS_URL: Deno.env.get("LAION_FMRI_ACCESS_URL")! }
        : {}),
      ...(Deno.env.get("LAION_FMRI_SPLITS_DIR")
        ? { LAION_FMRI_SPLITS_DIR: Deno.env.get("LAION_FMRI_SPLITS_DIR")! }
        : {}),
      ...extraEnv,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout).trim(), stderr: text(out.stderr) };
}

Deno.test("README permission table: every row's snippet runs with exactly its row's flags", async (t) => {
  const rows = await tableRows();
  assert.deepEqual(
    rows.map((r) => Object.keys(SNIPPETS).find((k) => r.use.startsWith(k)) ?? r.use),
    Object.keys(SNIPPETS),
    "every row has a snippet here, and every snippet a row",
  );
  const accessUrl = Deno.env.get("LAION_FMRI_ACCESS_URL");
  assert.ok(accessUrl, "LAION_FMRI_ACCESS_URL is not set: run the tests with `deno task test`");
  const subjectData = await makeDataDir();
  const stimData = await Deno.makeTempDir({ prefix: "perm_stim_" });
  await writeStimuliFixture(stimData);
  try {
    for (const row of rows) {
      const key = Object.keys(SNIPPETS).find((k) => row.use.startsWith(k))!;
      await t.step(row.use, async () => {
        const home = await Deno.makeTempDir({ prefix: "perm_row_" });
        try {
          const data = join(home, "data");
          const out = join(home, "out");
          await Deno.mkdir(data);
          await Deno.mkdir(join(home, "x"));
          const dirs = { home, data, subjectData, stimData, out };
          const fill = (flag: string) =>
            flag
              .replaceAll("<bucket host>", new URL(localEndpoint()).host)
              .replaceAll("<service host>", new URL(accessUrl).host)
              .replaceAll("<data dir>", data)
              .replaceAll("<config dir>", join(home, ".config", "laion_fmri"))
              .replaceAll("<cache dir>", join(home, ".cache", "laion-fmri"))
              .replaceAll("<out dir>", out)
              .replaceAll("<folder>", "x");
          const flags = flagsOf(row, rows).map(fill);
          // a row says "none" when its use needs no permission; any other row lists flags
          assert.ok(
            flags.length > 0 || row.flags.startsWith("none"),
            `no flags in the row of ${row.use}`,
          );
          const r = await runSnippet(SNIPPETS[key], flags, dirs);
          assert.equal(
            r.stdout.split("\n").at(-1),
            "OK",
            `${row.use} with ${flags.join(" ")}:\n${r.stdout}\n${r.stderr}`,
          );
          if (Deno.env.get("LAION_FMRI_PERMISSIONS_MINIMAL")) {
            // Exploration (not run in CI): which flag, or which name of a list, is not needed?
            const parts = flags.flatMap((f, i) => {
              const [name, list] = f.split("=");
              const items = list?.split(",") ?? [];
              return [
                flags.filter((_, j) => j !== i),
                ...(items.length > 1
                  ? items.map((_, k) =>
                    flags.map((g, j) =>
                      j === i ? `${name}=${items.filter((_, q) => q !== k).join(",")}` : g
                    )
                  )
                  : []),
              ];
            });
            for (const fewer of parts) {
              await Deno.remove(data, { recursive: true }).catch(() => {});
              await Deno.remove(out, { recursive: true }).catch(() => {});
              await Deno.remove(join(home, ".config"), { recursive: true }).catch(() => {});
              await Deno.remove(join(home, ".cache"), { recursive: true }).catch(() => {});
              await Deno.mkdir(data, { recursive: true });
              const q = await runSnippet(SNIPPETS[key], fewer, dirs);
              if (q.stdout.split("\n").at(-1) === "OK") {
                console.log(
                  `NOT NEEDED in ${key}: ${flags.filter((f) => !fewer.includes(f))} -> ${
                    fewer.join(" ")
                  }`,
                );
              }
            }
          }
        } finally {
          await Deno.remove(home, { recursive: true });
        }
      });
    }
  } finally {
    await Deno.remove(subjectData, { recursive: true });
    await Deno.remove(stimData, { recursive: true });
  }
});

Deno.test("saving a picture with a grant for the file alone names the folder's flag", async () => {
  const home = await Deno.makeTempDir({ prefix: "perm_save_" });
  try {
    await Deno.mkdir(join(home, "x"));
    const dirs = { home, data: home, subjectData: home, stimData: home, out: home };
    const r = await runSnippet(SNIPPETS["saving a picture"], ["--allow-write=x/grid.png"], dirs);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /^PermissionMissingError: Permission needed to write x\/grid\.png \(.*temporary file.*folder.*\): run deno with --allow-read=x --allow-write=x$/,
    );
    assert.deepEqual([...Deno.readDirSync(join(home, "x"))], [], "a temp file was left behind");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
