/**
 * Worker that decodes a 4-D NIfTI at the voxels of a mask
 * ({@linkcode readNifti4dMasked}), so several files inflate on several
 * cores at once.
 *
 * Message in: `{ id, path, mask, inflater }`. Message out: `{ id, data,
 * nVolumes, nSelected }` (the data's buffer is transferred), or `{ id,
 * error }`, upon which the caller decodes the file itself to raise the
 * same typed error a serial read would.
 * @module
 */
import { type Inflater, setInflater } from "./inflate_isal.ts";
import { readNifti4dMasked } from "./nifti.ts";

interface Job {
  id: number;
  path: string;
  mask: Uint8Array;
  inflater: Inflater;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (e: MessageEvent) => {
  const { id, path, mask, inflater } = e.data as Job;
  try {
    setInflater(inflater);
    const r = await readNifti4dMasked(path, mask);
    scope.postMessage({ id, data: r.data, nVolumes: r.nVolumes, nSelected: r.nSelected }, [
      r.data.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
