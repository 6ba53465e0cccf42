import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';

/**
 * Arrow IPC streams of one schema as one stream of their record batches, in order, for the encoders
 * that read a single stream (parquet-wasm, polars); one stream is returned as it is.
 */
export function oneIpcStream(streams: readonly Uint8Array[]): Uint8Array {
  const [first] = streams;
  if (first === undefined) throw new RangeError('no Arrow IPC stream to encode');
  if (streams.length === 1) return first;
  // Table refuses batches whose schemas differ (a TypeError), as the arrow-rs encoder does.
  return tableToIPC(new Table(streams.flatMap((s) => tableFromIPC(s).batches)), 'stream');
}
