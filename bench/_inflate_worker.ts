/**
 * Bench helper: a Worker that inflates one file with ISA-L and throws the
 * bytes away, so the bench can time one bare inflate against two at once
 * on two threads (the ceiling of parallel decoding on the machine).
 *
 * Message in: the file's path. Message out: the milliseconds it took.
 * @module
 */
import { isalAvailable, isalInflateFile } from "../lib/formats/inflate_isal.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<string>) => void) | null;
  postMessage(message: number): void;
};

scope.onmessage = async (e) => {
  if (!await isalAvailable()) {
    throw new Error("ISA-L (libisal2) is not available: the ceiling needs it");
  }
  const t0 = performance.now();
  for await (const _ of isalInflateFile(e.data, { reuse: 2 })) { /* drain */ }
  scope.postMessage(performance.now() - t0);
};
