/**
 * Raw BIDS (multi-echo magnitude/phase BOLD, sbref, events, field maps,
 * MEGRE) and tedana optimal combinations of the current layout, for the
 * first public session and ses-31 of a subject.
 * @module
 */
import { HELD_OUT_SESSIONS } from "../../lib/core/constants.ts";
import { grids, gridVolume } from "./anatomy.ts";
import { currentKeys, ECHO_TIMES } from "./current_keys.ts";
import { brainGeometry, type SynthSize } from "./geometry.ts";
import { hashKey, unit } from "./prng.ts";
import { fileQueue, json, type LayoutSink } from "./sink.ts";
import type { SessionPlan, TrialRow } from "./trials.ts";

/** Sessions, runs and volumes of the raw files written. */
export interface RawTruth {
  sessions: string[];
  runs: number[];
  volumes: number;
}

/**
 * Queues a subject's raw BIDS and tedana files: two runs (one when
 * realistic) of the first public session and of ses-31, on the beta grid.
 *
 * @example
 * ```ts
 * // const raw = addRawLayout(sink, "small", 1, { subject, plan, trials });
 * ```
 */
export function addRawLayout(
  sink: LayoutSink,
  size: SynthSize,
  seed: number,
  input: { subject: string; plan: SessionPlan[]; trials: Record<string, TrialRow[]> },
): RawTruth {
  const { subject: s, plan, trials } = input;
  const { nifti, file } = fileQueue(sink);
  const g = brainGeometry(size, seed, s);
  const G = grids(size);
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
          suffix === "phasediff" ? phase(what) : headMag(what, suffix === "magnitude1" ? 900 : 700),
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
  return { sessions: rawSessions, runs, volumes };
}
