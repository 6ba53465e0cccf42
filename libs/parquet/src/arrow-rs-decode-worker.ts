// Piscina task module: decodes one Parquet row group to Arrow IPC stream bytes with arrow-rs,
// native (the parquet crate parquet-wasm compiles to WebAssembly). A panic on a corrupt page comes
// back as an error (the module catches unwinds), which the reader names with file and row group.
import { Piscina } from 'piscina';
import { loadArrowRs } from './arrow-rs-native.js';
import { ownBuffer } from './own-buffer.js';
import type { DecodeTask } from './decode-worker.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetDecode);

const native = loadArrowRs();

export default function decodeRowGroup(task: DecodeTask): Uint8Array {
  return Piscina.move(ownBuffer(native.decodeRowGroup(task.path, task.rowGroup, task.batchRows, task.rows?.offset, task.rows?.count))) as Uint8Array;
}
