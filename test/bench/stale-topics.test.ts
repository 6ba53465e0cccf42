// The benchmark deletes at start the topics of earlier runs that did not finish (bench/lib/kafka.ts).
import t from 'tap';
import { staleBenchTopics } from '../../bench/lib/kafka.js';

t.test('only benchmark topics made before the cut-off are stale', async (t) => {
  const cut = Date.UTC(2026, 10, 29, 12);
  const id = (ms: number): string => `${ms.toString(36)}-a1b2c3`;
  const old = id(cut - 3_600_000);
  const young = id(cut + 60_000);
  t.same(staleBenchTopics([
    `bench.raw.${old}`, `bench.manifest.${old}`, `bench.dlq.${old}`,
    `bench.raw.${young}`, `bench.dlq.${young}`,
    'taxi.trips.raw', 'bench.raw.notanid', `bench.other.${old}`, `xbench.raw.${old}`, `bench.raw.${old}.extra`,
  ], cut), [`bench.raw.${old}`, `bench.manifest.${old}`, `bench.dlq.${old}`]);
  t.same(staleBenchTopics([], cut), []);
});
