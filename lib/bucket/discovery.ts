/**
 * Discovery: what the bucket holds, straight from S3 listings (nothing is
 * downloaded). Listings are cached per process and run concurrently.
 * @module
 */
import {
  type BucketLayout,
  ROI_CATEGORIES,
  ROIS_PREFIX,
  SUBJECT_PREFIXES,
} from "../core/constants.ts";
import { formatList, InvalidChoiceError, SubjectNotFoundError } from "../core/errors.ts";
import { bidsifyLocalKey, parseRoiLabel, resolveSubjectId } from "../core/ids.ts";
import { warn } from "../core/warnings.ts";
import { type BucketOptions, getSource } from "./cached_source.ts";
import { knownLayout, rememberLayout, subjectPrefixes } from "./layout.ts";
import type { BucketSource } from "./source.ts";

/** Options of {@linkcode getRois}. */
export interface GetRoisOptions extends BucketOptions {
  /** Subject id (`"sub-01"`, `"01"`, `1`). @default the first subject of the bucket */
  subject?: string;
  /** Only ROIs of this category folder (e.g. `"face"`). @default all categories */
  category?: string;
}

/** Options of the printing calls {@linkcode describe} and {@linkcode inspectBucket}. */
export interface PrintOptions extends BucketOptions {
  /** Print the text to stdout as well as returning it. @default true */
  print?: boolean;
}

/** Immediate sub-prefix names under `prefix` (prefix and trailing `/` removed). */
async function childNames(source: BucketSource, prefix: string, signal?: AbortSignal) {
  const { commonPrefixes } = await source.list(prefix, { delimiter: "/", signal });
  return commonPrefixes
    .map((p) => p.slice(prefix.length).replace(/\/$/, ""))
    .filter((name) => name.length > 0);
}

/** The subject probes of a bucket, listed: its layout, each probe's child names, the root's. */
interface Probes {
  layout: BucketLayout;
  prefixes: readonly string[];
  names: string[][];
  root?: string[];
}

/**
 * Lists the subject probes of the layout in effect, concurrently. When the
 * layout is not known yet, the root listing that detects it runs alongside
 * the seed's probes (which both layouts share), so detection adds no round
 * trip; the current layout's other probes follow.
 */
async function listProbes(
  source: BucketSource,
  options: BucketOptions,
  withRoot: boolean,
): Promise<Probes> {
  const { signal } = options;
  const known = knownLayout(source, options);
  const first = known ? subjectPrefixes(await known) : SUBJECT_PREFIXES;
  // The root is a probe of its own on the current layout: never listed twice.
  const needRoot = (withRoot || !known) && !first.includes("");
  const [listedRoot, ...listed] = await Promise.all([
    needRoot ? childNames(source, "", signal) : undefined,
    ...first.map((p) => childNames(source, p, signal)),
  ]);
  const root = listedRoot ?? (first.includes("") ? listed[first.indexOf("")] : undefined);
  const layout = await (known ?? rememberLayout(source, root!));
  const prefixes = subjectPrefixes(layout);
  const names = await Promise.all(prefixes.map((p) => {
    const i = first.indexOf(p);
    if (i >= 0) return listed[i];
    return p === "" && root ? root : childNames(source, p, signal);
  }));
  return { layout, prefixes, names, root };
}

/**
 * Every subject the bucket exposes: the sorted union of `sub-*` folders
 * under the subject probes of the bucket's layout (see `getBucketLayout`),
 * listed concurrently: GLMsingle and ROIs on the seed layout, upstream's
 * six probes (adding FreeSurfer, anatomy, localizers and the raw BIDS root)
 * on the current one.
 *
 * @example
 * ```ts
 * import { getSubjects } from "@laion/fmri";
 * console.log(await getSubjects()); // ["sub-01", "sub-03", "sub-05", "sub-06", "sub-07"]
 * ```
 */
export async function getSubjects(
  options: BucketOptions & { quiet?: boolean } = {},
): Promise<string[]> {
  const source = getSource(options);
  const { prefixes, names } = await listProbes(source, options, false);
  const subjects = [...new Set(names.flat().filter((n) => n.startsWith("sub-")))].sort();
  if (subjects.length === 0 && !options.quiet) {
    warn(
      `No subjects found in s3://${source.bucket}/ under any of (${
        prefixes.map((p) => `'${p}'`).join(", ")
      }). Check bucket layout and AWS credentials.`,
    );
  }
  return subjects;
}

/**
 * ROI inventory of one subject from the bucket: category folder -> sorted,
 * bidsified ROI names (only the volumetric 1.8 mm mask counts).
 *
 * @example
 * ```ts
 * import { getRoiInventory } from "@laion/fmri";
 * const inventory = await getRoiInventory("sub-01");
 * console.log(inventory.get("face")); // ["FFA1", "FFA2", "OFA", "pSTSfaces"]
 * ```
 */
export async function getRoiInventory(
  subject: string,
  options: BucketOptions = {},
): Promise<Map<string, string[]>> {
  const id = resolveSubjectId(subject);
  const source = getSource(options);
  const prefix = `${ROIS_PREFIX}${id}/`;
  const { objects } = await source.list(prefix, { signal: options.signal });
  const inventory = new Map<string, Set<string>>();
  for (const { key } of objects) {
    const parts = key.slice(prefix.length).split("/");
    if (parts.length !== 2 || !key.endsWith("_mask.nii.gz")) continue;
    if (!key.includes("_space-T1w_res-1pt8_")) continue;
    const label = parseRoiLabel(bidsifyLocalKey(parts[1]), id);
    if (label === undefined) continue;
    if (!inventory.has(parts[0])) inventory.set(parts[0], new Set());
    inventory.get(parts[0])!.add(label);
  }
  return new Map(
    [...inventory.keys()].sort().map((c) => [c, [...inventory.get(c)!].sort()]),
  );
}

/**
 * Sorted, bidsified ROI names of a subject (default: the first subject),
 * optionally of one category. Unlike upstream, the subject id is normalized
 * (`"01"` works) and an unknown category is an error listing the valid ones.
 *
 * Takes the subject first (`getRois("sub-01", { category })`, upstream's
 * order) or everything in one options object (`getRois({ category })`).
 *
 * @example
 * ```ts
 * import { getRois } from "@laion/fmri";
 * console.log(await getRois("sub-01", { category: "face" })); // ["FFA1", "FFA2", "OFA", "pSTSfaces"]
 * console.log(await getRois({ category: "face" })); // the first subject's face ROIs
 * ```
 */
export async function getRois(
  subjectOrOptions?: string | GetRoisOptions,
  options: GetRoisOptions = {},
): Promise<string[]> {
  let subject: string | undefined;
  if (typeof subjectOrOptions === "object" && subjectOrOptions !== null) {
    options = subjectOrOptions;
    subject = options.subject;
  } else subject = subjectOrOptions;
  const source = getSource(options);
  if (subject === undefined) {
    const subjects = await getSubjects({ ...options, source });
    if (subjects.length === 0) return [];
    subject = subjects[0];
  }
  const id = await checkSubject(subject, { ...options, source });
  const inventory = await getRoiInventory(id, { ...options, source });
  const { category } = options;
  if (category !== undefined) {
    const valid = [...new Set([...ROI_CATEGORIES, ...inventory.keys()])].sort();
    if (!valid.includes(category)) throw new InvalidChoiceError("category", category, valid);
  }
  const rois = category !== undefined
    ? inventory.get(category) ?? []
    : [...new Set([...inventory.values()].flat())].sort();
  if (rois.length === 0) {
    warn(
      `No ROIs found at s3://${source.bucket}/${ROIS_PREFIX}${id}/${
        category ? `${category}/` : ""
      }. The subject may not have ROI atlases uploaded yet.`,
    );
  }
  return rois;
}

function emit(text: string, options: PrintOptions): string {
  if (options.print ?? true) console.log(text);
  return text;
}

/**
 * Prints (and returns) a one-screen overview: bucket, subjects, and the
 * first subject's ROIs.
 *
 * @example
 * ```ts
 * import { describe } from "@laion/fmri";
 * await describe();
 * // LAION-fMRI Dataset
 * //   Bucket:    s3://laion-fmri
 * //   Subjects:  5 (sub-01, sub-03, sub-05, sub-06, sub-07)
 * //   ROIs:      EBA, FBA, ...
 * ```
 */
export async function describe(options: PrintOptions = {}): Promise<string> {
  const source = getSource(options);
  const subjects = await getSubjects({ ...options, source });
  const lines = ["LAION-fMRI Dataset", `  Bucket:    s3://${source.bucket}`];
  if (subjects.length === 0) {
    lines.push("  Subjects:  0 (none)");
  } else {
    lines.push(`  Subjects:  ${subjects.length} (${subjects.join(", ")})`);
    const inventory = await getRoiInventory(subjects[0], { ...options, source });
    const rois = [...new Set([...inventory.values()].flat())].sort();
    if (rois.length > 0) lines.push(`  ROIs:      ${rois.join(", ")}`);
  }
  return emit(lines.join("\n"), options);
}

/** Upstream's `_SUBJECT_PREFIX_LABELS`: how a probe is named in `inspectBucket`. */
const PROBE_LABELS: Record<string, string> = { "": "sub-*/  (raw BIDS root)" };

/**
 * Prints (and returns) the bucket's top-level prefixes and the number of
 * entries and `sub-*` entries under each subject probe of the bucket's
 * layout, as upstream prints them on that layout (the root probe of the
 * current layout is labelled as the raw BIDS root, see `PROBE_LABELS`).
 *
 * @example
 * ```ts
 * import { inspectBucket } from "@laion/fmri";
 * await inspectBucket();
 * // Bucket: s3://laion-fmri
 * // Top-level prefixes (1):
 * //   derivatives/
 * // derivatives/glmsingle-tedana/: 5 entries, 5 sub-* entries
 * // derivatives/rois/: 5 entries, 5 sub-* entries
 * ```
 */
export async function inspectBucket(options: PrintOptions = {}): Promise<string> {
  const source = getSource(options);
  const { prefixes, names, root } = await listProbes(source, options, true);
  const lines = [`Bucket: s3://${source.bucket}`, `Top-level prefixes (${root!.length}):`];
  for (const name of [...root!].sort()) lines.push(`  ${name}/`);
  prefixes.forEach((prefix, i) => {
    const subs = names[i].filter((n) => n.startsWith("sub-")).length;
    lines.push(
      `${PROBE_LABELS[prefix] ?? prefix}: ${names[i].length} entries, ${subs} sub-* entries`,
    );
  });
  return emit(lines.join("\n"), options);
}

/** Options of {@linkcode checkSubject}. */
export interface CheckSubjectOptions extends BucketOptions {
  /**
   * When the bucket cannot be listed (offline, no `--allow-net`), accept the
   * id unchecked instead of failing: for calls that work on local files.
   * @default false
   */
  skipWhenUnreachable?: boolean;
}

/**
 * The resolved id of `subject` when the bucket lists it; otherwise a
 * {@linkcode SubjectNotFoundError} naming the id, a near match
 * (`"1"` -> `sub-1`, did you mean `sub-01`?) and every valid id. The
 * subject listing is cached per process.
 *
 * @example
 * ```ts
 * import { checkSubject } from "./discovery.ts";
 * await checkSubject("01"); // "sub-01"
 * await checkSubject("99"); // throws SubjectNotFoundError: Unknown subject 'sub-99'. Valid: [...]
 * ```
 */
export async function checkSubject(
  subject: string,
  options: CheckSubjectOptions = {},
): Promise<string> {
  const id = resolveSubjectId(subject);
  let subjects: string[];
  try {
    subjects = await getSubjects({ ...options, quiet: true });
  } catch (e) {
    if (options.skipWhenUnreachable && !options.signal?.aborted) return id;
    throw e;
  }
  if (subjects.length === 0 || subjects.includes(id)) return id;
  throw unknownSubjectError(id, subjects);
}

/**
 * The valid subject id `id` is a near spelling of: the same number
 * (`sub-1` for `sub-01`) or the same letters in another case.
 *
 * @example
 * ```ts
 * import { nearSubject } from "./discovery.ts";
 * nearSubject("sub-1", ["sub-01", "sub-03"]); // "sub-01"
 * ```
 */
export function nearSubject(id: string, valid: readonly string[]): string | undefined {
  const digits = id.match(/^sub-0*(\d+)$/)?.[1];
  return digits === undefined
    ? valid.find((v) => v.toLowerCase() === id.toLowerCase())
    : valid.find((v) => v.match(/^sub-0*(\d+)$/)?.[1] === digits);
}

/**
 * The error for an id the bucket (or the disk) does not list, with a near
 * match when there is one; `label` introduces the list (`"Valid"`).
 */
export function unknownSubjectError(
  id: string,
  valid: readonly string[],
  label = "Valid",
): SubjectNotFoundError {
  const near = nearSubject(id, valid);
  const hint = near ? ` (did you mean '${near}'?)` : "";
  return new SubjectNotFoundError(`Unknown subject '${id}'${hint}. ${label}: ${formatList(valid)}`);
}
