// exportBetas: Hive-partitioned Parquet/Arrow, read back with Polars and DuckDB.
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";
import { exportBetas, loadSubject } from "../mod.ts";
import { makeDataDir } from "./_data_dir.ts";

const dataDir = await makeDataDir();

Deno.test("exportBetas writes one Parquet file per subject and session; Polars and DuckDB read it back", async () => {
  const outDir = join(dataDir, "export");
  const events: string[] = [];
  const summary = await exportBetas({
    dataDir,
    subjects: ["sub-01", "05"],
    sessions: ["ses-01", "ses-02"],
    roi: "face",
    outDir,
    onProgress: (e) => events.push(`${e.done}/${e.total} ${e.subject} ${e.session} ${e.skipped}`),
  });
  assert.equal(summary.written.length, 4);
  assert.deepEqual(events, [
    "1/4 sub-01 ses-01 false",
    "2/4 sub-01 ses-02 false",
    "3/4 sub-05 ses-01 false",
    "4/4 sub-05 ses-02 false",
  ]);
  const part = join(outDir, "subject=sub-05", "session=ses-02", "part.parquet");
  const back = pl.readParquet(part);
  const expected = await (await loadSubject("sub-05", { dataDir })).getBetas({
    session: "ses-02",
    roi: "face",
  });
  assert.deepEqual(back.columns, expected.columns);
  assert.deepEqual(back.getColumn("label").toArray(), expected.getColumn("label").toArray());
  assert.deepEqual(
    (back.getColumn("betas").toArray() as unknown as ArrayLike<number>[]).map((r) => Array.from(r)),
    (expected.getColumn("betas").toArray() as unknown as ArrayLike<number>[]).map((r) =>
      Array.from(r)
    ),
  );
  const voxels = pl.readParquet(join(outDir, "_voxels", "sub-05_ses-02.parquet"));
  assert.deepEqual(voxels.columns, ["brain_index", "i", "j", "k"]);
  assert.equal(
    voxels.height,
    (expected.getColumn("betas").toArray()[0] as unknown as ArrayLike<number>).length,
  );

  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const glob = join(outDir, "*", "*", "part.parquet");
  const counts = await conn.runAndReadAll(
    `SELECT subject, session, count(*) AS n FROM read_parquet('${glob}', hive_partitioning = true)
     GROUP BY ALL ORDER BY ALL`,
  );
  const sub1 = await loadSubject("sub-01", { dataDir });
  const n = async (s: typeof sub1, ses: string) => (await s.getTrialInfo({ session: ses })).height;
  const sub5 = await loadSubject("sub-05", { dataDir });
  assert.deepEqual(counts.getRowsJson(), [
    ["sub-01", "ses-01", String(await n(sub1, "ses-01"))],
    ["sub-01", "ses-02", String(await n(sub1, "ses-02"))],
    ["sub-05", "ses-01", String(await n(sub5, "ses-01"))],
    ["sub-05", "ses-02", String(await n(sub5, "ses-02"))],
  ]);
  const row = await conn.runAndReadAll(
    `SELECT betas FROM read_parquet('${glob}', hive_partitioning = true)
     WHERE subject = 'sub-05' AND session = 'ses-02' AND beta_index = 0 AND run = 1`,
  );
  const want = Array.from(expected.getColumn("betas").toArray()[0] as unknown as ArrayLike<number>);
  const got = (row.getRowsJson()[0][0] as unknown as number[]).map(Number);
  got.forEach((v, c) =>
    assert.ok(Math.abs(v - want[c]) < 1e-6 || (Number.isNaN(v) && Number.isNaN(want[c])))
  );
  conn.closeSync();

  // Resumable: finished partitions are skipped.
  const again = await exportBetas({
    dataDir,
    subjects: ["sub-01"],
    sessions: ["ses-01"],
    roi: "face",
    outDir,
  });
  assert.deepEqual(again.written, []);
  assert.equal(again.skipped.length, 1);
  const leftovers = [...Deno.readDirSync(join(outDir, "subject=sub-01", "session=ses-01"))].map((
    e,
  ) => e.name);
  assert.deepEqual(leftovers, ["part.parquet"]);
});

Deno.test("exportBetas as Arrow IPC files; bad format and session are named", async () => {
  const outDir = join(dataDir, "export-arrow");
  await exportBetas({
    dataDir,
    subjects: ["sub-03"],
    sessions: ["ses-01"],
    roi: "FFA1",
    format: "arrow",
    outDir,
  });
  const file = join(outDir, "subject=sub-03", "session=ses-01", "part.arrow");
  const back = pl.readIPC(Buffer.from(await Deno.readFile(file)));
  const expected = await (await loadSubject("sub-03", { dataDir })).getBetas({
    session: "ses-01",
    roi: "FFA1",
  });
  assert.equal(back.height, expected.height);
  assert.ok(back.frameEqual(expected));
  await assert.rejects(
    () => exportBetas({ dataDir, subjects: ["sub-03"], format: "csv" as "arrow", outDir }),
    /Unknown format "csv"/,
  );
  await assert.rejects(
    () => exportBetas({ dataDir, subjects: ["sub-03"], sessions: ["ses-09"], outDir }),
    /"ses-09".*'ses-01'/,
  );
});

Deno.test("exportBetas never mixes two exports: other options are refused, overwrite replaces, a resume continues", async () => {
  const outDir = join(dataDir, "export-mix");
  const base = { dataDir, subjects: ["sub-01"], sessions: ["ses-01", "ses-02"], outDir };
  await exportBetas({ ...base, roi: "face" });
  const record = JSON.parse(await Deno.readTextFile(join(outDir, "_export.json")));
  // LIBRARY_VERSION is a literal: this keeps it equal to deno.json's version.
  assert.equal(record.version, JSON.parse(await Deno.readTextFile("deno.json")).version);
  assert.equal(record.options.roi, "face");
  const src = record.partitions["sub-01/ses-01"].sources[0];
  assert.match(src.path, /ses-01_task-images_space-T1w_stat-effect_desc-SingletrialBetas/);
  assert.equal(typeof src.size, "number");
  const part = join(outDir, "subject=sub-01", "session=ses-01", "part.parquet");
  const width = () =>
    (pl.readParquet(part).getColumn("betas").toArray()[0] as unknown as ArrayLike<number>).length;
  const faceWidth = width();
  // Before the fix every partition was skipped and the face data stayed.
  for (
    const [change, named] of [
      [{ roi: "FFA1" }, /roi: "face" there, "FFA1" now/],
      [{ roi: "face", format: "arrow" as const }, /format: "parquet" there, "arrow" now/],
      [{ roi: "face", ncThreshold: 10 }, /ncThreshold: null there, 10 now/],
      [{ roi: "face", nanInMask: false }, /nanInMask: true there, false now/],
    ] as const
  ) {
    await assert.rejects(
      () => exportBetas({ ...base, ...change }),
      (e: Error) => named.test(e.message) && /overwrite: true/.test(e.message),
    );
  }
  assert.equal(width(), faceWidth);
  // overwrite: only the export's files go; a user's file stays.
  await Deno.writeTextFile(join(outDir, "notes.txt"), "mine");
  const replaced = await exportBetas({
    ...base,
    sessions: ["ses-01"],
    roi: "FFA1",
    overwrite: true,
  });
  assert.equal(replaced.written.length, 1);
  assert.notEqual(width(), faceWidth);
  assert.deepEqual(
    [...Deno.readDirSync(outDir)].map((e) => e.name).sort(),
    ["_export.json", "_voxels", "notes.txt", "subject=sub-01"],
  );
  assert.deepEqual([...Deno.readDirSync(join(outDir, "subject=sub-01"))].map((e) => e.name), [
    "session=ses-01",
  ]);
  assert.deepEqual([...Deno.readDirSync(join(outDir, "_voxels"))].map((e) => e.name), [
    "sub-01_ses-01.parquet",
  ]);
  // The same export continues: one more session is added, the first skipped.
  const resumed = await exportBetas({ ...base, roi: "FFA1" });
  assert.equal(resumed.skipped.length, 1);
  assert.equal(resumed.written.length, 1);
  // Changed source files are another export.
  const betas = (await loadSubject("sub-01", { dataDir })).paths.betas("ses-01");
  const st = await Deno.stat(betas);
  await Deno.utime(betas, st.atime!, new Date(st.mtime!.getTime() + 5000));
  try {
    await assert.rejects(() => exportBetas({ ...base, roi: "FFA1" }), /sub-01\/ses-01 changed/);
  } finally {
    await Deno.utime(betas, st.atime!, st.mtime!);
  }
  // An export without a record (an older version's) is refused too.
  await Deno.remove(join(outDir, "_export.json"));
  await assert.rejects(() => exportBetas({ ...base, roi: "FFA1" }), /no _export\.json.*overwrite/);
  await Deno.remove(outDir, { recursive: true });
});

Deno.test({ name: "cleanup", fn: () => Deno.remove(dataDir, { recursive: true }) });
