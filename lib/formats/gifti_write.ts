/**
 * GIfTI functional-file writer (`.func.gii`, `.shape.gii`): one float32
 * `<DataArray>` per map, as nibabel writes them
 * (`GiftiImage(darrays=[GiftiDataArray(values, intent=...)])`), so that
 * `nibabel.load` and our `readGiftiDataArrays` read the values back bit
 * for bit. Written atomically (a temp file, then a rename).
 *
 * Encodings: `GZipBase64Binary` (zlib-compressed, base64; nibabel's
 * default), `Base64Binary`, `ASCII` (the shortest text that round-trips
 * every float32; `nan`, `inf`, `-inf`).
 * @module
 */
import { base64 } from "../core/base64.ts";
import { deflateSync } from "node:zlib";
import { writeFileAtomic } from "../core/fs.ts";
import { escapeHtml } from "../core/display.ts";
import { littleEndianBytes } from "./byte_order.ts";

/** The intents a functional GIfTI array may carry here. */
export type GiftiFuncIntent = "NIFTI_INTENT_NONE" | "NIFTI_INTENT_SHAPE";

/** How `<Data>` is encoded. */
export type GiftiEncoding = "GZipBase64Binary" | "Base64Binary" | "ASCII";

/** One map to write. */
export interface GiftiFuncArray {
  /** One value per vertex. */
  values: Float32Array | ArrayLike<number>;
  /**
   * A 2-D shape `[rows, cols]` for a single array holding several maps,
   * `values` in row-major order (upstream's `_save_gifti` writes an
   * `(n_samples, n_vertices)` result this way).
   * @default undefined (1-D, one value per vertex)
   */
  shape?: readonly [number, number];
  /** The array's intent. @default the file's `intent` */
  intent?: GiftiFuncIntent;
  /** The array's `<MetaData>` (e.g. `{ Name: "trial 1" }`). @default {} */
  metadata?: Record<string, string>;
}

/** Options of {@linkcode writeGiftiFunc}. */
export interface GiftiWriteOptions {
  /** Intent of arrays that do not set their own. @default "NIFTI_INTENT_NONE" */
  intent?: GiftiFuncIntent;
  /** How `<Data>` is encoded. @default "GZipBase64Binary" */
  encoding?: GiftiEncoding;
  /**
   * The file's `<MetaData>`, e.g. `{ AnatomicalStructurePrimary: "CortexLeft" }`.
   * @default {}
   */
  metadata?: Record<string, string>;
  /** Aborts the write; nothing is left at `path`. */
  signal?: AbortSignal;
}

const INTENTS: readonly GiftiFuncIntent[] = ["NIFTI_INTENT_NONE", "NIFTI_INTENT_SHAPE"];
const ENCODINGS: readonly GiftiEncoding[] = ["GZipBase64Binary", "Base64Binary", "ASCII"];

function metadataXml(md: Record<string, string> | undefined, indent: string): string {
  const entries = Object.entries(md ?? {});
  if (entries.length === 0) return `${indent}<MetaData/>\n`;
  const items = entries.map(([k, v]) =>
    `${indent}  <MD>\n${indent}    <Name>${escapeHtml(k)}</Name>\n` +
    `${indent}    <Value>${escapeHtml(v)}</Value>\n${indent}  </MD>\n`
  );
  return `${indent}<MetaData>\n${items.join("")}${indent}</MetaData>\n`;
}

function asciiFloat(x: number): string {
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return Object.is(x, -0) ? "-0" : String(x);
}

/**
 * The XML text of a functional GIfTI file (what {@linkcode writeGiftiFunc}
 * writes).
 *
 * @throws {RangeError} an unknown intent or encoding, 1-D arrays of different lengths, a
 *   `shape` that does not hold its values, no array
 * @example
 * ```ts
 * import { giftiFuncXml } from "@laion/fmri/formats";
 * const xml = giftiFuncXml([{ values: new Float32Array([1, 2, 3]) }], { encoding: "ASCII" });
 * console.log(xml.includes("1 2 3"));
 * ```
 */
export function giftiFuncXml(
  arrays: readonly GiftiFuncArray[],
  opts: Omit<GiftiWriteOptions, "signal"> = {},
): string {
  const encoding = opts.encoding ?? "GZipBase64Binary";
  if (!ENCODINGS.includes(encoding)) {
    throw new RangeError(
      `Unknown GIfTI encoding ${JSON.stringify(encoding)}. Valid: ${ENCODINGS.join(", ")}`,
    );
  }
  if (arrays.length === 0) throw new RangeError("a GIfTI file needs at least one data array");
  const n = arrays.find((a) => a.shape === undefined)?.values.length;
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<GIFTI Version="1.0" NumberOfDataArrays="${arrays.length}">\n`,
    metadataXml(opts.metadata, ""),
    "<LabelTable/>\n",
  ];
  arrays.forEach((a, i) => {
    const intent = a.intent ?? opts.intent ?? "NIFTI_INTENT_NONE";
    if (!INTENTS.includes(intent)) {
      throw new RangeError(
        `Unknown intent ${JSON.stringify(intent)} for data array ${i}. Valid: ${
          INTENTS.join(", ")
        }`,
      );
    }
    const shape = a.shape;
    if (shape !== undefined) {
      if (
        shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0) ||
        shape[0] * shape[1] !== a.values.length
      ) {
        throw new RangeError(
          `data array ${i}: shape ${JSON.stringify(shape)} does not hold its ${a.values.length} ` +
            `values; pass [rows, cols] with rows * cols = values.length`,
        );
      }
    } else if (a.values.length !== n) {
      throw new RangeError(
        `data array ${i} has ${a.values.length} values, the first 1-D array has ${n}: every map ` +
          `of a GIfTI file covers the same vertices`,
      );
    }
    const f32 = a.values instanceof Float32Array ? a.values : Float32Array.from(a.values);
    let text: string;
    if (encoding === "ASCII") {
      // one row per line, as nibabel writes (its reader takes the shape from the lines)
      const cols = shape ? shape[1] : 1;
      const lines: string[] = [];
      for (let r = 0; r < f32.length; r += cols) {
        lines.push(Array.from(f32.subarray(r, r + cols), asciiFloat).join(" "));
      }
      text = lines.join("\n");
    } else {
      const le = littleEndianBytes(f32);
      const payload = encoding === "GZipBase64Binary" ? deflateSync(le) : le;
      text = base64(payload);
    }
    parts.push(
      `<DataArray Intent="${intent}" DataType="NIFTI_TYPE_FLOAT32" ` +
        `ArrayIndexingOrder="RowMajorOrder" ` +
        (shape
          ? `Dimensionality="2" Dim0="${shape[0]}" Dim1="${shape[1]}" `
          : `Dimensionality="1" Dim0="${f32.length}" `) +
        `Encoding="${encoding}" Endian="LittleEndian" ExternalFileName="" ExternalFileOffset="">\n`,
      metadataXml(a.metadata, "  "),
      `  <Data>${text}</Data>\n`,
      "</DataArray>\n",
    );
  });
  parts.push("</GIFTI>\n");
  return parts.join("");
}

/**
 * Writes per-vertex maps as a functional GIfTI file (`.func.gii`), one
 * float32 data array per map, atomically. `nibabel.load(path)` reads it.
 *
 * @param path the file to write (replaced if it exists)
 * @param data one map, or several (e.g. one per trial)
 * @param opts `intent`, `encoding`, `metadata`, `signal`
 * @throws {RangeError} see {@linkcode giftiFuncXml}
 * @example
 * ```ts
 * import { writeGiftiFunc } from "@laion/fmri/formats";
 * const dir = await Deno.makeTempDir();
 * await writeGiftiFunc(`${dir}/sub-01_space-fsaverage_den-10k_hemi-L_statmap.func.gii`,
 *   new Float32Array(10242), { metadata: { AnatomicalStructurePrimary: "CortexLeft" } });
 * ```
 */
export async function writeGiftiFunc(
  path: string,
  data: Float32Array | ArrayLike<number> | readonly GiftiFuncArray[],
  opts: GiftiWriteOptions = {},
): Promise<void> {
  opts.signal?.throwIfAborted();
  const arrays: readonly GiftiFuncArray[] = Array.isArray(data) &&
      (data.length === 0 || typeof data[0] === "object")
    ? data as readonly GiftiFuncArray[]
    : [{ values: data as ArrayLike<number> }];
  const xml = giftiFuncXml(arrays, opts);
  await writeFileAtomic(path, xml, { signal: opts.signal });
}
