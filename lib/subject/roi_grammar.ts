/**
 * The multi-level ROI grammar: a query is an ROI name, a category, `"all"`,
 * or a list of those; it resolves to ROI names (first occurrence kept).
 * @module
 */
import { join } from "node:path";
import { formatList, LaionFmriError } from "../core/errors.ts";
import { parseRoiLabel } from "../core/ids.ts";

/** An ROI query: a name, a category, `"all"`, or a list of those. */
export type RoiQuery = string | readonly string[];

/** One ROI found on disk. */
export interface RoiEntry {
  /** Bidsified ROI name, e.g. `"FFA1"`. */
  name: string;
  /** Its category folder, e.g. `"face"`. */
  category: string;
}

/**
 * An ROI or category name as compared loosely: lower case, without the
 * hyphens, underscores and spaces the bucket's file names and users add
 * (`"FFA-1"`, `"ffa1"` and `"FFA1"` are one).
 */
function looseKey(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** Levenshtein distance of two short strings. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The names closest to `value` (loosely compared; at most 5, nearest first):
 * within a third of its length in edits, or containing it.
 *
 * @example
 * ```ts
 * import { closestNames } from "./roi_grammar.ts";
 * closestNames("FFA9", ["FFA1", "FFA2", "OFA", "V1"]); // ["FFA1", "FFA2", "OFA"]
 * ```
 */
export function closestNames(value: string, names: readonly string[]): string[] {
  const key = looseKey(value);
  const limit = Math.max(1, Math.floor(key.length / 3));
  return names
    .map((name) => {
      const k = looseKey(name);
      const d = editDistance(key, k);
      return {
        name,
        d: key.length >= 2 && (k.includes(key) || key.includes(k)) ? Math.min(d, limit) : d,
      };
    })
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 5)
    .map((x) => x.name);
}

/**
 * An unknown ROI or category: names the closest ROIs and categories when
 * there are some (else lists every ROI), and lists the categories.
 *
 * @example
 * ```ts
 * import { UnknownRoiError } from "@laion/fmri";
 * const e = new UnknownRoiError("FFA9", ["FFA1"], ["face"]);
 * console.log(e.message, e.suggestions); // ... Did you mean 'FFA1'? ... ["FFA1"]
 * ```
 */
export class UnknownRoiError extends LaionFmriError {
  /** The rejected query item. */
  readonly value: string;
  /** The subject that lacks it, when known (in a group, which one). */
  readonly subject?: string;
  /** The closest ROI and category names, nearest first (may be empty). */
  readonly suggestions: readonly string[];
  /**
   * Creates an instance.
   * @param value the rejected item
   * @param rois the available ROI names
   * @param categories the available categories
   * @param subject the subject whose ROIs these are
   */
  constructor(
    value: string,
    rois: readonly string[],
    categories: readonly string[],
    subject?: string,
  ) {
    const of = subject ? ` of ${subject}` : "";
    const suggestions = closestNames(value, [...rois, ...categories]);
    const which = suggestions.length
      ? `Did you mean ${suggestions.map((n) => `'${n}'`).join(", ")}? ` +
        `(${rois.length} ROIs in all: getAvailableRois() lists them.)`
      : `Available ROIs${of}: ${formatList(rois)}.`;
    super(
      `Unknown ROI/category${subject ? ` for ${subject}` : ""}: '${value}'. ${which} ` +
        `Available categories${of}: ${formatList(categories)}.`,
    );
    this.value = value;
    this.subject = subject;
    this.suggestions = suggestions;
  }
}

/**
 * A subject's ROIs on disk, by category, with query resolution.
 *
 * @example
 * ```ts
 * import { RoiInventory } from "./roi_grammar.ts";
 * const inv = await RoiInventory.read("data/derivatives/rois/sub-01", "sub-01");
 * inv.resolve(["face", "EBA"]); // ["FFA1", "FFA2", "OFA", "pSTSfaces", "EBA"]
 * ```
 */
export class RoiInventory {
  /** Category -> ROI names (file-name order). Categories without ROIs are absent. */
  readonly byCategory: ReadonlyMap<string, readonly string[]>;
  /** ROI name -> its entry (first category wins). */
  readonly byName: ReadonlyMap<string, RoiEntry>;

  /** The subject whose ROIs these are, when known (named in errors). */
  readonly subject?: string;

  /**
   * Creates an instance.
   * @param byCategory category -> ROI names
   * @param subject the subject whose ROIs these are
   */
  constructor(byCategory: Map<string, string[]>, subject?: string) {
    this.byCategory = byCategory;
    this.subject = subject;
    const byName = new Map<string, RoiEntry>();
    for (const [category, names] of byCategory) {
      for (const name of names) if (!byName.has(name)) byName.set(name, { name, category });
    }
    this.byName = byName;
  }

  /** Walks `roisDir/<category>/` for volumetric 1.8 mm masks (an absent folder gives none). */
  static async read(
    roisDir: string,
    subject: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<RoiInventory> {
    const { signal } = options;
    signal?.throwIfAborted();
    const byCategory = new Map<string, string[]>();
    let categories: string[] = [];
    try {
      for await (const e of Deno.readDir(roisDir)) if (e.isDirectory) categories.push(e.name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    categories = categories.sort();
    for (const category of categories) {
      signal?.throwIfAborted();
      const files: string[] = [];
      for await (const f of Deno.readDir(join(roisDir, category))) files.push(f.name);
      const names = files.sort().map((f) => parseRoiLabel(f, subject)).filter((n) =>
        n !== undefined
      ) as string[];
      if (names.length > 0) byCategory.set(category, names);
    }
    return new RoiInventory(byCategory, subject);
  }

  /** Sorted, de-duplicated ROI names (all, or of one category). */
  rois(category?: string): string[] {
    if (category !== undefined) return [...(this.byCategory.get(category) ?? [])].sort();
    return [...this.byName.keys()].sort();
  }

  /** Sorted category names that hold at least one ROI. */
  categories(): string[] {
    return [...this.byCategory.keys()].sort();
  }

  /**
   * Resolves a query to ROI names: `"all"`, then a category, then an ROI
   * name, each also matched regardless of case and hyphens (`"ffa1"`,
   * `"FFA-1"`); duplicates dropped keeping the first occurrence.
   *
   * @throws {UnknownRoiError} for an item that is none of these
   */
  resolve(query: RoiQuery): string[] {
    const items = typeof query === "string" ? [query] : [...query];
    const out: string[] = [];
    for (const given of items) {
      const item = given === "all" ? given : this.#exactName(given);
      if (item === "all") out.push(...this.rois());
      else if (this.byCategory.has(item)) out.push(...this.byCategory.get(item)!);
      else if (this.byName.has(item)) out.push(item);
      else throw new UnknownRoiError(given, this.rois(), this.categories(), this.subject);
    }
    return [...new Set(out)];
  }

  /**
   * A query item as the inventory spells it: itself when it is a category
   * or ROI, else the one category or ROI it equals loosely (case, hyphens:
   * `"ffa1"` and the bucket's `"FFA-1"` are `FFA1`), else itself.
   */
  #exactName(item: string): string {
    if (this.byCategory.has(item) || this.byName.has(item)) return item;
    const key = looseKey(item);
    const matches = [...new Set([...this.byCategory.keys(), ...this.byName.keys()])]
      .filter((n) => looseKey(n) === key);
    return matches.length === 1 ? matches[0] : item;
  }
}
