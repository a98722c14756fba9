/**
 * The synthetic ROI inventory: per subject, per category, the ROIs with
 * their bucket spelling (hyphens kept) and bidsified label.
 * @module
 */
import { ROI_CATEGORIES, type RoiCategory } from "../../lib/core/constants.ts";

/** The five subjects of the bucket. */
export const SYNTH_SUBJECTS = ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"] as const;

/** One ROI: the bucket label (may contain hyphens) and the bidsified label. */
export interface RoiEntry {
  /** Spelling in bucket keys, e.g. `FFA-1`. */
  bucketLabel: string;
  /** Bidsified spelling (hyphens removed), e.g. `FFA1`. */
  label: string;
}

/** A subject's ROIs by category. */
export type RoiInventory = Record<RoiCategory, RoiEntry[]>;

const SUB01: Record<RoiCategory, string[]> = {
  body: ["EBA", "FBA"],
  character: ["VWFA-1", "VWFA-2", "mfs-words", "pSTS-words"],
  face: ["FFA-1", "FFA-2", "OFA", "pSTS-faces"],
  laion: ["laion-EVC", "laion-dorsal", "laion-general", "laion-lateral", "laion-ventral"],
  motion: ["MST", "MT"],
  object: ["lobjects", "vobjects"],
  place: ["MPA", "OPA", "PPA"],
  retinotopy: [
    "IPCS",
    "IPS0",
    "LO1",
    "LO2",
    "SPCS",
    "TO1",
    "TO2",
    "V1d",
    "V1v",
    "V2d",
    "V2v",
    "V3A",
    "V3B",
    "V3d",
    "V3v",
    "VO1",
    "VO2",
    "hV4",
  ],
};

/** Per subject: ROIs added to / removed from sub-01's set (bucket spelling). */
const DELTAS: Record<string, { add: Partial<Record<RoiCategory, string[]>>; drop: string[] }> = {
  "sub-01": { add: {}, drop: [] },
  // 43 ROIs, 6 face
  "sub-03": { add: { face: ["aTL-faces", "IFG-faces"], retinotopy: ["IPS1"] }, drop: [] },
  // 41 ROIs, 6 face
  "sub-05": { add: { face: ["aTL-faces", "IFG-faces"] }, drop: ["SPCS"] },
  // 41 ROIs, 5 face
  "sub-06": { add: { face: ["aTL-faces"], retinotopy: ["IPS1"] }, drop: ["IPCS"] },
  // 41 ROIs, 6 face
  "sub-07": {
    add: { face: ["aTL-faces", "IFG-faces"], retinotopy: ["IPS1", "IPS2"] },
    drop: ["FBA", "MST", "IPCS"],
  },
};

function build(subject: string): RoiInventory {
  const d = DELTAS[subject];
  const out = {} as RoiInventory;
  for (const cat of ROI_CATEGORIES) {
    const names = [...SUB01[cat], ...(d.add[cat] ?? [])].filter((n) => !d.drop.includes(n));
    names.sort((a, b) => {
      const x = a.replaceAll("-", "");
      const y = b.replaceAll("-", "");
      return x < y ? -1 : x > y ? 1 : 0;
    });
    out[cat] = names.map((bucketLabel) => ({
      bucketLabel,
      label: bucketLabel.replaceAll("-", ""),
    }));
  }
  return out;
}

/**
 * ROI inventory of every synthetic subject: category -> ROIs sorted by
 * bidsified label (code-point order). Totals (all / face): sub-01 40/4,
 * sub-03 43/6, sub-05 41/6, sub-06 41/5, sub-07 41/6.
 *
 * @example
 * ```ts
 * import { ROI_INVENTORY } from "./inventory.ts";
 * ROI_INVENTORY["sub-01"].face.map((r) => r.bucketLabel); // ["FFA-1", "FFA-2", "OFA", "pSTS-faces"]
 * ```
 */
export const ROI_INVENTORY: Readonly<Record<string, RoiInventory>> = Object.fromEntries(
  SYNTH_SUBJECTS.map((s) => [s, build(s)]),
);

/**
 * The ROIs of a subject as a flat list in category order.
 *
 * @example
 * ```ts
 * import { flatRois } from "./inventory.ts";
 * flatRois("sub-01").length; // 40
 * ```
 */
export function flatRois(subject: string): (RoiEntry & { category: RoiCategory })[] {
  const inv = ROI_INVENTORY[subject];
  if (!inv) throw new RangeError(`No ROI inventory for ${subject}. Valid: ${SYNTH_SUBJECTS}`);
  return ROI_CATEGORIES.flatMap((category) => inv[category].map((r) => ({ ...r, category })));
}
