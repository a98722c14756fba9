/**
 * The element types of HDF5 datasets as the readers (and the test tooling's
 * writer) name them, and their stored sizes.
 * @module
 */

/** Element types of HDF5 datasets (the reader's and the test tooling's writer's). */
export type Hdf5Dtype =
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "uint32"
  | "int32"
  | "float16"
  | "float32"
  | "float64"
  | "bool"
  | "vlen-str"
  | "vlen-uint8";

/** Typed arrays accepted as numeric data (float16 as `Float16Array` or its raw `Uint16Array` bits). */
export type Hdf5NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float16Array
  | Float32Array
  | Float64Array;

/** Bytes per stored element (a variable-length element is a 16-byte heap reference). */
export const ELEMENT_SIZE: Readonly<Record<Hdf5Dtype, number>> = {
  uint8: 1,
  int8: 1,
  bool: 1,
  uint16: 2,
  int16: 2,
  float16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
  "vlen-str": 16,
  "vlen-uint8": 16,
};
