// Child of the `codecs` scope: encodes the processed month as the Parquet sink does, through one
// codec (in its encode worker): batches accumulate into a file until it holds the sink's roll.rows or
// roll.bytes of Arrow (defaults: 1,000,000 rows, 64 MiB), then the file is encoded (ZSTD, row groups
// of 262,144 rows, the sink's footer metadata), one file after another. Only the encode calls are
// timed; reading the IPC input is not. Arguments: PROCESSED_IPC and a codec (arrow-rs, polars, parquet-wasm).
// Prints one JSON line: rows, files, seconds (encoding), parquetBytes, arrowBytes.
import { createReadStream } from 'node:fs';
import { RecordBatchReader, Table } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';
import { parseOptions } from '../../libs/config/src/parse.js';
import { PARQUET_CODECS, namedParquetCodec } from '../../libs/parquet/src/index.js';
import type { ParquetCodecName } from '../../libs/parquet/src/index.js';
import { PROCESSED_DISTINCT_COLUMNS, PROCESSED_FINGERPRINT } from '../../libs/schema/src/processed.js';
import { parquetSinkOptionsSchema } from '../../libs/sinks/src/index.js';

const [path = '', name = ''] = process.argv.slice(2);
if (!(PARQUET_CODECS as readonly string[]).includes(name)) throw new Error(`usage: encode.ts PROCESSED_IPC ${PARQUET_CODECS.join('|')}`);
const sink = parseOptions(parquetSinkOptionsSchema, {}, 'sinks.parquet');
const codec = namedParquetCodec(name as ParquetCodecName);
let rows = 0;
let files = 0;
let seconds = 0;
let parquetBytes = 0;
let arrowBytes = 0;

async function encode(batches: RecordBatch[]): Promise<void> {
  const table = new Table(batches);
  const started = performance.now();
  const bytes = await codec.encode(table, {
    compression: sink.compression, rowGroupRows: sink.rowGroupRows, plainColumns: PROCESSED_DISTINCT_COLUMNS,
    metadata: { 'taxi.schema': PROCESSED_FINGERPRINT, 'taxi.topic': 'bench', 'taxi.partition': '0', 'taxi.first_offset': String(files), 'taxi.last_offset': String(files) },
  });
  seconds += (performance.now() - started) / 1000;
  parquetBytes += bytes.byteLength;
  rows += table.numRows;
  files++;
}

try {
  const reader = await RecordBatchReader.from(createReadStream(path));
  let open: RecordBatch[] = [];
  let openRows = 0;
  let openBytes = 0;
  for await (const batch of reader) {
    open.push(batch);
    openRows += batch.numRows;
    openBytes += batch.data.byteLength;
    if (openRows >= sink.roll.rows || openBytes >= sink.roll.bytes) {
      arrowBytes += openBytes;
      await encode(open);
      open = []; openRows = 0; openBytes = 0;
    }
  }
  if (open.length > 0) { arrowBytes += openBytes; await encode(open); }
} finally {
  await codec.destroy();
}
process.stdout.write(`${JSON.stringify({ codec: codec.name, rows, files, seconds, parquetBytes, arrowBytes })}\n`);
