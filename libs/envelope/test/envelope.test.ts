import { tableFromIPC } from 'apache-arrow';
import t from 'tap';
import type { AppError } from '../../errors/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { checksumOf, decodeEnvelope, encodeEnvelope, sliceTable } from '../src/index.js';
import type { EnvelopeV1 } from '../src/index.js';

const envelope: EnvelopeV1 = {
  source: 'file:///data/green_tripdata_2024-01.parquet', service: 'green', month: '2024-01', rowGroup: 0,
  firstRow: 1024, rowCount: 512, schema: 'abcdef0123456789', ingestedAt: '2024-03-05T06:00:00.000Z', checksum: checksumOf(new Uint8Array([1, 2, 3])),
};

t.test('headers round-trip and the checksum is verified', async (t) => {
  const headers = encodeEnvelope(envelope);
  t.equal(headers['taxi-envelope'], '1');
  t.same(decodeEnvelope(headers, new Uint8Array([1, 2, 3])), envelope);
  t.match(envelope.checksum, /^crc32:[0-9a-f]{8}$/);
  const bad = (h: Record<string, string>, value: Uint8Array | undefined, message: RegExp): void => {
    const err = t.throws(() => decodeEnvelope(h, value)) as unknown as AppError;
    t.equal(err.code, 'TAXI_ERR_ENVELOPE_INVALID');
    t.match(err.message, message);
  };
  bad(headers, new Uint8Array([1, 2, 4]), /checksum crc32:[0-9a-f]{8} of the value does not match/);
  bad({ ...headers, 'taxi-envelope': '2' }, undefined, /'taxi-envelope' should be '1', got '2'/);
  bad({ ...headers, 'row-count': '-1' }, undefined, /'row-count' should be a non-negative integer, got '-1'/);
  bad({ ...headers, service: 'blue' }, undefined, /'service' should be a TLC service, got 'blue'/);
  bad({ ...headers, month: '2024-1' }, undefined, /'month' should be YYYY-MM/);
  bad({ ...headers, 'ingested-at': 'yesterday' }, undefined, /'ingested-at' should be an ISO 8601 time, got 'yesterday'/);
  const { 'first-row': _omitted, ...missing } = headers;
  bad(missing, undefined, /'first-row' should be a non-negative integer, got '\(missing\)'/);
});

t.test('a real row group slices into messages under the limit that reassemble exactly', async (t) => {
  const codec = parquetWasmCodec();
  t.teardown(() => codec.destroy());
  const reader = await codec.open(new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname);
  const table = await reader.readRowGroup(0);
  const maxBytes = 1024 * 1024;
  const slices = sliceTable(table, maxBytes);
  t.ok(slices.length > 3, `${slices.length} slices`);
  t.ok(slices.every((s) => s.ipc.byteLength <= maxBytes), 'every slice under the limit');
  t.equal(slices.reduce((n, s) => n + s.rowCount, 0), table.numRows, 'rows conserved');
  t.same(slices.map((s) => s.offset), slices.map((_, i) => slices.slice(0, i).reduce((n, s) => n + s.rowCount, 0)), 'contiguous');
  for (const slice of [slices[0]!, slices.at(-1)!]) {
    const back = tableFromIPC(slice.ipc);
    t.equal(back.numRows, slice.rowCount);
    for (const name of ['lpep_pickup_datetime', 'total_amount', 'store_and_fwd_flag', 'RatecodeID']) {
      const a = table.getChild(name)!;
      const b = back.getChild(name)!;
      let same = true;
      for (let i = 0; i < slice.rowCount && same; i++) same = String(a.get(slice.offset + i)) === String(b.get(i));
      t.ok(same, `${name} equal at offset ${slice.offset}`);
    }
  }
  t.throws(() => sliceTable(table, 10), /alone takes \d+ bytes, more than the 10-byte message limit/);
  t.same(sliceTable(table.slice(0, 0), maxBytes), []);
});
