// Piscina task module: encodes Arrow IPC stream bytes as one Parquet file with arrow-rs's
// ArrowWriter, native: the writer parquet-wasm runs as WebAssembly, so the file is the one
// parquet-wasm writes (REQUIRED non-nullable columns, the same types and metadata).
import { Piscina } from 'piscina';
import { loadArrowRs } from './arrow-rs-native.js';
import { ownBuffer } from './own-buffer.js';
import type { EncodeTask } from './worker-codec.js';

const native = loadArrowRs();

export default function encodeParquet(task: EncodeTask): Uint8Array {
  const bytes = native.encodeParquet(task.ipc, task.compression, task.rowGroupRows, { ...task.metadata });
  return Piscina.move(ownBuffer(bytes)) as Uint8Array;
}
