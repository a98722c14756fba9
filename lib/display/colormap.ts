/**
 * Colour maps for value overlays: `hot` (black-red-yellow-white),
 * `viridis` (perceptually uniform), `coolwarm` (diverging, blue-grey-red).
 * @module
 */

/** The colour maps {@linkcode colormap} knows. */
export const COLORMAPS = ["hot", "viridis", "coolwarm"] as const;
/** One of {@linkcode COLORMAPS}. */
export type ColormapName = typeof COLORMAPS[number];

const ANCHORS: Record<Exclude<ColormapName, "hot">, [number, number, number][]> = {
  // matplotlib's viridis at 0, 0.25, 0.5, 0.75, 1.
  viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  // Moreland's cool-warm at 0, 0.5, 1.
  coolwarm: [[59, 76, 192], [221, 221, 221], [180, 4, 38]],
};

/**
 * The RGB colour of `t` in [0, 1] (clamped) on the map `name`.
 *
 * @example
 * ```ts
 * import { colormap } from "@laion/fmri/plot";
 * console.log(colormap("hot", 1), colormap("viridis", 0)); // [255, 255, 255] [68, 1, 84]
 * ```
 */
export function colormap(name: ColormapName, t: number): [number, number, number] {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  if (name === "hot") {
    const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
    return [c(3 * u), c(3 * u - 1), c(3 * u - 2)];
  }
  const anchors = ANCHORS[name];
  if (!anchors) throw new RangeError(`unknown colormap ${name}; valid: ${COLORMAPS.join(", ")}`);
  const x = u * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(x)), f = x - i;
  const a = anchors[i], b = anchors[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}
