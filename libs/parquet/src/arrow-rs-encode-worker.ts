// Piscina task module: encodes Arrow IPC streams as one Parquet file with arrow-rs's ArrowWriter,
// native, reading each stream where it is: the writer parquet-wasm runs as WebAssembly, so the file
// is the one parquet-wasm writes (REQUIRED non-nullable columns, the same types and metadata).
import { Piscina } from 'piscina';
import { loadArrowRs } from './arrow-rs-native.js';
import { ownBuffer } from './own-buffer.js';
import { collectGarbage } from '../../workers/src/worker-gc.js';
import type { EncodeTask } from './worker-codec.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetEncode);

const native = loadArrowRs();

export default function encodeParquet(task: EncodeTask): Uint8Array {
  // The task is this thread's copy. Its streams are a whole file's rows (tens of MB), often
  // SharedArrayBuffers the processor hands over without a copy: this thread's references to them
  // keep their memory until it collects garbage, which a worker that allocates next to no
  // JavaScript seldom does (a month's embedded run peaked ~600 MB higher). So they are dropped and
  // collected as soon as they are written.
  const streams = task.streams as Uint8Array[];
  try {
    const bytes = native.encodeParquet(streams, task.compression, task.rowGroupRows, { ...task.metadata }, task.plainColumns);
    return Piscina.move(ownBuffer(bytes)) as Uint8Array;
  } finally {
    streams.length = 0;
    collectGarbage();
  }
}
