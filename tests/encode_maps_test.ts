/**
 * `encode merge` on fsaverage and its pictures, on the small synthetic current-layout bucket
 * (recon and `templateflow` bucket from the generator): the merged r, alpha and reliability
 * maps on fsaverage5 are `Subject.toTemplate` of the merged per-voxel values, written as
 * func.gii under upstream's BIDS names; without a recon merge says so and writes none.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { CURRENT_BUCKET } from "../scripts/seed.ts";
import { makeCurrentDataDir } from "./_data_dir.ts";
import { localEndpoint, repoPath } from "./_helpers.ts";
import { planEncodingJob } from "../lib/jobs/encode_plan.ts";
import { runEncodingShard } from "../lib/jobs/encode_shard.ts";
import { mergeEncodingJob } from "../lib/jobs/encode_merge.ts";
import { readGiftiDataArrays } from "../lib/formats/gifti.ts";
import { loadSubject } from "../lib/subject/subject.ts";
import { templateflowFiles } from "../lib/subject/standard_space.ts";
import { encodingMapsData } from "../lib/jobs/encode_pictures.ts";
import { plotEncodingMaps } from "../lib/display/encoding_maps.ts";
import { readNiftiVolume } from "../lib/formats/nifti.ts";
import { pillow } from "./_pillow.ts";

/** Equal up to float32 rounding of the map's scale (sums with cancellation lose relative bits). */
function sameUpToFloat32(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  const scale = b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  a.forEach((x, i) => {
    assert.ok(Math.abs(x - b[i]) <= 4 * 2 ** -24 * scale, `${what}[${i}]: ${x} vs ${b[i]}`);
  });
}

async function planAndRun(dataDir: string, dir: string) {
  const plan = await planEncodingJob({
    subjects: ["sub-01"],
    model: "CLIP",
    shardSize: 400,
    outDir: dir,
    dataDir,
    measure: false,
    remote: { endpoint: localEndpoint(), bucket: CURRENT_BUCKET },
  });
  for (const s of plan.shards) await runEncodingShard(dir, s.index);
  return plan;
}

Deno.test("encode merge: the maps on fsaverage5 are Subject.toTemplate of the merged values", async () => {
  const dataDir = await makeCurrentDataDir();
  const dir = await Deno.makeTempDir({ prefix: "laion-encode-maps-" });
  const cacheDir = await Deno.makeTempDir({ prefix: "laion-tf-cache-" });
  const templates = templateflowFiles({ cacheDir });
  // where the pictures land: kept for a look with LAION_FMRI_TEST_PICTURES=DIR
  const pictures = Deno.env.get("LAION_FMRI_TEST_PICTURES") ?? cacheDir;
  try {
    const plan = await planAndRun(dataDir, dir);
    const lines: string[] = [];
    const merged = await mergeEncodingJob(dir, { templates, onProgress: (l) => lines.push(l) });
    const m = merged.subjects[0];
    const fs = m.fsaverage;
    assert.ok(fs, lines.join("\n"));
    assert.equal(fs.density, "fsaverage5");
    assert.ok(
      lines.some((l) => l.includes("maps on fsaverage5 (10242 vertices")),
      lines.join("\n"),
    );
    // the subject as the plan's shards read it (betas by range from the bucket)
    const sub = await loadSubject("sub-01", {
      dataDir,
      betasSource: plan.source.betasSource,
      remote: { endpoint: plan.source.endpoint, bucket: plan.source.bucket },
    });
    for (
      const [k, desc] of [["r", "CLIPR"], ["alpha", "CLIPAlpha"], ["reliability", "CLIPSplithalf"]]
    ) {
      const maps: { L: Float32Array; R: Float32Array } = fs.maps[k];
      const want = await sub.toTemplate(m.values[k as "r"], "fsaverage", {
        maskSource: "anatomical",
        templates,
      });
      for (const [i, hemi] of (["L", "R"] as const).entries()) {
        assert.equal(maps[hemi].length, 10242, `${k} ${hemi}`);
        assert.ok(maps[hemi].every(Number.isFinite), `${k} ${hemi}: not finite`);
        // Equal up to float32 rounding: lib/space's SurfaceSampling sums a vertex's samples
        // one by one on its first map and merged per voxel from the second map on (cached
        // across calls), which moves the last float64 bits and so, rarely, a float32 ulp.
        sameUpToFloat32(maps[hemi], want[hemi], `${k} ${hemi}`);
        const path: string = fs.files[k][i];
        assert.equal(
          basename(path),
          `sub-01_space-fsaverage_den-10k_hemi-${hemi}_desc-${desc}_statmap.func.gii`,
        );
        const [gii] = await readGiftiDataArrays(path);
        assert.deepEqual(Float32Array.from(gii.data), maps[hemi], path);
      }
    }
    // the volume's values reach the surface: vertices with a value where voxels had one
    const set = fs.maps.r.L.filter((v) => v !== 0).length +
      fs.maps.r.R.filter((v) => v !== 0).length;
    assert.ok(set > 100, `${set} vertices with an r`);

    // the pictures: r over the T1w, its histogram, r on the inflated fsaverage5
    const data = await encodingMapsData(dir, m, { templateflow: { cacheDir } });
    assert.equal(data.surface?.left.mesh.nVertices, 10242);
    assert.deepEqual(data.t1w.dims, (await readNiftiVolume(m.niftis.r)).shape);
    const figs = plotEncodingMaps(data);
    for (const name of ["statMap", "histogram", "surface"] as const) {
      const png = join(pictures, `encode_${name}.png`);
      await figs[name]!.save(png);
      const info = await pillow(await Deno.readFile(png));
      assert.ok(info.size[0] >= 300 && info.colours > 20, `${name}: ${JSON.stringify(info)}`);
    }

    // the command line writes the same three PNGs next to the maps and lists them
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir},${dataDir},${cacheDir}`,
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-ffi",
        "--allow-sys=cpus,networkInterfaces,hostname",
        repoPath("cli.ts"),
        "encode",
        "merge",
        "--plan",
        dir,
      ],
      env: { TEMPLATEFLOW_HOME: cacheDir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    for (const name of ["statMap", "histogram", "surface"]) {
      const png = join(dir, "maps", `sub-01_model-CLIP_stat-r_${name}.png`);
      assert.ok(stdout.includes(png), stdout);
      const info = await pillow(await Deno.readFile(png));
      assert.ok(info.size[0] >= 300 && info.colours > 20, `${png}: ${JSON.stringify(info)}`);
    }
    assert.ok(stdout.includes("desc-CLIPR_statmap.func.gii"), stdout);
  } finally {
    for (const d of [dataDir, dir, cacheDir]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("encode merge without a FreeSurfer recon: no fsaverage maps, a line that says how to get them", async () => {
  const dataDir = await makeCurrentDataDir((key) => !key.includes("freesurfer"));
  const dir = await Deno.makeTempDir({ prefix: "laion-encode-maps-" });
  try {
    await planAndRun(dataDir, dir);
    const lines: string[] = [];
    const merged = await mergeEncodingJob(dir, { onProgress: (l) => lines.push(l) });
    assert.equal(merged.subjects[0].fsaverage, undefined);
    const line = lines.find((l) => l.includes("fsaverage maps skipped"));
    assert.ok(
      line?.includes('download({ subject: "sub-01", includeFreesurfer: true })'),
      lines.join("\n"),
    );
    for await (const e of Deno.readDir(join(dir, "maps"))) assert.ok(!e.name.endsWith(".func.gii"));
  } finally {
    for (const d of [dataDir, dir]) await Deno.remove(d, { recursive: true });
  }
});
