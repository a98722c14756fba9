// The query notebook (notebooks/querying.ipynb) executed headless in the Deno
// Jupyter kernel with Debian's `jupyter nbconvert`, against the local S3; its
// printed output must contain upstream's tour output, in order, and be the
// same in 5 runs in a row: the kernel can report a cell done before its output
// arrives, which the notebook's `flushOutput()`/`show()` calls (exported by the
// library) must absorb without any retry here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { normalizeLines, repoPath, seedTourOutput } from "./_helpers.ts";
import {
  assertMatchesCommitted,
  type Cell,
  cellOutputs,
  ensureKernel,
  executeChecked,
  joinText,
  type Output,
  outputText,
} from "./_notebook.ts";

const NOTEBOOK = "notebooks/querying.ipynb";
/** Runs in a row that must give identical outputs. */
const RUNS = 5;

/** The display of the loaded split (a `display_data` with the Split's MIME bundle). */
function splitDisplay(cells: Cell[]): Output | undefined {
  return cells.flatMap((c) => c.outputs ?? []).find((o) =>
    o.output_type === "display_data" && joinText(o.data?.["text/plain"]).startsWith("Split ")
  );
}

/** Why the outputs are incomplete (seed lines missing or out of order), or undefined. */
function missing(cells: Cell[]): string | undefined {
  const lines = normalizeLines(outputText(cells));
  let at = 0;
  for (const expected of seedTourOutput()) {
    const found = lines.indexOf(expected, at);
    if (found < 0) {
      return `seed line not found (in order) in the notebook's output: ${
        JSON.stringify(expected)
      }` +
        `\n--- output after the last match ---\n${lines.slice(at).join("\n")}`;
    }
    at = found + 1;
  }
  if (!splitDisplay(cells)) return "the loadSplit(...) cell displayed nothing";
  return undefined;
}

Deno.test(`the query notebook prints the seed's tour in the Deno kernel, identically ${RUNS} times`, async () => {
  const jupyter = await ensureKernel();
  const quickstart = repoPath("notebooks/laion_fmri_quickstart");
  const hadQuickstart = await Deno.stat(quickstart).then(() => true, () => false);
  const xdg = await Deno.makeTempDir({ prefix: "laion-nb-xdg-" });
  const outDir = await Deno.makeTempDir({ prefix: "laion-nb-out-" });
  try {
    const cells = await executeChecked(jupyter, NOTEBOOK, outDir, xdg);
    const problem = missing(cells);
    assert.equal(problem, undefined, problem);
    await assertMatchesCommitted(NOTEBOOK, cells);
    const first = cellOutputs(cells);
    for (let run = 2; run <= RUNS; run++) {
      const again = await executeChecked(jupyter, NOTEBOOK, outDir, xdg);
      assert.deepEqual(cellOutputs(again), first, `run ${run} of ${RUNS} differs from run 1`);
    }

    const split = splitDisplay(cells)!;
    const text = joinText(split.data?.["text/plain"]);
    assert.match(text, /^Split random_0\n/);
    assert.match(text, /n_train\s+897\b/);
    assert.match(text, /n_test\s+224\b/);
    const html = joinText(split.data?.["text/html"]);
    for (const part of ["random_0", "897", "224"]) assert.ok(html.includes(part), html);

    // Every code cell ran, and the outputs carry no machine-specific paths.
    const code = cells.filter((c) => c.cell_type === "code");
    assert.ok(code.length >= 10, `only ${code.length} code cells`);
    const all = JSON.stringify(code.map((c) => c.outputs));
    for (const path of [xdg, outDir, repoPath("")]) assert.ok(!all.includes(path), path);

    // The kernel ran in notebooks/ and wrote its config under XDG_CONFIG_HOME only.
    const config = JSON.parse(await Deno.readTextFile(join(xdg, "laion_fmri", "config.json")));
    assert.equal(config.data_dir, quickstart);
  } finally {
    await Deno.remove(xdg, { recursive: true });
    await Deno.remove(outDir, { recursive: true });
    if (!hadQuickstart) await Deno.remove(quickstart, { recursive: true }).catch(() => {});
  }
});
