// Ingest on the real Kafka broker: the shipped real green months (2024-01, and 2022-02 with its
// schema drift), a synthetic multi-row-group yellow month with older years' drift, and one whose
// first row group is large enough to be decoded as a head and the rest (HEAD_ROWS). Each is
// consumed back and checked: every row exactly once, canonical schema, headers, manifest ranges.
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { HEAD_ROWS, ingestMonth, loadManifests, rawKey } from '../../libs/ingest/src/index.js';
import type { IngestProgress, ManifestV1 } from '../../libs/ingest/src/index.js';
import type { Bus } from '../../libs/bus/src/index.js';
import { parquetWasmCodec } from '../../libs/parquet/src/index.js';
import { canonicalSchema } from '../../libs/schema/src/canonical.js';
import { monthRefFromFileName } from '../../libs/schema/src/month.js';
import { localFileSource } from '../../libs/source/src/index.js';
import { kafkaFor, localStore, readMonth, silentLog, tempDir, uniqueTopics } from '../helpers/ingest.js';
import { writeSyntheticYellowMonth } from '../helpers/synthetic-month.js';

const sample = (name: string): string => new URL(`../../data/samples/${name}`, import.meta.url).pathname;
const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());

/** Ingests the month, checks it, ingests it again (skipped, then forced); returns the bus and the first ingest's manifest. */
async function ingestAndCheck(t: Test, path: string, expectedRows: number, maxMessageBytes: number): Promise<{ bus: Bus; manifest: ManifestV1 }> {
  const topics = { ...uniqueTopics(3), maxMessageBytes };
  const bus = await kafkaFor(t, topics);
  const store = await localStore(t);
  const ref = monthRefFromFileName(path)!;
  const progress: IngestProgress[] = [];
  const result = await ingestMonth(ref, { source: localFileSource({ path }), store, bus, codec, log: silentLog },
    { topics, onProgress: (p) => progress.push(p) });
  const { manifest } = result;
  t.equal(result.status, 'ingested');
  t.equal(manifest.rows, expectedRows, 'manifest counts the footer\'s rows');
  t.equal(manifest.schema, canonicalSchema(ref.service).fingerprint);
  t.ok(progress.some((p) => p.phase === 'produce' && p.rowGroupsDone === manifest.rowGroups), 'progress reported to the last row group');

  const raw = await store.get(rawKey(ref, manifest.fileName));
  t.equal(raw.byteLength, manifest.sizeBytes, 'raw copy stored unchanged');

  const back = await readMonth(bus, manifest);
  t.equal(back.length, manifest.messages, 'every message of the month is inside the manifest ranges');
  t.equal(back.reduce((n, m) => n + m.table.numRows, 0), expectedRows, 'rows read back = rows in the file');
  const covered = new Uint8Array(expectedRows);
  for (const { envelope, table, message } of back) {
    t.equal(table.numRows, envelope.rowCount);
    for (let i = envelope.firstRow; i < envelope.firstRow + envelope.rowCount; i++) covered[i] = (covered[i] ?? 0) + 1;
    t.ok(message.value.byteLength <= maxMessageBytes);
    t.same(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`), canonicalSchema(ref.service).arrow.fields.map((f) => `${f.name}:${String(f.type)}`));
  }
  t.ok(covered.every((c) => c === 1), 'every row index arrived exactly once');
  t.same(new Set(back.map((m) => m.message.partition)).size, Math.min(3, manifest.messages), 'spread over the partitions');
  const all = [];
  for await (const m of bus.readAll(topics.raw)) all.push(m);
  t.equal(all.length, manifest.messages, 'nothing of the month outside the ranges');

  const again = await ingestMonth(ref, { source: localFileSource({ path }), store, bus, codec, log: silentLog }, { topics });
  t.equal(again.status, 'skipped', 're-ingesting a month in the manifest does nothing');
  const forced = await ingestMonth(ref, { source: localFileSource({ path }), store, bus, codec, log: silentLog }, { topics, force: true });
  t.equal(forced.status, 'ingested', '--force ingests it again');
  const manifests = await loadManifests(bus, topics.manifest);
  t.equal(manifests.size, 1);
  t.equal(manifests.get(`${ref.service}/${manifest.month}`)?.partitions[0]?.firstOffset !== manifest.partitions[0]?.firstOffset, true, 'the newest record wins');
  return { bus, manifest };
}

t.test('green 2024-01 (real)', async (t) => { await ingestAndCheck(t, sample('green_tripdata_2024-01.parquet'), 56_551, 1024 * 1024); });
t.test('green 2022-02 (real, drifted schema)', async (t) => { await ingestAndCheck(t, sample('green_tripdata_2022-02.parquet'), 69_399, 1024 * 1024); });
t.test('yellow, synthetic, 4 row groups, older years\' drift', async (t) => {
  const path = writeSyntheticYellowMonth(join(tempDir(t, 'taxi-yellow'), 'yellow_tripdata_2024-03.parquet'),
    { year: 2024, month: 3, rows: 120_000, rowGroupRows: 30_000, drift: true });
  await ingestAndCheck(t, path, 120_000, 2 * 1024 * 1024);
});
t.test('yellow, synthetic, a first row group decoded as its head and the rest: rows in place, in order', async (t) => {
  const rows = 2 * HEAD_ROWS + 20_000;
  const path = writeSyntheticYellowMonth(join(tempDir(t, 'taxi-yellow'), 'yellow_tripdata_2024-04.parquet'),
    { year: 2024, month: 4, rows, rowGroupRows: 2 * HEAD_ROWS + 10_000 });
  const { bus, manifest } = await ingestAndCheck(t, path, rows, 2 * 1024 * 1024);

  // Each message of the first ingest holds the file's own rows from its firstRow on, on both sides of the head's end.
  const reader = await codec.open(path);
  t.teardown(() => { reader.close(); });
  t.same(reader.info.rowGroups.map((g) => g.numRows), [2 * HEAD_ROWS + 10_000, 10_000]);
  const source = [await reader.readRowGroup(0), await reader.readRowGroup(1)];
  const column = (name: string): Float64Array => Float64Array.from(source.flatMap((table) => [...(table.getChild(name)?.toArray() as Float64Array)]));
  const [total, fare] = [column('total_amount'), column('fare_amount')];
  const back = await readMonth(bus, manifest);
  t.ok(back.some((m) => m.envelope.firstRow + m.envelope.rowCount === HEAD_ROWS), 'a message ends where the head ends');
  t.ok(back.some((m) => m.envelope.firstRow === HEAD_ROWS && m.envelope.rowGroup === 0), 'and the next one of row group 0 starts there');
  let mismatched = 0;
  for (const { envelope, table } of back) {
    const [t2, f2] = [table.getChild('total_amount')?.toArray() as Float64Array, table.getChild('fare_amount')?.toArray() as Float64Array];
    for (let i = 0; i < envelope.rowCount; i++) {
      if (t2[i] !== total[envelope.firstRow + i] || f2[i] !== fare[envelope.firstRow + i]) mismatched++;
    }
  }
  t.equal(mismatched, 0, 'every row\'s total and fare are the source\'s at its index');
});
