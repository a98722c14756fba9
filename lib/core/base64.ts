/**
 * Base64 of bytes, the one encoder for data URLs and notebook output.
 * @module
 */
import { Buffer } from "node:buffer";

/**
 * Standard base64 (RFC 4648, with padding) of `bytes`, e.g. for a
 * `data:image/png;base64,…` URL.
 *
 * @example
 * ```ts
 * import { base64 } from "./base64.ts";
 * base64(new Uint8Array([137, 80, 78, 71])); // "iVBORw=="
 * ```
 */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
