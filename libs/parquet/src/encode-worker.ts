// Piscina task module: encodes Arrow IPC streams as one Parquet file (parquet-wasm), off the
// event loop; the Parquet bytes are transferred back, not copied.
import * as pq from 'parquet-wasm';
import { Piscina } from 'piscina';
import { oneIpcStream } from './ipc-streams.js';
import type { EncodeTask } from './worker-codec.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetEncode);


const COMPRESSION = { zstd: pq.Compression.ZSTD, snappy: pq.Compression.SNAPPY, uncompressed: pq.Compression.UNCOMPRESSED } as const;

export default function encodeParquet(task: EncodeTask): Uint8Array {
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[task.compression])
    .setMaxRowGroupSize(task.rowGroupRows)
    .setKeyValueMetadata(new Map(Object.entries(task.metadata)));
  for (const column of task.plainColumns) builder = builder.setColumnDictionaryEnabled(column, false);
  const props = builder.build();
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(oneIpcStream(task.streams)), props);
  return Piscina.move(bytes) as Uint8Array;
}
