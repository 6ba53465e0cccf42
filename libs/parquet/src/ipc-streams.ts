import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';

/**
 * Arrow IPC streams of one schema as one stream of their record batches, in order, for the encoders
 * that read a single stream (parquet-wasm, polars); one stream is returned as it is.
 */
export function oneIpcStream(streams: readonly Uint8Array[]): Uint8Array {
  const [first] = streams;
  if (first === undefined) throw new RangeError('no Arrow IPC stream to encode');
  if (streams.length === 1) return first;
  // The batches' own schema: each stream's decoded schema may differ from another's in
  // metadata detail, and the first one's is the one written.
  return tableToIPC(new Table(streams.flatMap((s) => tableFromIPC(s).batches)), 'stream');
}
