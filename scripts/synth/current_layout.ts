/**
 * The objects the current layout adds to the seed's (upstream-era-c.md §1):
 * anatomical T1w/T2w/brain masks, FreeSurfer recon, localizer maps, tedana
 * optimal combinations, raw BIDS, `res-1pt5` ROI masks and the per-session
 * GLMsingle model (`betasmd` rows = the anatomical `res-1pt8` brain voxels
 * in C order, values = the session's NIfTI betas).
 * @module
 */
import { writeNifti1 } from "../../lib/formats/nifti_write.ts";
import { writeHdf5 } from "../../lib/formats/hdf5_write.ts";
import { writeFileAtomic } from "../../lib/core/fs.ts";
import { HELD_OUT_SESSIONS } from "../../lib/core/constants.ts";
import {
  anatomicalVolume,
  type Grid,
  grids,
  gridVolume,
  localizerValue,
  localizerVolume,
  roiVolume,
} from "./anatomy.ts";
import {
  currentKeys,
  ECHO_TIMES,
  FREESURFER_SURFACES,
  LOCALIZER_SPACES,
  type LocalizerMap,
  localizerMaps,
} from "./current_keys.ts";
import { freesurferSurface, mgzBytes, talairachLta, talairachXfm } from "./freesurfer_files.ts";
import {
  brainGeometry,
  roiGeometry,
  surfaceSize,
  surfaceVertex,
  type SynthSize,
} from "./geometry.ts";
import { giftiFloatXml } from "./surface_files.ts";
import type { SessionPlan, TrialRow } from "./trials.ts";
import { betaRowProducer } from "./values.ts";
import { hashKey, unit } from "./prng.ts";

/** Where the current layout's files go: the generator's queues. */
export interface LayoutSink {
  /** Absolute path of a key (folders made). */
  path(key: string): Promise<string>;
  /** Queues a small file. */
  task(run: () => Promise<void>): void;
  /** Queues a large file (started first). */
  bigTask(run: () => Promise<void>): void;
  signal?: AbortSignal;
}

/** Ground truth of the current layout for one subject. */
export interface CurrentSubjectTruth {
  /** Voxels of the `res-1pt8` anatomical brain mask (= rows of `betasmd`). */
  nAnatomicalBrainVoxels: number;
  /** Voxels of the full-resolution anatomical brain mask. */
  nAnatomicalBrainVoxelsFull: number;
  /** Brain voxels with a finite, non-zero R2mean (upstream's `rsquare` mask). */
  nRsquareBrainVoxels: number;
  /** `betasmd` shape per session. */
  glmModel: Record<string, [number, number, number, number]>;
  /** Voxels of each ROI at `res-1pt5`, by bucket label. */
  rois1pt5: Record<string, number>;
  /** Sessions and runs of the raw BIDS and tedana files. */
  raw: { sessions: string[]; runs: number[]; volumes: number };
}

/** Ground truth of the current layout. */
export interface CurrentTruth {
  layout: "current";
  grids: Record<Grid["name"], { dims: number[]; voxelSizeMm: number; affine: number[][] }>;
  localizerMaps: LocalizerMap[];
  subjects: Record<string, CurrentSubjectTruth>;
}

/** What {@linkcode addCurrentLayout} needs to know about one subject. */
export interface CurrentSubjectInput {
  subject: string;
  /** The sessions written (plan filtered by the caller). */
  plan: SessionPlan[];
  trials: Record<string, TrialRow[]>;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

/**
 * Queues every file the current layout adds for the given subjects and
 * returns its ground truth. Deterministic like the rest of the generator.
 *
 * @example
 * ```ts
 * // inside generateDataset: const truth = addCurrentLayout(sink, "small", 1, subjects);
 * ```
 */
export function addCurrentLayout(
  sink: LayoutSink,
  size: SynthSize,
  seed: number,
  inputs: readonly CurrentSubjectInput[],
): CurrentTruth {
  const G = grids(size);
  const { signal } = sink;
  const nifti = (
    key: string,
    grid: Grid,
    datatype: "uint8" | "int16" | "float32",
    data: () => Uint8Array | Int16Array | Float32Array,
    extra: { dims4?: number; description?: string; mask?: boolean } = {},
  ) =>
    sink.task(async () =>
      writeNifti1(await sink.path(key), {
        dims: extra.dims4 ? [...grid.dims, extra.dims4] : grid.dims,
        datatype,
        data: data(),
        affine: grid.affine,
        ...(extra.mask ? { sclSlope: 0, sclInter: 0 } : {}),
        description: extra.description ?? "LAION-fMRI synthetic",
        signal,
      })
    );
  const file = (key: string, data: () => string | Uint8Array) =>
    sink.task(async () => writeFileAtomic(await sink.path(key), data(), { signal }));
  const maps = localizerMaps();
  const subjects: Record<string, CurrentSubjectTruth> = {};

  for (const { subject: s, plan, trials } of inputs) {
    const g = brainGeometry(size, seed, s);
    // anatomical: T1w, T2w, brain mask at full resolution and res-1pt8
    let nFull = 0;
    for (const grid of [G.full, G["1pt8"]]) {
      const res = grid.name === "1pt8" ? "1pt8" as const : undefined;
      for (const suffix of ["T1w", "T2w"] as const) {
        nifti(
          currentKeys.anatomical(s, { suffix, res }),
          grid,
          "int16",
          () => anatomicalVolume(g, grid, suffix),
        );
      }
      const mask = anatomicalVolume(g, grid, "mask") as Uint8Array;
      if (grid.name === "full") nFull = mask.reduce((a, b) => a + b, 0);
      nifti(
        currentKeys.anatomical(s, { suffix: "mask", res, desc: "brain" }),
        grid,
        "uint8",
        () => mask,
        {
          mask: true,
          description: "LAION-fMRI synthetic brain mask",
        },
      );
    }

    // GLMsingle model per session: betasmd rows = res-1pt8 brain voxels, C order
    const glmModel: Record<string, [number, number, number, number]> = {};
    for (const p of plan) {
      const nTrials = trials[p.session].length;
      const shape: [number, number, number, number] = [g.brainC.length, 1, 1, nTrials];
      glmModel[p.session] = shape;
      sink.bigTask(async () =>
        writeHdf5(await sink.path(currentKeys.glmModel(s, p.session)), [{
          name: "betasmd",
          dtype: "float32",
          shape,
          data: betaRowProducer(size, seed, s, p.session, nTrials),
        }], { signal })
      );
    }

    // ROI masks at res-1pt5
    const rois1pt5: Record<string, number> = {};
    for (const roi of roiGeometry(size, seed, s)) {
      const { volume, nVoxels } = roiVolume(roi, G["1pt5"], G["1pt8"]);
      rois1pt5[roi.bucketLabel] = nVoxels;
      nifti(
        currentKeys.roiVolume1pt5(s, roi.category, roi.bucketLabel),
        G["1pt5"],
        "uint8",
        () => volume,
        {
          mask: true,
          description: `LAION-fMRI synthetic ROI ${roi.bucketLabel}`,
        },
      );
    }

    // localizer maps: fsnative GIfTI per hemisphere, T1w res-1pt5 and res-1pt8
    const surf = surfaceSize(size, s);
    maps.forEach((m, n) => {
      const name = `${m.task}/${m.contrast}/${m.stat}/${m.run ?? ""}`;
      for (const space of LOCALIZER_SPACES) {
        const key = currentKeys.localizer(s, m, space);
        if ("hemi" in space) {
          file(key, () => {
            const count = surf[space.hemi];
            const values = new Float32Array(count);
            for (let v = 0; v < count; v++) {
              const p = surfaceVertex(v, count, space.hemi).map((x, a) =>
                (x - G["1pt8"].affine[a][3]) / G["1pt8"].voxelSize
              );
              values[v] = localizerValue(g, name, p, v);
            }
            const intent = m.stat === "z" ? "NIFTI_INTENT_ZSCORE" : "NIFTI_INTENT_NONE";
            return giftiFloatXml(values, n % 2 ? "Base64Binary" : "GZipBase64Binary", intent);
          });
        } else {
          const grid = G[space.res];
          nifti(key, grid, "float32", () => localizerVolume(g, name, grid));
        }
      }
    });

    // FreeSurfer recon
    for (const hemi of ["L", "R"] as const) {
      for (const surface of FREESURFER_SURFACES) {
        file(
          currentKeys.freesurfer(s, `surf/${hemi === "L" ? "lh" : "rh"}.${surface}`),
          () => freesurferSurface(surf[hemi], hemi, surface, s),
        );
      }
    }
    const full = G.full;
    const t1 = () =>
      Uint8Array.from(anatomicalVolume(g, full, "T1w"), (x) => Math.min(255, x >> 2));
    file(
      currentKeys.freesurfer(s, "mri/T1.mgz"),
      () => mgzBytes(full.dims, "uint8", t1(), full.affine),
    );
    file(currentKeys.freesurfer(s, "mri/brain.mgz"), () => {
      const mask = anatomicalVolume(g, full, "mask");
      return mgzBytes(full.dims, "uint8", t1().map((x, i) => x * mask[i]), full.affine);
    });
    file(currentKeys.freesurfer(s, "mri/aparc+aseg.mgz"), () => {
      const labels = new Int32Array(full.dims[0] * full.dims[1] * full.dims[2]);
      const mask = anatomicalVolume(g, full, "mask");
      const [nx] = full.dims;
      for (let o = 0; o < labels.length; o++) {
        if (!mask[o]) continue;
        const left = o % nx < nx / 2;
        labels[o] = left ? 2 : 41; // Left/Right-Cerebral-White-Matter
      }
      return mgzBytes(full.dims, "int32", labels, full.affine);
    });
    file(
      currentKeys.freesurfer(s, "mri/transforms/talairach.lta"),
      () => talairachLta(s, full.dims, full.voxelSize),
    );
    file(currentKeys.freesurfer(s, "mri/transforms/talairach.xfm"), () => talairachXfm(s));

    // raw BIDS and tedana: the first public session and ses-31, two runs (one when realistic)
    const written = new Set(plan.map((p) => p.session));
    const first = plan.find((p) => !p.heldOut)?.session;
    const rawSessions = [first, HELD_OUT_SESSIONS[0]].filter((x): x is string =>
      !!x && written.has(x)
    );
    const runs = size === "small" ? [1, 2] : [1];
    const volumes = size === "small" ? 4 : 2;
    const base = G["1pt8"];
    const noise = (what: string) => hashKey(seed, s, what);
    const headMag = (what: string, level: number) => () =>
      gridVolume(base, base, Int16Array, (p, f) => {
        const d = (p[0] - g.center[0]) ** 2 / g.radii[0] ** 2 +
          (p[1] - g.center[1]) ** 2 / g.radii[1] ** 2 +
          (p[2] - g.center[2]) ** 2 / g.radii[2] ** 2;
        const u = unit(noise(what), f);
        return Math.round(d <= 1.5 ? level + 100 * u : 20 * u);
      });
    const phase = (what: string) => () =>
      gridVolume(base, base, Int16Array, (_p, f) => Math.round(8190 * unit(noise(what), f) - 4095));
    const repeat = (make: () => Int16Array | Float32Array, n: number) => () => {
      const one = make();
      const out = new (one.constructor as Int16ArrayConstructor)(one.length * n);
      for (let t = 0; t < n; t++) out.set(one.map((x) => x + (t % 2)), t * one.length);
      return out;
    };
    for (const ses of rawSessions) {
      for (const run of runs) {
        for (let e = 1; e <= ECHO_TIMES.length; e++) {
          for (const part of ["mag", "phase"]) {
            const what = `${ses}/${run}/${e}/${part}`;
            nifti(
              currentKeys.rawBold(s, ses, run, e, part, "nii.gz"),
              base,
              "int16",
              repeat(part === "mag" ? headMag(what, 1600 - 400 * e) : phase(what), volumes),
              { dims4: volumes },
            );
            file(
              currentKeys.rawBold(s, ses, run, e, part, "json"),
              () =>
                json({
                  EchoTime: ECHO_TIMES[e - 1],
                  RepetitionTime: 1.0,
                  TaskName: "images",
                  Part: part,
                }),
            );
          }
          nifti(
            currentKeys.rawSbref(s, ses, run, e, "nii.gz"),
            base,
            "int16",
            headMag(`sbref/${ses}/${run}/${e}`, 2400 - 400 * e),
          );
          file(
            currentKeys.rawSbref(s, ses, run, e, "json"),
            () => json({ EchoTime: ECHO_TIMES[e - 1], TaskName: "images" }),
          );
        }
        const rows = (trials[ses] ?? []).filter((r) => r.run === run);
        file(
          currentKeys.rawEvents(s, ses, run),
          () =>
            "onset\tduration\ttrial_type\tstim_file\n" +
            rows.map((r) => `${(2 + 4 * r.beta_index).toFixed(1)}\t3.0\timage\t${r.label}\n`).join(
              "",
            ),
        );
        nifti(currentKeys.tedana(s, ses, run, "nii.gz"), base, "float32", () => {
          const out = new Float32Array(base.dims[0] * base.dims[1] * base.dims[2] * volumes);
          const n = out.length / volumes;
          for (let r = 0; r < g.brainF.length; r++) {
            for (let t = 0; t < volumes; t++) {
              out[t * n + g.brainF[r]] = 1000 +
                Math.round(160 * unit(noise(`optcom/${ses}/${run}`), r * volumes + t)) / 8;
            }
          }
          return out;
        }, { dims4: volumes });
        file(currentKeys.tedana(s, ses, run, "json"), () =>
          json({
            Description: "T2*-weighted optimal combination of the echoes (tedana)",
            RepetitionTime: 1.0,
            SkullStripped: false,
          }));
        for (const suffix of ["magnitude1", "magnitude2", "phasediff"]) {
          if (run !== 1) continue;
          const what = `fmap/${ses}/${suffix}`;
          nifti(
            currentKeys.rawFmap(s, ses, run, suffix, "nii.gz"),
            base,
            "int16",
            suffix === "phasediff"
              ? phase(what)
              : headMag(what, suffix === "magnitude1" ? 900 : 700),
          );
          file(currentKeys.rawFmap(s, ses, run, suffix, "json"), () =>
            json({
              ...(suffix === "phasediff" ? { EchoTime1: 0.00492, EchoTime2: 0.00738 } : {}),
              IntendedFor: runs.map((r) =>
                `bids::${currentKeys.rawBold(s, ses, r, 1, "mag", "nii.gz")}`
              ),
            }));
        }
      }
      for (let e = 1; e <= 2; e++) {
        for (const part of ["mag", "phase"]) {
          const what = `megre/${ses}/${e}/${part}`;
          nifti(
            currentKeys.rawAnat(s, ses, e, part, "nii.gz"),
            base,
            "int16",
            part === "mag" ? headMag(what, 1200 - 300 * e) : phase(what),
          );
          file(
            currentKeys.rawAnat(s, ses, e, part, "json"),
            () => json({ EchoTime: 0.004 + 0.008 * e, Part: part }),
          );
        }
      }
    }

    subjects[s] = {
      nAnatomicalBrainVoxels: g.brainC.length,
      nAnatomicalBrainVoxelsFull: nFull,
      nRsquareBrainVoxels: g.brainC.length - g.nanIndices.length,
      glmModel,
      rois1pt5,
      raw: { sessions: rawSessions, runs, volumes },
    };
  }
  const gridTruth = (x: Grid) => ({
    dims: [...x.dims],
    voxelSizeMm: x.voxelSize,
    affine: x.affine,
  });
  return {
    layout: "current",
    grids: { full: gridTruth(G.full), "1pt5": gridTruth(G["1pt5"]), "1pt8": gridTruth(G["1pt8"]) },
    localizerMaps: maps,
    subjects,
  };
}
