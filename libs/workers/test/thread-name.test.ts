// The service's worker threads carry names of their own (thread-name.ts). The transform pool's and
// the DuckDB thread's are checked on a whole `taxi run` in test/bench/threads.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { PARQUET_CODECS, namedParquetCodec } from '../../parquet/src/index.js';
import { nameThisThread, THREAD_NAMES } from '../src/thread-name.js';

const sample = new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
const linux = process.platform === 'linux';

/** This process's threads: name by id. */
function threads(): Map<string, string> {
  return new Map(readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      return [[tid, readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()] as const];
    } catch {
      return []; // the thread ended
    }
  }));
}

/** Names of the threads started since `before` (another codec's threads may still be idling). */
const startedSince = (before: Map<string, string>): string[] => [...threads()].filter(([tid]) => !before.has(tid)).map(([, name]) => name);

t.test('names fit Linux\'s 15 bytes', async (t) => {
  for (const name of Object.values(THREAD_NAMES)) t.ok(Buffer.byteLength(name) <= 15, name);
});

t.test('the main thread keeps Node\'s name', { skip: !linux && 'Linux only' }, async (t) => {
  const before = readFileSync('/proc/thread-self/comm', 'utf8');
  t.equal(nameThisThread(THREAD_NAMES.duckdb), false, 'nothing named');
  t.equal(readFileSync('/proc/thread-self/comm', 'utf8'), before);
});

for (const name of PARQUET_CODECS) {
  t.test(`${name}: the decode and encode threads are named`, { skip: !linux && 'Linux only' }, async (t) => {
    const codec = namedParquetCodec(name);
    t.teardown(() => codec.destroy());
    const before = threads();
    const table = await (await codec.open(sample)).readRowGroup(0);
    t.ok(startedSince(before).includes(THREAD_NAMES.parquetDecode), `a ${THREAD_NAMES.parquetDecode} thread`);
    await codec.encode(table.slice(0, 1000), { compression: 'zstd', rowGroupRows: 1_000 });
    t.ok(startedSince(before).includes(THREAD_NAMES.parquetEncode), `a ${THREAD_NAMES.parquetEncode} thread`);
  });
}
