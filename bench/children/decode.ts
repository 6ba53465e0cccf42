// Child process of the `decode` scope: decodes every row group of a Parquet file through
// libs/parquet (parquet-wasm in its decode worker, as ingest does) and prints one JSON line.
// Only the decode loop is timed (counting the Arrow bytes is outside the wasm but inside the loop,
// and takes microseconds); opening the file (the footer) and start-up are not.
import type { Data, Table } from 'apache-arrow';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';

/** Bytes of the decoded Arrow buffers (values, offsets, validity), children included. */
function dataBytes(d: Data): number {
  const own = [d.values as ArrayBufferView | undefined, d.valueOffsets as ArrayBufferView | undefined, d.nullBitmap as ArrayBufferView | undefined]
    .reduce((sum, b) => sum + (b?.byteLength ?? 0), 0);
  return own + d.children.reduce((sum, c) => sum + dataBytes(c), 0);
}
const arrowBytes = (t: Table): number => t.batches.reduce((sum, b) => sum + dataBytes(b.data), 0);

const path = process.argv[2];
if (path === undefined) throw new Error('usage: decode.ts FILE');
const codec = parquetWasmCodec();
try {
  const reader = await codec.open(path);
  const started = performance.now();
  let rows = 0;
  let decodedBytes = 0;
  for (const group of reader.info.rowGroups) {
    const table = await reader.readRowGroup(group.index);
    rows += table.numRows;
    decodedBytes += arrowBytes(table);
  }
  const seconds = (performance.now() - started) / 1000;
  reader.close();
  process.stdout.write(`${JSON.stringify({ rows, seconds, sourceBytes: reader.info.sizeBytes, decodedBytes, rowGroups: reader.info.rowGroups.length })}\n`);
} finally {
  await codec.destroy();
}
