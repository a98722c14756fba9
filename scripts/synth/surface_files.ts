/**
 * Writers for the surface ROI files: GIfTI `.func.gii` (float32 0/1 per
 * vertex; ASCII, Base64Binary or GZipBase64Binary encoding, the latter
 * zlib-compressed as the GIfTI standard says) and FreeSurfer ASCII `.label`.
 * @module
 */
import { deflateSync } from "node:zlib";
import { base64 } from "../../lib/core/base64.ts";
import { surfaceVertex } from "./geometry.ts";

/** The GIfTI data encodings the generator uses. */
export type GiftiEncoding = "ASCII" | "Base64Binary" | "GZipBase64Binary";
/** In rotation order. */
export const GIFTI_ENCODINGS: readonly GiftiEncoding[] = [
  "ASCII",
  "Base64Binary",
  "GZipBase64Binary",
];

/**
 * A GIfTI document with one float32 data array of 0/1 per vertex.
 *
 * @example
 * ```ts
 * import { giftiMaskXml } from "./surface_files.ts";
 * const xml = giftiMaskXml(200, [3, 4, 5], "GZipBase64Binary");
 * ```
 */
export function giftiMaskXml(
  nVertices: number,
  vertices: readonly number[],
  encoding: GiftiEncoding,
): string {
  const values = new Float32Array(nVertices);
  for (const v of vertices) values[v] = 1;
  return giftiFloatXml(values, encoding);
}

/**
 * A GIfTI document with one float32 data array (e.g. a z map per vertex).
 * ASCII values carry 6 decimals, so exact round trips need a binary encoding.
 *
 * @example
 * ```ts
 * import { giftiFloatXml } from "./surface_files.ts";
 * const xml = giftiFloatXml(new Float32Array([0.5, -1.25]), "Base64Binary", "NIFTI_INTENT_ZSCORE");
 * ```
 */
export function giftiFloatXml(
  values: Float32Array,
  encoding: GiftiEncoding,
  intent = "NIFTI_INTENT_NONE",
): string {
  const nVertices = values.length;
  let data: string;
  if (encoding === "ASCII") {
    data = Array.from(values, (x) => x.toFixed(6)).join("\n");
  } else {
    const bytes = new Uint8Array(values.buffer);
    data = base64(encoding === "GZipBase64Binary" ? deflateSync(bytes, { level: 6 }) : bytes);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE GIFTI SYSTEM "http://www.nitrc.org/frs/download.php/115/gifti.dtd">
<GIFTI Version="1.0" NumberOfDataArrays="1">
  <MetaData/>
  <LabelTable/>
  <DataArray Intent="${intent}" DataType="NIFTI_TYPE_FLOAT32" ArrayIndexingOrder="RowMajorOrder" Dimensionality="1" Dim0="${nVertices}" Encoding="${encoding}" Endian="LittleEndian" ExternalFileName="" ExternalFileOffset="">
    <MetaData/>
    <Data>${data}</Data>
  </DataArray>
</GIFTI>
`;
}

/**
 * A FreeSurfer ASCII label: comment line, count line, then
 * `vertex x y z value` lines for the given (true) vertices.
 *
 * @example
 * ```ts
 * import { freesurferLabel } from "./surface_files.ts";
 * const text = freesurferLabel("sub-01", 200, "L", [3, 4, 5]);
 * ```
 */
export function freesurferLabel(
  subject: string,
  nVertices: number,
  hemi: "L" | "R",
  vertices: readonly number[],
): string {
  const lines = [`#!ascii label  , from subject ${subject} vox2ras=TkReg`, String(vertices.length)];
  for (const v of vertices) {
    const [x, y, z] = surfaceVertex(v, nVertices, hemi);
    lines.push(`${v}  ${x.toFixed(3)}  ${y.toFixed(3)}  ${z.toFixed(3)} 1.0000000000`);
  }
  return lines.join("\n") + "\n";
}
