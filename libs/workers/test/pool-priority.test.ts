// The Parquet codec's pools run below the main thread's CPU priority (pool-priority.ts); the
// transform pool's test is in libs/processor/test/pipeline.test.ts.
import t from 'tap';
import { arrowRsCodec } from '../../parquet/src/index.js';
import { canReadThreadPriorities, poolNice, startedSince, threadNices } from './thread-priority.js';

const sample = new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
const { main, lowered } = poolNice();

t.ok(main === 19 || lowered > main, `the pools' threads run below the main thread (nice ${lowered} against ${main})`);

t.test('the Parquet decode and encode threads run at the lowered priority, the main thread at its own', { skip: !canReadThreadPriorities && 'no /proc/self/task' }, async (t) => {
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
