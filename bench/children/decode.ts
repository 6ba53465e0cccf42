// Child process of the `decode` and `codecs` scopes: decodes every row group of a Parquet file
// through libs/parquet (the default decoder, or the library named, in its decode worker, as ingest does)
// and prints one JSON line. Only the decode loop is timed (counting the Arrow bytes is outside the
// decoder but inside the loop, and takes microseconds); opening the file (the footer) and start-up are not.
// Arguments: FILE [polars|parquet-wasm].
import type { Data, Table } from 'apache-arrow';
import { PARQUET_CODECS, defaultParquetCodec, namedParquetCodec } from '../../libs/parquet/src/index.js';
import type { ParquetCodecName } from '../../libs/parquet/src/index.js';

/** Bytes of the decoded Arrow buffers (values, offsets, validity), children included. */
function dataBytes(d: Data): number {
  const own = [d.values as ArrayBufferView | undefined, d.valueOffsets as ArrayBufferView | undefined, d.nullBitmap as ArrayBufferView | undefined]
    .reduce((sum, b) => sum + (b?.byteLength ?? 0), 0);
  return own + d.children.reduce((sum, c) => sum + dataBytes(c), 0);
}
const arrowBytes = (t: Table): number => t.batches.reduce((sum, b) => sum + dataBytes(b.data), 0);

const [path, name] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: decode.ts FILE [polars|parquet-wasm]');
if (name !== undefined && !(PARQUET_CODECS as readonly string[]).includes(name)) throw new Error(`unknown codec ${name}; the codecs are ${PARQUET_CODECS.join(', ')}`);
const codec = name === undefined ? defaultParquetCodec() : namedParquetCodec(name as ParquetCodecName);
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
  process.stdout.write(`${JSON.stringify({ codec: codec.name, rows, seconds, sourceBytes: reader.info.sizeBytes, decodedBytes, rowGroups: reader.info.rowGroups.length })}\n`);
} finally {
  await codec.destroy();
}
