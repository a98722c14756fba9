/**
 * The objects the current layout adds to the seed's (upstream-era-c.md §1):
 * anatomical T1w/T2w/brain masks, FreeSurfer recon, localizer maps, tedana
 * optimal combinations, raw BIDS, `res-1pt5` ROI masks and the per-session
 * GLMsingle model (`betasmd` rows = the anatomical `res-1pt8` brain voxels
 * in C order, values = the session's NIfTI betas).
 * @module
 */
import { writeHdf5 } from "./hdf5/write.ts";
import {
  anatomicalVolume,
  type Grid,
  grids,
  localizerValue,
  localizerVolume,
  roiVolume,
} from "./anatomy.ts";
import {
  currentKeys,
  FREESURFER_SURFACES,
  LOCALIZER_SPACES,
  type LocalizerMap,
  localizerMaps,
} from "./current_keys.ts";
import {
  freesurferCurv,
  freesurferSurfaceBytes,
  mgzBytes,
  talairachLta,
  talairachXfm,
} from "./freesurfer_files.ts";
import {
  reconGeometry,
  reconMorph,
  type ReconTruth,
  reconTruth,
  reconVertices,
  sphereTriangles,
} from "./recon.ts";
import {
  anatomicalAxis,
  brainGeometry,
  roiGeometry,
  surfaceSize,
  surfaceVertex,
  type SynthSize,
} from "./geometry.ts";
import { giftiFloatXml } from "./surface_files.ts";
import { addRawLayout, type RawTruth } from "./raw_layout.ts";
import { fileQueue, json, type LayoutSink } from "./sink.ts";
import type { SessionPlan, TrialRow } from "./trials.ts";
import { betaRowProducer, brainVolume } from "./values.ts";
import {
  expectedSessionR2,
  glmModelSidecar,
  SESSION_R2_RULE,
  sessionR2Sidecar,
  trialsSidecar,
} from "./session_r2.ts";

/** Ground truth of the current layout for one subject. */
export interface CurrentSubjectTruth {
  /** Voxels of the `res-1pt8` anatomical brain mask (= rows of `betasmd`). */
  nAnatomicalBrainVoxels: number;
  /**
   * C-order flat indices of the anatomical voxels outside the brain axis
   * (R2mean 0 there; betas 0): the anatomical mask is the brain axis plus these.
   */
  anatomicalRim: number[];
  /** Voxels of the full-resolution anatomical brain mask. */
  nAnatomicalBrainVoxelsFull: number;
  /** Brain voxels with a finite, non-zero R2mean (upstream's `rsquare` mask). */
  nRsquareBrainVoxels: number;
  /** `betasmd` shape per session. */
  glmModel: Record<string, [number, number, number, number]>;
  /** Voxels of each ROI at `res-1pt5`, by bucket label. */
  rois1pt5: Record<string, number>;
  /** Sessions and runs of the raw BIDS and tedana files. */
  raw: RawTruth;
  /**
   * The FreeSurfer recon's geometry (scripts/synth/recon.ts): `cras`, the
   * talairach.lta matrix, vertex and face counts, hemisphere ellipsoids,
   * `sphere.reg` rotations, and the planted blob with its MNI305 voxels and
   * white/pial vertices.
   */
  recon: ReconTruth;
}

/**
 * `betasmd` rows over the anatomical axis from a producer of brain-axis
 * rows: rim rows (brain rank -1) are 0, as the NIfTI betas there.
 */
function anatomicalRows(
  n: number,
  brainRank: Int32Array | null,
  nTrials: number,
  brainRows: (start: number, count: number) => Float32Array,
): (start: number, count: number) => Float32Array {
  if (!brainRank) return brainRows;
  return (start, count) => {
    const out = new Float32Array(count * nTrials);
    for (let a = start; a < Math.min(n, start + count); a++) {
      const r = brainRank[a];
      if (r >= 0) out.set(brainRows(r, 1), (a - start) * nTrials);
    }
    return out;
  };
}

/** Ground truth of the current layout. */
export interface CurrentTruth {
  layout: "current";
  grids: Record<Grid["name"], { dims: number[]; voxelSizeMm: number; affine: number[][] }>;
  localizerMaps: LocalizerMap[];
  /** How the per-session R² maps are made (`expectedSessionR2`). */
  sessionR2: string;
  subjects: Record<string, CurrentSubjectTruth>;
}

/** What {@linkcode addCurrentLayout} needs to know about one subject. */
export interface CurrentSubjectInput {
  subject: string;
  /** The sessions written (plan filtered by the caller). */
  plan: SessionPlan[];
  trials: Record<string, TrialRow[]>;
}

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
  const { nifti, file } = fileQueue(sink);
  const maps = localizerMaps();
  const subjects: Record<string, CurrentSubjectTruth> = {};

  for (const { subject: s, plan, trials } of inputs) {
    const g = brainGeometry(size, seed, s);
    const axis = anatomicalAxis(size, seed, s);
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

    // GLMsingle model per session: betasmd rows = res-1pt8 brain voxels, C order;
    // per-session R² map; sidecars of the R² map, the model and the trial table
    const glmModel: Record<string, [number, number, number, number]> = {};
    for (const p of plan) {
      const nTrials = trials[p.session].length;
      const shape: [number, number, number, number] = [axis.flat.length, 1, 1, nTrials];
      glmModel[p.session] = shape;
      nifti(
        currentKeys.sessionR2(s, p.session, "nii.gz"),
        G["1pt8"],
        "float32",
        () => brainVolume(g, (f) => expectedSessionR2(size, seed, s, p.session, f)),
        { description: "LAION-fMRI synthetic R2 (percent)" },
      );
      file(currentKeys.sessionR2(s, p.session, "json"), () => json(sessionR2Sidecar(s, p.session)));
      file(
        currentKeys.glmModelJson(s, p.session),
        () => json(glmModelSidecar(s, p.session, shape)),
      );
      file(currentKeys.trialsJson(s, p.session), () => json(trialsSidecar()));
      sink.bigTask(async () =>
        writeHdf5(await sink.path(currentKeys.glmModel(s, p.session)), [{
          name: "betasmd",
          dtype: "float32",
          shape,
          data: anatomicalRows(
            axis.flat.length,
            axis.rim.length ? Int32Array.from(axis.flat, (f) => g.rankOfC[f]) : null,
            nTrials,
            betaRowProducer(
              size,
              seed,
              s,
              p.session,
              nTrials,
              trials[p.session].map((r) => r.label),
            ),
          ),
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

    // FreeSurfer recon: consistent geometry (scripts/synth/recon.ts)
    const recon = reconGeometry(size, seed, s, surf);
    const full = G.full;
    for (const hemi of ["L", "R"] as const) {
      const h = hemi === "L" ? "lh" : "rh";
      const faces = sphereTriangles(surf[hemi]);
      for (const surface of FREESURFER_SURFACES) {
        file(
          currentKeys.freesurfer(s, `surf/${h}.${surface}`),
          () =>
            freesurferSurfaceBytes(reconVertices(recon, hemi, surface), faces, s, {
              filename: `../mri/filled-pretess${hemi === "L" ? 255 : 127}.mgz`,
              volume: full.dims,
              voxelSize: [full.voxelSize, full.voxelSize, full.voxelSize],
              cras: recon.cras,
            }),
        );
      }
      for (const what of ["curv", "sulc"] as const) {
        file(
          currentKeys.freesurfer(s, `surf/${h}.${what}`),
          () => freesurferCurv(reconMorph(surf[hemi], what), faces.length / 3),
        );
      }
    }
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
      () => talairachLta(s, full.dims, full.voxelSize, recon.cras),
    );
    file(currentKeys.freesurfer(s, "mri/transforms/talairach.xfm"), () => talairachXfm(s));

    const raw = addRawLayout(sink, size, seed, { subject: s, plan, trials });

    subjects[s] = {
      nAnatomicalBrainVoxels: axis.flat.length,
      anatomicalRim: axis.rim,
      nAnatomicalBrainVoxelsFull: nFull,
      nRsquareBrainVoxels: g.brainC.length - g.nanIndices.length,
      glmModel,
      rois1pt5,
      raw,
      recon: reconTruth(size, seed, s, surf),
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
    sessionR2: SESSION_R2_RULE,
    subjects,
  };
}
