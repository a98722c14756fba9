// Notebook displays stay small however big the data (issue 10, item 12b), and
// the output helpers behave outside the Jupyter kernel.
import assert from "node:assert/strict";
import { flushOutput, loadSubject, show } from "../mod.ts";
import type { DisplayBundle } from "../lib/core/display.ts";
import type { DataFrame } from "nodejs-polars";
import { fixedWidthColumn, loadFrames } from "../lib/frames/betas_frame.ts";
import { framePreviewBundle, withBoundedDisplay } from "../lib/frames/frame_display.ts";
import { makeDataDir } from "./_data_dir.ts";

const display = (v: unknown): DisplayBundle =>
  (v as Record<symbol, () => DisplayBundle>)[Symbol.for("Jupyter.display")]();

/** A trial table with a `width`-wide `betas` column, as getBetas builds it. */
async function betasFrame(rows: number, width: number) {
  const { pl } = await loadFrames();
  const values = new Float32Array(rows * width).map((_, i) => i % 1000);
  const betas = await fixedWidthColumn("betas", values, width, rows);
  const trials = pl.DataFrame({
    session: Array.from({ length: rows }, () => "ses-01"),
    beta_index: Array.from({ length: rows }, (_, i) => i),
    label: Array.from({ length: rows }, (_, i) => `shared_${i}.jpg`),
  });
  return trials.hstack(betas.getColumns(), false) as unknown as DataFrame;
}

Deno.test("a 100,000-wide betas frame displays as a small, fast preview with its shape", async () => {
  const { pl } = await loadFrames();
  const df = withBoundedDisplay(pl, await betasFrame(300, 100_000));
  const t0 = performance.now();
  const bundle = display(df);
  const ms = performance.now() - t0;
  const size = JSON.stringify(bundle).length;
  assert.ok(size < 20_000, `display bundle is ${size} characters`);
  assert.ok(ms < 2_000, `display took ${ms} ms`);
  for (const mime of ["text/plain", "text/html"]) {
    const text = bundle[mime];
    assert.ok(text.includes("shape: (300, 4)"), text);
    assert.ok(text.includes("Array(Float32, 100000)"), text);
    assert.ok(text.includes("[0, 1, 2, 3, 4, … 99995 more]"), text);
    assert.ok(text.includes("shared_0.jpg") && text.includes("shared_4.jpg"), text);
    assert.ok(!text.includes("shared_5.jpg"), "only the first 5 rows");
    assert.ok(text.includes("295 more rows"), text);
  }
  // Polars' own display of the same frame is the unbounded one this replaces.
  const own = JSON.stringify(display(await betasFrame(5, 100_000))).length;
  assert.ok(own > 1_000_000, `Polars' display is ${own} characters`);
});

Deno.test("frame previews cut columns, list cells and long strings; empty frames show a shape", async () => {
  const { pl } = await loadFrames();
  const wide = pl.DataFrame(Object.fromEntries(
    Array.from({ length: 20 }, (_, c) => [`c${c}`, [c, c + 1]]),
  ));
  const text = framePreviewBundle(pl, wide)["text/plain"];
  assert.ok(text.startsWith("shape: (2, 20)\n"), text);
  assert.ok(text.includes("c7") && !text.includes("c8"), text);
  assert.ok(text.includes("… 12 more columns"), text);

  const mixed = pl.DataFrame({ a: [[1, 2, 3], [4]], s: ["x".repeat(100), null] });
  const m = framePreviewBundle(pl, mixed, { items: 2, chars: 40 })["text/plain"];
  assert.ok(m.includes("[1, 2, … 1 more]") && m.includes("[4]"), m);
  assert.ok(m.includes(`${"x".repeat(39)}…`) && !m.includes("x".repeat(41)), m);
  assert.ok(m.includes("null"), m);

  assert.equal(framePreviewBundle(pl, pl.DataFrame({}))["text/plain"], "shape: (0, 0)");
  const html = framePreviewBundle(pl, pl.DataFrame({ "<b>": ["<i>"] }))["text/html"];
  assert.ok(html.includes("&lt;b&gt;") && html.includes("&lt;i&gt;") && !html.includes("<b>"));
});

Deno.test("getBetas returns a frame whose notebook display is bounded", async () => {
  const dataDir = await makeDataDir();
  try {
    const sub = await loadSubject("sub-01", { dataDir });
    const df = await sub.getBetas({ session: "ses-01" });
    const width = (df.getColumn("betas").dtype as unknown as { listSize: number }).listSize;
    const bundle = display(df);
    assert.ok(bundle["text/plain"].startsWith(`shape: (${df.height}, ${df.width})`));
    assert.ok(bundle["text/plain"].includes(`… ${width - 5} more]`), bundle["text/plain"]);
    assert.equal(bundle["application/vnd.dataresource+json"], undefined, "not Polars' display");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("outside the Jupyter kernel, show() logs and flushOutput() does not wait", async () => {
  const logged: unknown[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => logged.push(...args);
  try {
    await show("a line", 42);
  } finally {
    console.log = log;
  }
  assert.deepEqual(logged, ["a line", 42]);
  const t0 = performance.now();
  await flushOutput({ ms: 5_000 });
  assert.ok(performance.now() - t0 < 1_000);
  await assert.rejects(() => flushOutput({ ms: -1 }), RangeError);
  await assert.rejects(() => flushOutput({ ms: NaN }), RangeError);
});
