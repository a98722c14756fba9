// deno test --allow-read --allow-write=/tmp --allow-ffi --allow-sys=cpus,networkInterfaces,hostname tests/tsv_test.ts
//
// readTsv (lib/frames/tsv.ts): Polars' own inference over the whole file,
// plus the text columns that are numbers in pandas' eyes.
import assert from "node:assert/strict";
import { MalformedFileError } from "../lib/core/errors.ts";
import { readTsv } from "../lib/frames/tsv.ts";

const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "laion_fmri_tsv_" });

function typesOf(df: { schema: Record<string, unknown> }): Record<string, string> {
  return Object.fromEntries(
    Object.entries(df.schema).map(([k, v]) => [k, String(v).replace(/^DataType\((.*)\)$/, "$1")]),
  );
}

async function write(name: string, text: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("tsv: column types like pandas", async () => {
  let text = "session\trun\tbeta_index\tlabel\tshared\tscore\tnote\n";
  for (let i = 0; i < 150; i++) {
    text += `ses-01\t${1 + Math.floor(i / 50)}\t${i % 50}\tshared_${i}.jpg\t${
      i % 2 ? "True" : "False"
    }\t${i}\t\n`;
  }
  text += "ses-01\t4\t0\tunique_x.jpg\tFalse\t0.5\tnan\n"; // a float after 150 int rows
  const path = await write("trials.tsv", text);
  const df = await readTsv(path);
  assert.equal(df.height, 151);
  assert.deepEqual(typesOf(df), {
    session: "String",
    run: "Int64",
    beta_index: "Int64",
    label: "String",
    shared: "Bool",
    score: "Float64",
    note: "Float64",
  });
  assert.deepEqual(df.getColumn("shared").head(3).toArray(), [false, true, false]);
  assert.deepEqual(df.getColumn("run").tail(2).toArray(), [3, 4]);
  assert.equal(df.getColumn("score").toArray()[150], 0.5);
  assert.ok(Number.isNaN(df.getColumn("note").toArray()[150]));
  assert.equal(df.getColumn("note").nullCount(), 150);
});

Deno.test("tsv: nan/inf spellings, signs, booleans in any case, empty and huge columns", async () => {
  const path = await write(
    "kinds.tsv",
    "\uFEFFlower\tinfs\tplus\tbools\tempty\tmixed\thuge\ttext\n" +
      "nan\tinf\t+2\tTRUE\t\t1\t9999999999999999999\t 1\n" +
      "1.5\t-Infinity\t3\tfalse\t\ttrue\t1\tx\n" +
      "NaN\t+inf\t-4\ttRuE\t\t0\t2\t1,5\n",
  );
  const df = await readTsv(path);
  assert.deepEqual(typesOf(df), {
    lower: "Float64",
    infs: "Float64",
    plus: "Int64",
    bools: "Bool",
    empty: "String",
    mixed: "String",
    huge: "Float64",
    text: "String",
  });
  const col = (name: string) => df.getColumn(name).toArray();
  assert.deepEqual(col("lower").map((v) => Number.isNaN(v) ? "NaN" : v), ["NaN", 1.5, "NaN"]);
  assert.deepEqual(col("infs"), [Infinity, -Infinity, Infinity]);
  assert.deepEqual(col("plus"), [2, 3, -4]);
  assert.deepEqual(col("bools"), [true, false, true]);
  assert.deepEqual(col("empty"), [null, null, null]);
  assert.deepEqual(col("huge"), [9999999999999999999, 1, 2]);
  assert.deepEqual(col("text"), [" 1", "x", "1,5"]);
});

Deno.test("tsv: S3 error body, empty file, abort", async () => {
  const s3 = await write("s3.tsv", "<Error><Code>NoSuchKey</Code></Error>");
  await assert.rejects(readTsv(s3, { refetch: "download()" }), (e: Error) => {
    assert.ok(e instanceof MalformedFileError);
    assert.match(
      e.message,
      /S3 error response saved as data, not a TSV file \(S3 error NoSuchKey\)/,
    );
    assert.ok(e.message.startsWith(s3) && e.message.includes("download()"), e.message);
    return true;
  });
  const empty = await write("empty.tsv", " \n");
  await assert.rejects(readTsv(empty), /empty file, expected a TSV with a header row/);
  const ok = await write("ok.tsv", "a\n1\n");
  await assert.rejects(readTsv(ok, { signal: AbortSignal.abort() }), (e: Error) => {
    return e.name === "AbortError";
  });
});

Deno.test("tsv: cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
