// Child of the `codecs` scope (untimed preparation): the month's processed rows, as the Parquet sink
// receives them, written to an Arrow IPC stream file. Decoded by parquet-wasm, normalised and
// transformed one row group at a time, sliced into 25k-row batches (a processor message's worth).
// Arguments: SOURCE OUT. Prints one JSON line: sourceRows, rows (processed, rejects left out), batches, arrowBytes.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { RecordBatchStreamWriter } from 'apache-arrow';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { canonicalSchema } from '../../libs/schema/src/canonical.js';
import { monthKey, monthRefFromFileName } from '../../libs/schema/src/month.js';
import { normalizeRowGroup } from '../../libs/schema/src/normalize.js';
import { loadZones, transformTable } from '../../libs/transform/src/index.js';

const BATCH_ROWS = 25_000;
const [path = '', out = ''] = process.argv.slice(2);
const ref = monthRefFromFileName(path);
if (!ref || !out) throw new Error('usage: processed-ipc.ts SOURCE OUT (SOURCE named as the TLC names files)');
const codec = parquetWasmCodec();
const writer = new RecordBatchStreamWriter();
const written = pipeline(writer.toNodeStream(), createWriteStream(out));
let sourceRows = 0;
let rows = 0;
let batches = 0;
let arrowBytes = 0;
try {
  const reader = await codec.open(path);
  const zones = loadZones();
  for (const g of reader.info.rowGroups) {
    const canonical = normalizeRowGroup({ table: await reader.readRowGroup(g.index), schema: canonicalSchema(ref.service), file: path, rowGroup: g.index }).table;
    const processed = transformTable(canonical, { service: ref.service, month: monthKey(ref), firstRow: sourceRows, loadDtMicros: 1_706_745_600_000_000, zones }).table;
    for (let i = 0; i < processed.numRows; i += BATCH_ROWS) {
      for (const batch of processed.slice(i, i + BATCH_ROWS).batches) { writer.write(batch); batches++; }
    }
    sourceRows += g.numRows;
    rows += processed.numRows;
    arrowBytes += processed.batches.reduce((s, b) => s + b.data.byteLength, 0);
  }
  writer.finish();
  await written;
} finally {
  await codec.destroy();
}
process.stdout.write(`${JSON.stringify({ sourceRows, rows, batches, arrowBytes })}\n`);
