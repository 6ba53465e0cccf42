import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { memoryBus } from '../../bus/src/index.js';
import { defaultTopics, ingestMonth } from '../../ingest/src/index.js';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { ParquetSink } from '../../sinks/src/index.js';
import { localFileSource } from '../../source/src/index.js';
import { SHIPPED_ZONES_CSV } from '../../transform/src/index.js';
import { duckDbWarehouse } from '../../warehouse/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';
import { canReadThreadPriorities, poolNice, startedSince, threadNices } from '../../workers/test/thread-priority.js';
import { checkConservation, fileDeadLetters, Pipeline } from '../src/index.js';
import type { DeadLetter } from '../src/index.js';

const log = pino({ level: 'silent' });

/** A temp dir, codec, in-process bus with the raw and manifest topics, and a local store. */
async function world(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-pipeline-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const codec = parquetWasmCodec();
  t.teardown(() => codec.destroy());
  const bus = memoryBus();
  const topics = defaultTopics();
  await bus.ensureTopics([{ name: topics.raw, partitions: 1 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const store = localDirObjectStore({ root: join(dir, 'objects') });
  await store.connect();
  const path = new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
  const ingest = () => ingestMonth({ service: 'green', year: 2024, month: 1 }, { source: localFileSource({ path }), store, bus, codec, log }, { topics });
  return { dir, codec, bus, topics, store, ingest };
}

t.test('a poison message goes to the DLQ whole; the next message is processed', async (t) => {
  const { dir, codec, bus, topics, store, ingest } = await world(t);
  const poison = await bus.transaction();
  await poison.send(topics.raw, [{ key: 'junk', value: new TextEncoder().encode('not arrow'), headers: { 'taxi-envelope': '1', service: 'green', month: '2024-01' }, partition: 0 }]);
  await poison.commit();
  await ingest();

  const warehouse = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await warehouse.connect();
  t.teardown(() => warehouse.close());
  const parquet = new ParquetSink(store, codec, {}, log, () => undefined);
  const dlq = join(dir, 'dlq.jsonl');
  const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(dlq), log, poolSize: 1 });
  for await (const m of bus.readAll(topics.raw)) await pipeline.handle(m);
  await parquet.close();
  await pipeline.close();

  const letters = readFileSync(dlq, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter);
  const whole = letters.filter((l) => l.reason === 'undecodable_message');
  t.equal(whole.length, 1, 'the poison message is in the DLQ once');
  t.match(whole[0]?.error, /TAXI_ERR_ENVELOPE_INVALID/);
  t.equal(Buffer.from(whole[0]?.valueBase64 ?? '', 'base64').toString(), 'not arrow', 'with its original bytes');
  t.same([whole[0]?.partition, whole[0]?.offset], [0, '0'], 'and its position');
  const counts = pipeline.counts.get('green/2024-01')!;
  t.equal(counts.badMessages, 1);
  t.equal(counts.rowsIn, 56_551, 'the month after it was processed in full');
  t.doesNotThrow(() => { checkConservation('green 2024-01', counts); });
  t.equal(letters.length - 1, Object.values(counts.rejected).reduce((a, b) => a + b, 0), 'every rejected row is a dead letter');
  const [row] = await warehouse.query('SELECT count(*) AS n FROM trips');
  t.equal(Number(row?.n), counts.rowsOut);
  t.throws(() => { checkConservation('x', { rowsIn: 3, rowsOut: 1, rejected: { a: 1 }, badMessages: 0 }); }, { code: 'TAXI_ERR_PROCESSOR_CONSERVATION' });
});

t.test('a row the warehouse refuses goes to the DLQ with the warehouse\'s reason; conservation still holds', async (t) => {
  const { dir, codec, bus, topics, store, ingest } = await world(t);
  await ingest();
  const inner = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await inner.connect();
  t.teardown(() => inner.close());
  // The real DuckDB warehouse, refusing the first row of every batch the way BigQuery reports a row error.
  const warehouse: Warehouse = {
    ...inner,
    async writeBatch(batch) {
      const out = await inner.writeBatch({ ...batch, table: batch.table.slice(1) });
      return { ...out, rowErrors: [{ index: 0, reason: 'pickup_datetime: year 10000 is outside 0001-9999' }] };
    },
  };
  const parquet = new ParquetSink(store, codec, {}, log, () => undefined);
  const dlq = join(dir, 'dlq.jsonl');
  const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(dlq), log, poolSize: 1 });
  let messages = 0;
  for await (const m of bus.readAll(topics.raw)) { await pipeline.handle(m); messages++; }
  await parquet.close();
  await pipeline.close();
  const refused = readFileSync(dlq, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DeadLetter).filter((l) => l.reason === 'warehouse_rejected');
  t.equal(refused.length, messages, 'one refused row per batch in the DLQ');
  t.match(refused[0]?.error, /year 10000 is outside/, 'with the warehouse\'s reason');
  t.ok(refused.every((l) => typeof l.row === 'number' && l.row >= 0), 'and the source row');
  const counts = pipeline.counts.get('green/2024-01')!;
  t.doesNotThrow(() => { checkConservation('green 2024-01', counts); }, 'rows in = rows out + rejected, refused rows included');
  t.equal(counts.rejected.warehouse_rejected, messages);
});

t.test('a zone lookup that cannot be read stops the pipeline at its start, naming the file; a good one transforms', async (t) => {
  const { dir, codec, bus, topics, store, ingest } = await world(t);
  await ingest();
  const parquet = new ParquetSink(store, codec, {}, log, () => undefined);
  const warehouse = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await warehouse.connect();
  t.teardown(() => warehouse.close());
  const dlq = join(dir, 'dlq.jsonl');
  const deps = { parquet, warehouse, deadLetters: fileDeadLetters(dlq), log, poolSize: 1 };
  const missing = join(dir, 'nowhere', 'taxi_zone_lookup.csv');
  t.throws(() => new Pipeline({ ...deps, zonesPath: missing }), { code: 'TAXI_ERR_ZONES_UNREADABLE', context: { file: missing }, message: new RegExp(`the taxi zone lookup ${missing} cannot be read: ENOENT`) });
  const wrong = join(dir, 'zones.csv');
  writeFileSync(wrong, 'id,name\n1,x\n');
  t.throws(() => new Pipeline({ ...deps, zonesPath: wrong }), { code: 'TAXI_ERR_ZONES_UNREADABLE', message: /zones\.csv is not the TLC taxi zone lookup: taxi zone lookup: unexpected header 'id,name'/ });
  t.notOk(existsSync(dlq), 'nothing reached the DLQ');

  // A copy of the shipped lookup elsewhere: the workers enrich from what the pipeline read.
  const copy = join(dir, 'lookup.csv');
  const shipped = readFileSync(SHIPPED_ZONES_CSV, 'utf8');
  t.match(shipped, /^43,Manhattan,Central Park,/m);
  writeFileSync(copy, shipped.replace(/^43,Manhattan,Central Park,/m, '43,Manhattan,The Park,'));
  const pipeline = new Pipeline({ ...deps, zonesPath: copy });
  for await (const m of bus.readAll(topics.raw)) await pipeline.handle(m);
  await parquet.close();
  await pipeline.close();
  const [row] = await warehouse.query('SELECT count(*) FILTER (WHERE pickup_zone = \'The Park\') AS park, count(*) FILTER (WHERE pickup_zone = \'Central Park\') AS central FROM trips');
  t.ok(Number(row?.park) > 0, 'zones come from the lookup the pipeline was given');
  t.equal(Number(row?.central), 0);
});

t.test('the transform pool\'s threads run at the lowered priority; the main thread, which writes to DuckDB here, at its own', { skip: !canReadThreadPriorities && 'no /proc/self/task' }, async (t) => {
  const { dir, codec, bus, topics, store, ingest } = await world(t);
  await ingest();
  const warehouse = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await warehouse.connect();
  t.teardown(() => warehouse.close());
  const parquet = new ParquetSink(store, codec, {}, log, () => undefined);
  const { main, lowered } = poolNice();
  const before = threadNices();
  const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(join(dir, 'dlq.jsonl')), log, poolSize: 2 });
  for await (const m of bus.readAll(topics.raw)) await pipeline.handle(m);
  const started = startedSince(before);
  await parquet.close();
  await pipeline.close();
  t.ok(started.filter((nice) => nice === lowered).length >= 2, `both transform threads at nice ${lowered} (new threads: ${started.join(', ')})`);
  t.equal(threadNices().get(process.pid), main, 'the main thread keeps its priority');
  const [row] = await warehouse.query('SELECT count(*) AS n FROM trips');
  t.equal(Number(row?.n), pipeline.counts.get('green/2024-01')?.rowsOut, 'and the rows reached the warehouse');
});
