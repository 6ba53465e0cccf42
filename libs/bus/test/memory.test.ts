import t from 'tap';
import { memoryBus } from '../src/index.js';
import { busContract } from './contract.js';

busContract(t, async () => memoryBus());

t.test('a missing topic is TAXI_ERR_BUS_TOPIC_MISSING', async (t) => {
  const bus = memoryBus();
  await t.rejects(bus.partitionCount('nope'), { code: 'TAXI_ERR_BUS_TOPIC_MISSING' });
});

t.test('transactions queue: the second starts after the first ends', async (t) => {
  const bus = memoryBus();
  await bus.ensureTopics([{ name: 'x', partitions: 1 }]);
  const first = await bus.transaction();
  let secondStarted = false;
  const second = bus.transaction().then((txn) => { secondStarted = true; return txn; });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(secondStarted);
  await first.commit();
  await (await second).abort();
  t.ok(secondStarted);
});
