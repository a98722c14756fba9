/**
 * Worker that computes the MD5 of a file while it is being written: it
 * hashes up to the "frontier" (the contiguous prefix known to be on disk)
 * that the main thread posts, so hashing runs beside the download.
 *
 * Messages in: `{ path, size }` once, then `{ frontier }` (bytes) updates.
 * Messages out: `{ digest }` (hex) when `size` bytes are hashed, or `{ error }`.
 * @module
 */
import { createHash } from "node:crypto";

interface Start {
  path: string;
  size: number;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

let frontier = 0;
let wake: (() => void) | undefined;
let started = false;

async function hashFile({ path, size }: Start): Promise<string> {
  const hash = createHash("md5");
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(4 << 20);
    let hashed = 0;
    while (hashed < size) {
      if (hashed >= frontier) {
        await new Promise<void>((r) => wake = r);
        continue;
      }
      await file.seek(hashed, Deno.SeekMode.Start);
      const got = await file.read(buf.subarray(0, Math.min(buf.length, frontier - hashed)));
      if (got === null) throw new Error("the temp file is shorter than written");
      hash.update(buf.subarray(0, got));
      hashed += got;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

scope.onmessage = (e: MessageEvent) => {
  const msg = e.data as Partial<Start> & { frontier?: number };
  if (typeof msg.frontier === "number") {
    frontier = Math.max(frontier, msg.frontier);
    const w = wake;
    wake = undefined;
    w?.();
  }
  if (!started && typeof msg.path === "string" && typeof msg.size === "number") {
    started = true;
    hashFile({ path: msg.path, size: msg.size }).then(
      (digest) => scope.postMessage({ digest }),
      (error) => scope.postMessage({ error: String(error?.message ?? error) }),
    );
  }
};
