// The piscina pools' threads (transforms, Parquet decode and encode) run below the main thread's
// CPU priority (pool-priority.ts), read back from /proc as Linux keeps it: a nice value per thread.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { memoryBus } from '../../bus/src/index.js';
import { defaultTopics, ingestMonth } from '../../ingest/src/index.js';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import { arrowRsCodec } from '../../parquet/src/index.js';
import { fileDeadLetters, Pipeline } from '../../processor/src/index.js';
import { ParquetSink } from '../../sinks/src/index.js';
import { localFileSource } from '../../source/src/index.js';
import { duckDbWarehouse } from '../../warehouse/src/index.js';
import { POOL_NICE_INCREMENT } from '../src/pool-priority.js';

const log = pino({ level: 'silent' });
const sample = new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;

/** This process's threads: id -> nice value (the 19th field of /proc/<pid>/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch { /* the thread ended meanwhile */ }
  }
  return nices;
}

/** Threads started since `before`, by nice value. */
function startedSince(before: Map<number, number>): number[] {
  return [...threadNices()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
}

const onLinux = existsSync('/proc/self/task');
const main = onLinux ? threadNices().get(process.pid) ?? 0 : 0;
const lowered = Math.min(19, main + POOL_NICE_INCREMENT);

t.ok(main === 19 || lowered > main, `the pools' threads run below the main thread (nice ${lowered} against ${main})`);

t.test('the Parquet decode and encode threads run at the lowered priority, the main thread at its own', { skip: !onLinux && 'no /proc/self/task' }, async (t) => {
  const codec = arrowRsCodec();
  t.teardown(() => codec.destroy());
  const before = threadNices();
  const reader = await codec.open(sample);
  const table = await reader.readRowGroup(0);
  const decoding = startedSince(before);
  t.ok(decoding.includes(lowered), `a decode thread at nice ${lowered} (new threads: ${decoding.join(', ')})`);
  const beforeEncode = threadNices();
  const bytes = await codec.encode(table.slice(0, 1000), { compression: 'zstd', rowGroupRows: 1_000 });
  t.ok(bytes.byteLength > 0, 'a Parquet file');
  const encoding = startedSince(beforeEncode);
  t.ok(encoding.includes(lowered), `an encode thread at nice ${lowered} (new threads: ${encoding.join(', ')})`);
  t.equal(threadNices().get(process.pid), main, 'the main thread keeps its priority');
});

t.test('the transform pool\'s threads run at the lowered priority; the main thread, which writes to DuckDB here, at its own', { skip: !onLinux && 'no /proc/self/task' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-pool-priority-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const codec = arrowRsCodec();
  t.teardown(() => codec.destroy());
  const bus = memoryBus();
  const topics = defaultTopics();
  await bus.ensureTopics([{ name: topics.raw, partitions: 1 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const store = localDirObjectStore({ root: join(dir, 'objects') });
  await store.connect();
  await ingestMonth({ service: 'green', year: 2024, month: 1 }, { source: localFileSource({ path: sample }), store, bus, codec, log }, { topics });
  const warehouse = duckDbWarehouse({ path: join(dir, 'taxi.duckdb') });
  await warehouse.connect();
  t.teardown(() => warehouse.close());
  const parquet = new ParquetSink(store, codec, {}, log, () => undefined);

  const before = threadNices();
  const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(join(dir, 'dlq.jsonl')), log, poolSize: 2 });
  let handled = 0;
  for await (const m of bus.readAll(topics.raw)) { await pipeline.handle(m); handled++; }
  const started = startedSince(before);
  await parquet.close();
  await pipeline.close();

  t.ok(handled > 0, `${handled} messages transformed`);
  t.ok(started.filter((nice) => nice === lowered).length >= 2, `both transform threads at nice ${lowered} (new threads: ${started.join(', ')})`);
  t.equal(threadNices().get(process.pid), main, 'the main thread, which writes to DuckDB here, keeps its priority');
  const [row] = await warehouse.query('SELECT count(*) AS n FROM trips');
  t.ok(Number(row?.n) > 0, 'and the rows reached the warehouse');
});
