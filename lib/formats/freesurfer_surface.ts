/**
 * FreeSurfer binary surfaces (`surf/lh.white`, `lh.pial`, `lh.inflated`,
 * `lh.sphere`, `lh.sphere.reg`, …) and "curv" morphometry files
 * (`lh.curv`, `lh.sulc`, `lh.thickness`, …), read as nibabel's
 * `nibabel.freesurfer.read_geometry(path, read_metadata=True,
 * read_stamp=True)` and `read_morph_data(path)` do.
 *
 * Triangle surface layout (big-endian): the 3-byte magic `0xFFFFFE`, the
 * created-by line ending in `"\n\n"`, int32 vertex and face counts, the
 * vertices as float32 `x y z` and the faces as int32 triples; then an
 * optional footer: the int32 tag `20` (or `2 0 20`) and the eight
 * volume-geometry lines whose `cras` is the scanner RAS of the volume
 * centre. Vertex coordinates are in FreeSurfer's surface ("tkr") RAS, as
 * nibabel returns them; add `volumeInfo.cRas` for scanner RAS.
 *
 * Curv files: the new format (magic `0xFFFFFF`, int32 vertex count, face
 * count and values per vertex (1), float32 values) and the old one (3-byte
 * vertex and face counts, int16 values / 100).
 * @module
 */
import { MalformedFileError } from "../core/errors.ts";
import { readChecked } from "../core/s3_error_body.ts";
import { bigEndianArray } from "./byte_order.ts";
import { type FreesurferVolumeGeometry, parseVolumeGeometry } from "./freesurfer_geometry.ts";

/** Options of the FreeSurfer surface and curv readers. */
export interface FreesurferReadOptions {
  /** Aborts reading the file. */
  signal?: AbortSignal;
  /**
   * A command that refetches the file, quoted in {@linkcode MalformedFileError} messages.
   * @default undefined
   */
  refetch?: string;
}

/** A triangle mesh: what the FreeSurfer and GIfTI surface readers return. */
export interface SurfaceMesh {
  /** Vertex coordinates, row-major `nVertices x 3` (`x y z` per vertex). */
  vertices: Float32Array;
  /** Vertex indices of each triangle, row-major `nFaces x 3`, each below `nVertices`. */
  faces: Uint32Array;
  /** Number of vertices. */
  nVertices: number;
  /** Number of triangles. */
  nFaces: number;
}

/** A FreeSurfer triangle surface with its created-by line and footer. */
export interface FreesurferSurface extends SurfaceMesh {
  /** The created-by line (nibabel's `create_stamp`), without its newlines. */
  createdBy: string;
  /**
   * The volume geometry of the footer (nibabel's `volume_info`), or
   * `undefined` when the file has none (or an unknown footer tag, which
   * nibabel skips with a warning).
   */
  volumeInfo?: FreesurferVolumeGeometry;
}

const TRIANGLE_MAGIC = 0xfffffe;
const QUAD_MAGIC = 0xffffff;
const NEW_QUAD_MAGIC = 0xfffffd;

const magicOf = (b: Uint8Array) => (b[0] << 16) | (b[1] << 8) | b[2];
const hex = (m: number) => `0x${m.toString(16).toUpperCase().padStart(6, "0")}`;

/**
 * Parses the bytes of a FreeSurfer triangle surface. `path` names the file
 * in errors.
 *
 * @throws {MalformedFileError} wrong magic (a quad surface, a curv file,
 *   not FreeSurfer), no created-by line, truncated, a face index out of
 *   range, a malformed footer
 * @example
 * ```ts
 * import { parseFreesurferSurface } from "@laion/fmri/formats";
 * const bytes = await Deno.readFile("lh.white");
 * const surf = parseFreesurferSurface(bytes, "lh.white");
 * console.log(surf.nVertices, surf.volumeInfo?.cRas);
 * ```
 */
export function parseFreesurferSurface(
  bytes: Uint8Array,
  path: string,
  refetch?: string,
): FreesurferSurface {
  const bad = (problem: string) => new MalformedFileError(path, problem, refetch);
  if (bytes.length < 3) throw bad(`too short for a FreeSurfer surface: ${bytes.length} bytes`);
  const magic = magicOf(bytes);
  if (magic !== TRIANGLE_MAGIC) {
    const kind = magic === QUAD_MAGIC
      ? "a quadrangle surface or a new-format curv file (read curv files with readFreesurferMorph)"
      : magic === NEW_QUAD_MAGIC
      ? "a new-format quadrangle surface"
      : "not a FreeSurfer surface";
    throw bad(
      `magic number ${hex(magic)} is ${kind}; a triangle surface starts with ${
        hex(TRIANGLE_MAGIC)
      }`,
    );
  }
  const nl1 = bytes.indexOf(0x0a, 3);
  const nl2 = nl1 < 0 ? -1 : bytes.indexOf(0x0a, nl1 + 1);
  if (nl2 < 0) {
    throw bad("no created-by line: expected text ending in two newlines after the magic");
  }
  const createdBy = new TextDecoder().decode(bytes.subarray(3, nl1));
  let o = nl2 + 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < o + 8) {
    throw bad(`truncated: no vertex and face counts after the created-by line`);
  }
  const nVertices = view.getInt32(o);
  const nFaces = view.getInt32(o + 4);
  o += 8;
  if (nVertices < 0 || nFaces < 0) {
    throw bad(`negative counts: ${nVertices} vertices, ${nFaces} faces`);
  }
  const need = o + 12 * nVertices + 12 * nFaces;
  if (bytes.length < need) {
    throw bad(
      `truncated: ${nVertices} vertices and ${nFaces} faces need ${need} bytes, the file has ${bytes.length}`,
    );
  }
  const vertices = bigEndianArray(bytes, o, 3 * nVertices, Float32Array);
  o += 12 * nVertices;
  const idx = bigEndianArray(bytes, o, 3 * nFaces, Int32Array);
  o += 12 * nFaces;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (v < 0 || v >= nVertices) {
      throw bad(
        `face ${Math.floor(i / 3)} refers to vertex ${v}, outside 0..${nVertices - 1}`,
      );
    }
  }
  const faces = new Uint32Array(idx.buffer);
  const volumeInfo = readFooter(bytes, view, o, bad);
  return { vertices, faces, nVertices, nFaces, createdBy, volumeInfo };
}

function readFooter(
  bytes: Uint8Array,
  view: DataView,
  o: number,
  bad: (problem: string) => Error,
): FreesurferVolumeGeometry | undefined {
  if (bytes.length < o + 4) return undefined;
  const tag = view.getInt32(o);
  o += 4;
  if (tag !== 20) {
    // FreeSurfer writes TAG_OLD_USEREALRAS (2) with value 0 before the geometry tag
    if (
      tag !== 2 || bytes.length < o + 8 || view.getInt32(o) !== 0 || view.getInt32(o + 4) !== 20
    ) {
      return undefined; // an unknown tag: nibabel warns and returns no volume info
    }
    o += 8;
  }
  const lines: string[] = [];
  const dec = new TextDecoder();
  for (let i = 0; i < 8; i++) {
    const nl = bytes.indexOf(0x0a, o);
    const end = nl < 0 ? bytes.length : nl;
    if (o >= bytes.length) break;
    lines.push(dec.decode(bytes.subarray(o, end)));
    o = end + 1;
  }
  return parseVolumeGeometry(lines, "volume-geometry footer", bad);
}

/**
 * Reads a FreeSurfer triangle surface (`lh.white`, `lh.pial`,
 * `lh.sphere.reg`, …): vertices, faces, the created-by line and the
 * volume-geometry footer.
 *
 * @param path the surface file
 * @param opts `signal`, `refetch`
 * @throws {MalformedFileError} see {@linkcode parseFreesurferSurface}
 * @example
 * ```ts
 * import { readFreesurferSurface } from "@laion/fmri/formats";
 * const white = await readFreesurferSurface("surf/lh.white");
 * console.log(white.nVertices, white.nFaces, white.createdBy);
 * const cRas = white.volumeInfo?.cRas ?? [0, 0, 0]; // tkr RAS + cRas = scanner RAS
 * console.log(white.vertices[0] + cRas[0]);
 * ```
 */
export async function readFreesurferSurface(
  path: string,
  opts: FreesurferReadOptions = {},
): Promise<FreesurferSurface> {
  const bytes = await readChecked(path, "FreeSurfer surface", opts);
  return parseFreesurferSurface(bytes, path, opts.refetch);
}

/**
 * Reads a FreeSurfer "curv" morphometry file (`lh.curv`, `lh.sulc`,
 * `lh.thickness`, …), one value per vertex, as nibabel's `read_morph_data`
 * (new format: float32 values; old format: int16 / 100).
 *
 * @param path the curv file
 * @param opts `signal`, `refetch`
 * @returns one value per vertex
 * @throws {MalformedFileError} truncated, more than one value per vertex,
 *   a surface file instead of a curv file
 * @example
 * ```ts
 * import { readFreesurferMorph } from "@laion/fmri/formats";
 * const sulc = await readFreesurferMorph("surf/lh.sulc");
 * console.log(sulc.length, "vertices");
 * ```
 */
export async function readFreesurferMorph(
  path: string,
  opts: FreesurferReadOptions = {},
): Promise<Float32Array> {
  const bytes = await readChecked(path, "FreeSurfer curv file", opts);
  const bad = (problem: string) => new MalformedFileError(path, problem, opts.refetch);
  if (bytes.length < 6) throw bad(`too short for a FreeSurfer curv file: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = magicOf(bytes);
  if (magic === TRIANGLE_MAGIC || magic === NEW_QUAD_MAGIC) {
    throw bad(
      `magic number ${
        hex(magic)
      } is a surface, not a curv file; read surfaces with readFreesurferSurface`,
    );
  }
  if (magic === QUAD_MAGIC) {
    if (bytes.length < 15) {
      throw bad(`truncated: the curv header needs 15 bytes, got ${bytes.length}`);
    }
    const n = view.getInt32(3);
    const perVertex = view.getInt32(11);
    if (n < 0) throw bad(`negative vertex count ${n}`);
    if (perVertex !== 1) {
      throw bad(`${perVertex} values per vertex; only 1 is supported (as nibabel)`);
    }
    if (bytes.length < 15 + 4 * n) {
      throw bad(`truncated: ${n} vertices need ${15 + 4 * n} bytes, the file has ${bytes.length}`);
    }
    return bigEndianArray(bytes, 15, n, Float32Array);
  }
  // old format: 3-byte vertex count, 3-byte face count, int16 values / 100
  const n = magic;
  if (bytes.length < 6 + 2 * n) {
    throw bad(
      `not a new-format curv file (magic ${hex(magic)}) and, read as an old-format one, ` +
        `truncated: ${n} vertices need ${6 + 2 * n} bytes, the file has ${bytes.length}`,
    );
  }
  const raw = bigEndianArray(bytes, 6, n, Int16Array);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = raw[i] / 100;
  return out;
}
