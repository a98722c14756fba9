/**
 * A synthetic standard-space world for tests/standard_space_test.ts and
 * bench/templates_bench.ts: on top of a current-layout data dir, a recon
 * with consistent geometry (white surfaces = spheres of known centre and
 * radius inside the subject grid, `sphere.reg` = the same vertex
 * directions at radius 100, a known `talairach.lta`) and a local
 * TemplateFlow home (MNI305 T1w on the real 172×220×156 grid, fsaverage
 * spheres as icospheres of 10,242 / 40,962 / 163,842 vertices).
 */
import { join } from "node:path";
import { writeNifti1 } from "../lib/formats/nifti_write.ts";
import { geodesicSphere } from "../lib/space/icosphere.ts";
import { freesurferSurfaceBytes } from "../scripts/synth/freesurfer_files.ts";
import { giftiSurfaceXml, MNI305_AFFINE, MNI305_DIMS } from "../scripts/synth/templateflow.ts";

export { freesurferSurfaceBytes, giftiSurfaceXml };

/** TemplateFlow's MNI305 grid (tpl-MNI305_T1w.nii.gz). */
export const MNI305_SHAPE = [...MNI305_DIMS] as [number, number, number];
/** Its affine (1 mm, origin at -86, -126, -72). */
export const MNI305_AFFINE_ROWS: number[][] = MNI305_AFFINE.map((r) => [...r]);
/** fsaverage icosphere frequencies: 10·f² + 2 vertices. */
export const DENSITY_FREQ = { "10k": 32, "41k": 64, "164k": 128 } as const;

/** A `LINEAR_RAS_TO_RAS` LTA file's text holding `matrix` (subject RAS -> MNI305 RAS). */
export function ltaText(matrix: number[][]): string {
  const vol = (name: string) =>
    `valid = 1  # volume info valid\nfilename = ${name}\nvolume = 256 256 256\n` +
    `voxelsize = 1 1 1\nxras   = -1 0 0\nyras   = 0 0 -1\nzras   = 0 1 0\ncras   = 0 0 0`;
  return [
    "# transform file (laion-fmri test)",
    "type      = 1 # LINEAR_RAS_TO_RAS",
    "nxforms   = 1",
    "mean      = 0.0 0.0 0.0",
    "sigma     = 1.0",
    "1 4 4",
    ...matrix.map((r) => r.join(" ")),
    "src volume info",
    vol("orig.mgz"),
    "dst volume info",
    vol("mni305.cor.mgz"),
    "",
  ].join("\n");
}

/** The recon's geometry, the truth the tests check against. */
export interface ReconTruth {
  /** White-surface sphere centre (subject world mm) and radius, per hemisphere. */
  centre: Record<"L" | "R", [number, number, number]>;
  radius: number;
  /** Subject RAS -> MNI305 RAS (the LTA's matrix). */
  talairach: number[][];
  /** fsnative vertex count per hemisphere. */
  nFsnative: number;
}

/**
 * Writes the recon into `dataDir/derivatives/freesurfer/{sub}` (replacing
 * the generator's surfaces and LTA) and a TemplateFlow home at
 * `dataDir/templateflow`; `grid` is the subject grid (shape, affine).
 */
export async function writeTemplatesWorld(
  dataDir: string,
  subject: string,
  grid: { shape: [number, number, number]; affine: number[][] },
  densities: readonly ("10k" | "41k" | "164k")[] = ["10k"],
  fsnativeFreq = 24,
): Promise<ReconTruth> {
  const fs = join(dataDir, "derivatives", "freesurfer", subject);
  await Deno.mkdir(join(fs, "surf"), { recursive: true });
  await Deno.mkdir(join(fs, "mri", "transforms"), { recursive: true });
  // world bbox of the grid -> hemisphere centres left and right of its centre
  const [nx, ny, nz] = grid.shape, a = grid.affine;
  const w = (i: number, j: number, k: number) =>
    [0, 1, 2].map((r) => a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3]);
  const lo = w(0, 0, 0), hi = w(nx - 1, ny - 1, nz - 1);
  const mid = [0, 1, 2].map((r) => (lo[r] + hi[r]) / 2);
  const ext = Math.min(...[0, 1, 2].map((r) => Math.abs(hi[r] - lo[r])));
  const radius = ext * 0.18;
  const off = ext * 0.22;
  const centre = {
    L: [mid[0] - off, mid[1], mid[2]] as [number, number, number],
    R: [mid[0] + off, mid[1], mid[2]] as [number, number, number],
  };
  const unit = geodesicSphere(fsnativeFreq, { radius: 1 });
  for (const h of ["L", "R"] as const) {
    const fsh = h === "L" ? "lh" : "rh";
    const c = centre[h];
    const white = Float32Array.from(unit.vertices, (x, i) => c[i % 3] + radius * x);
    const sphere = Float32Array.from(unit.vertices, (x) => 100 * x);
    await Deno.writeFile(
      join(fs, "surf", `${fsh}.white`),
      freesurferSurfaceBytes(white, unit.faces, subject),
    );
    await Deno.writeFile(
      join(fs, "surf", `${fsh}.sphere.reg`),
      freesurferSurfaceBytes(sphere, unit.faces, subject),
    );
  }
  const talairach = [
    [1.05, 0.05, 0, 2.5],
    [-0.04, 1.02, 0.03, -3],
    [0, -0.02, 1.1, 4],
    [0, 0, 0, 1],
  ];
  await Deno.writeTextFile(join(fs, "mri", "transforms", "talairach.lta"), ltaText(talairach));
  const tf = join(dataDir, "templateflow");
  await Deno.mkdir(join(tf, "tpl-MNI305"), { recursive: true });
  await Deno.mkdir(join(tf, "tpl-fsaverage"), { recursive: true });
  await writeNifti1(join(tf, "tpl-MNI305", "tpl-MNI305_T1w.nii.gz"), {
    dims: MNI305_SHAPE,
    datatype: "uint8",
    data: new Uint8Array(MNI305_SHAPE[0] * MNI305_SHAPE[1] * MNI305_SHAPE[2]),
    affine: MNI305_AFFINE_ROWS,
    level: 1,
  });
  for (const den of densities) {
    const s = geodesicSphere(DENSITY_FREQ[den], { radius: 100 });
    for (const h of ["L", "R"]) {
      await Deno.writeTextFile(
        join(tf, "tpl-fsaverage", `tpl-fsaverage_hemi-${h}_den-${den}_sphere.surf.gii`),
        giftiSurfaceXml(Float32Array.from(s.vertices), s.faces),
      );
    }
  }
  return { centre, radius, talairach, nFsnative: unit.vertices.length / 3 };
}

/** Timings (seconds) and outputs of tests/reference/templates_ref.py. */
export interface TemplatesReference {
  /** Per task id `{ build, apply }`, and `maxRssMiB` of the Python process. */
  // deno-lint-ignore no-explicit-any
  timings: Record<string, any>;
  /** A task's output: float32, MNI305 volumes in NIfTI disk order, fsaverage maps in a row. */
  arr(id: string): Promise<Float32Array>;
}

/**
 * Runs tests/reference/templates_ref.py (Debian's NumPy/SciPy/nibabel) on
 * `tasks` (see that script), with `dir` for its job file and outputs.
 */
export async function runTemplatesReference(
  tasks: readonly Record<string, unknown>[],
  dir: string,
): Promise<TemplatesReference> {
  await Deno.writeTextFile(join(dir, "job.json"), JSON.stringify({ tasks }));
  const script = new URL("./reference/templates_ref.py", import.meta.url).pathname;
  const res = await new Deno.Command("/usr/bin/python3", {
    args: [script, join(dir, "job.json"), dir],
    stderr: "piped",
  }).output();
  if (res.code !== 0) {
    throw new Error(`templates_ref.py failed:\n${new TextDecoder().decode(res.stderr)}`);
  }
  const timings = JSON.parse(await Deno.readTextFile(join(dir, "result.json")));
  const arr = async (id: string) => {
    const b = await Deno.readFile(join(dir, `${id}.f4`));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  return { timings, arr };
}
