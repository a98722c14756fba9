/**
 * Format readers and writers for advanced use: NIfTI-1/2, GIfTI (data,
 * surfaces, a `func.gii` writer), FreeSurfer (labels, surfaces, curv files,
 * LTA/XFM transforms, MGH/MGZ volumes) and HDF5, each returning typed arrays (TSV tables come as Polars
 * DataFrames from `readTsv` in the main module). The Subject API uses these; reach for them to read a file you
 * downloaded yourself.
 *
 * @example
 * ```ts
 * import { readNiftiHeader } from "@laion/fmri/formats";
 * const header = await readNiftiHeader("sub-01_ses-01_desc-R2mean_statmap.nii.gz");
 * console.log(header.dims);
 * ```
 * @module
 */
export {
  type Nifti4dOptions,
  type NiftiMasked4d,
  type NiftiMaskOptions,
  type NiftiReadOptions,
  type NiftiVolume,
  type NiftiVolumeOptions,
  readNifti4dMasked,
  readNiftiHeader,
  readNiftiMask,
  readNiftiMaskedValues,
  readNiftiVolume,
} from "./nifti.ts";
export type { NiftiHeader } from "./nifti_header.ts";
export {
  type Nifti1WriteOptions,
  NIFTI_DATATYPES,
  type NiftiDatatype,
  type NiftiTypedArray,
  writeNifti1,
} from "./nifti_write.ts";
export {
  type GiftiCoordinateSystem,
  type GiftiData,
  type GiftiDataArray,
  type GiftiMaskOptions,
  type GiftiReadOptions,
  type GiftiSurface,
  readGiftiDataArrays,
  readGiftiMask,
  readGiftiSurface,
} from "./gifti.ts";
export {
  type GiftiEncoding,
  type GiftiFuncArray,
  type GiftiFuncIntent,
  giftiFuncXml,
  type GiftiWriteOptions,
  writeGiftiFunc,
} from "./gifti_write.ts";
export { type LabelReadOptions, readFreesurferLabel } from "./freesurfer_label.ts";
export {
  type FreesurferReadOptions,
  type FreesurferSurface,
  parseFreesurferSurface,
  readFreesurferMorph,
  readFreesurferSurface,
  type SurfaceMesh,
} from "./freesurfer_surface.ts";
export {
  type FreesurferVolumeGeometry,
  invertMatrix4,
  type Matrix4,
  multiplyMatrix4,
  type Vec3,
  volumeGeometryAffine,
  type VolumeGeometryAffineOptions,
} from "./freesurfer_geometry.ts";
export {
  LTA_TYPES,
  type LtaFile,
  type LtaTransform,
  parseLta,
  parseXfm,
  readLta,
  readXfm,
  transformWorldMatrix,
  type WorldMatrices,
  type WorldMatrixOptions,
  type XfmFile,
} from "./freesurfer_transform.ts";
export {
  type MghData,
  type MghHeader,
  type MghType,
  type MghVolume,
  readMgh,
  readMghHeader,
} from "./mgh.ts";
export {
  type Hdf5DatasetInfo,
  type Hdf5Dtype,
  Hdf5File,
  type Hdf5ReadOptions,
  type Hdf5Values,
  readHdf5Dataset,
} from "./hdf5.ts";
export type { Hdf5NumericArray } from "./hdf5_types.ts";
export {
  type ByteRange,
  type ByteReadOptions,
  type ByteSource,
  FileByteSource,
} from "../core/byte_source.ts";
export {
  type ModelRows,
  type ModelRowsOptions,
  readModelLayout,
  readModelRows,
} from "./glmsingle_model.ts";
export type { Hdf5ContiguousLayout } from "./hdf5_layout.ts";
export { encodePng, type PngImage } from "./png_write.ts";
export { getInflater, type Inflater, isalAvailable, setInflater } from "./inflate_isal.ts";
export {
  type DecodeJob,
  decodeNiftiFiles,
  type DecodePoolOptions,
  defaultWorkers,
} from "./nifti_pool.ts";
