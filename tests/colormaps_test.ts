// The colour-map tables against matplotlib's own (Debian's python3-matplotlib):
// every entry of every map byte-equal to `cmap(np.arange(256), bytes=True)`,
// and colormap(t) picking the entry matplotlib picks for t.
import assert from "node:assert/strict";
import { colormap, colormapCss, COLORMAPS, colormapTable } from "../lib/display/colormaps.ts";
import { repoPath } from "./_helpers.ts";

async function matplotlibTables(): Promise<Record<string, number[][]>> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [repoPath("scripts/colormaps.py")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)).tables;
}

Deno.test("colour maps: byte-equal to matplotlib's 256-entry tables", async () => {
  const reference = await matplotlibTables();
  assert.deepEqual(Object.keys(reference).sort(), [...COLORMAPS].sort());
  for (const name of COLORMAPS) {
    const ours = colormapTable(name);
    assert.equal(ours.length, 768, name);
    const theirs = reference[name].flat();
    assert.deepEqual([...ours], theirs, `${name} differs from matplotlib's table`);
  }
});

Deno.test("colormap(t): matplotlib's index floor(t * 256), clamped; unknown names refused", async () => {
  const reference = await matplotlibTables();
  for (const [t, i] of [[0, 0], [0.5, 128], [0.999, 255], [1, 255], [-3, 0], [7, 255]]) {
    assert.deepEqual(colormap("viridis", t), reference.viridis[i], `t = ${t}`);
  }
  assert.deepEqual(colormap("cold_hot", 0.5), reference.cold_hot[128]);
  assert.deepEqual(colormapCss("gray", 3), ["rgb(0,0,0)", "rgb(128,128,128)", "rgb(255,255,255)"]);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => colormap("jet" as any, 0), /unknown colour map "jet"; valid: viridis, magma/);
});
