/**
 * The progress map of a segmented transfer, saved beside its temp file
 * (`<temp>.map`) so that a later run resumes each segment where it stopped.
 * @module
 */
import { writeFileAtomic } from "../../core/fs.ts";

/**
 * Progress of a segmented transfer: the object it belongs to, the segment
 * size, and the bytes of each segment known to be on disk.
 */
export interface SegmentMap {
  /** Format version. */
  version: 1;
  /** Size of the object. */
  size: number;
  /** ETag of the object. */
  etag?: string;
  /** Segment size in bytes (the last segment may be shorter). */
  segment: number;
  /** Bytes of each segment known to be on disk. */
  progress: number[];
}

/**
 * A fresh map: `size` bytes in segments of `segment` bytes, none on disk.
 *
 * @example
 * ```ts
 * import { newSegmentMap } from "./segment_map.ts";
 * newSegmentMap(100, "etag", 40).progress; // [0, 0, 0]
 * ```
 */
export function newSegmentMap(size: number, etag: string | undefined, segment: number): SegmentMap {
  return {
    version: 1,
    size,
    etag,
    segment,
    progress: new Array(Math.ceil(size / segment)).fill(0),
  };
}

/**
 * Reads a segment map, or `undefined` when it is missing or damaged.
 *
 * @example
 * ```ts
 * import { readSegmentMap } from "./segment_map.ts";
 * await readSegmentMap("/nonexistent.part.map"); // undefined
 * ```
 */
export async function readSegmentMap(
  path: string,
  signal?: AbortSignal,
): Promise<SegmentMap | undefined> {
  signal?.throwIfAborted();
  try {
    const m = JSON.parse(await Deno.readTextFile(path, { signal })) as SegmentMap;
    if (m?.version !== 1 || !Array.isArray(m.progress) || !(m.segment > 0)) return undefined;
    return m;
  } catch {
    signal?.throwIfAborted(); // an abort is not a damaged map: the temp file stays as it is
    return undefined;
  }
}

/**
 * True when a map describes this object version (size, ETag, segment count).
 *
 * @example
 * ```ts
 * import { mapFits, newSegmentMap } from "./segment_map.ts";
 * mapFits(newSegmentMap(100, "e", 40), 100, "e"); // true
 * ```
 */
export function mapFits(map: SegmentMap, size: number, etag: string | undefined): boolean {
  return map.size === size && map.etag === etag &&
    map.progress.length === Math.ceil(size / map.segment);
}

/**
 * Length of segment `i` (the last one may be shorter).
 *
 * @example
 * ```ts
 * import { newSegmentMap, segmentLength } from "./segment_map.ts";
 * segmentLength(newSegmentMap(100, "e", 40), 2); // 20
 * ```
 */
export function segmentLength(map: SegmentMap, i: number): number {
  return Math.min(map.segment, map.size - i * map.segment);
}

/**
 * Bytes on disk over all segments.
 *
 * @example
 * ```ts
 * import { bytesOnDisk, newSegmentMap } from "./segment_map.ts";
 * bytesOnDisk(newSegmentMap(100, "e", 40)); // 0
 * ```
 */
export function bytesOnDisk(map: SegmentMap): number {
  return map.progress.reduce((a, b) => a + b, 0);
}

/**
 * Length of the contiguous prefix on disk (what can be hashed so far).
 *
 * @example
 * ```ts
 * import { contiguousPrefix } from "./segment_map.ts";
 * contiguousPrefix({ version: 1, size: 100, segment: 40, progress: [40, 10, 20] }); // 50
 * ```
 */
export function contiguousPrefix(map: SegmentMap): number {
  let f = 0;
  for (let i = 0; i < map.progress.length; i++) {
    f += map.progress[i];
    if (map.progress[i] < segmentLength(map, i)) break;
  }
  return f;
}

/**
 * Saves a map atomically, at most every 500 ms unless forced; saves run one
 * after another and a failed save is dropped (the next one retries). Takes
 * no signal on purpose: the last save runs after an abort, so that the next
 * run resumes from it.
 *
 * @example
 * ```ts
 * import { MapSaver, newSegmentMap } from "./segment_map.ts";
 * const dir = await Deno.makeTempDir();
 * const saver = new MapSaver(`${dir}/x.part.map`, newSegmentMap(10, undefined, 4));
 * await saver.save(true);
 * ```
 */
export class MapSaver {
  #path: string;
  #map: SegmentMap;
  #saving = Promise.resolve();
  #last = 0;

  /** Creates an instance. @param path the `.map` file @param map the map, saved as it changes */
  constructor(path: string, map: SegmentMap) {
    this.#path = path;
    this.#map = map;
  }

  /** Schedules a save (skipped within 500 ms of the last one unless `force`); resolves when done. */
  save(force = false): Promise<void> {
    if (!force && Date.now() - this.#last < 500) return this.#saving;
    this.#last = Date.now();
    const text = JSON.stringify(this.#map);
    this.#saving = this.#saving.then(() => writeFileAtomic(this.#path, text)).catch(() => {});
    return this.#saving;
  }
}
