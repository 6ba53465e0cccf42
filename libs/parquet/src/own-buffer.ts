/**
 * `bytes` as a Uint8Array that owns its whole ArrayBuffer, so that transferring it moves only these
 * bytes: Node allocates small Buffers inside a shared pool, which a transfer would take along.
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return new Uint8Array(bytes.buffer);
  }
  return Uint8Array.prototype.slice.call(bytes);
}
