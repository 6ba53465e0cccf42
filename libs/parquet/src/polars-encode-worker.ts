// Piscina task module: encodes Arrow IPC streams as one Parquet file with nodejs-polars, off the
// event loop; the Parquet bytes are transferred back, not copied.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import type { DataFrame } from 'nodejs-polars';
import { withKeyValueMetadata } from './footer.js';
import { oneIpcStream } from './ipc-streams.js';
import { ownBuffer } from './own-buffer.js';
import { movedAfterRelease } from './polars-gc.js';
import type { EncodeTask } from './worker-codec.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.parquetEncode);


/**
 * DataFrame.writeParquet writes one row group per chunk of the frame, but first merges consecutive
 * chunks shorter than 512^2 rows until they reach 512^2 (polars-core chunk_df_for_writing), and it
 * takes no row group size. Chunks of `rowGroupRows` are kept as they are only from this size up.
 */
const POLARS_MIN_ROW_GROUP_ROWS = 512 * 512;

/** The frame as chunks of exactly `rows` rows (the last one shorter): one row group each. */
function chunked(frame: DataFrame, rows: number): DataFrame {
  if (frame.height <= rows) return frame.rechunk();
  let out: DataFrame | undefined;
  for (let first = 0; first < frame.height; first += rows) {
    const part = frame.slice(first, Math.min(rows, frame.height - first)).rechunk();
    out = out ? out.vstack(part) : part;
  }
  return out ?? frame;
}

/**
 * Smaller row groups than polars' in-memory writer allows go through its streaming sink, which takes
 * a row group size but writes only to a path: a private temporary file, read back and removed.
 */
function viaSink(frame: DataFrame, task: EncodeTask): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-polars-encode-'));
  try {
    const path = join(dir, 'out.parquet');
    frame.lazy().sinkParquet(path, { compression: task.compression, rowGroupSize: task.rowGroupRows, maintainOrder: true }).collectSync();
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function encode(task: EncodeTask): Uint8Array {
  const ipc = oneIpcStream(task.streams);
  const frame = pl.readIPCStream(Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength));
  const bytes = frame.height > task.rowGroupRows && task.rowGroupRows < POLARS_MIN_ROW_GROUP_ROWS
    ? viaSink(frame, task)
    : chunked(frame, task.rowGroupRows).writeParquet({ compression: task.compression });
  // nodejs-polars writes no key-value metadata of ours: the footer is rewritten to add it (footer.ts).
  return ownBuffer(withKeyValueMetadata(bytes, task.metadata));
}

export default function encodeParquet(task: EncodeTask): Promise<Uint8Array> {
  return movedAfterRelease(() => encode(task));
}
