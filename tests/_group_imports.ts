export * from "../mod.ts";
export {
  readNiftiHeader as readNiftiHeaderForTest,
  readNiftiMaskedValues,
} from "../lib/formats/nifti.ts";
