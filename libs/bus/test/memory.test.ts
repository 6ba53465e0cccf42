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

const msg = (key: string, bytes: number, partition = 0) => ({ key, value: new Uint8Array(bytes), headers: {}, partition });

t.test('follow: read_uncommitted, messages as they are sent, ending when `until` settles', async (t) => {
  const bus = memoryBus();
  await bus.ensureTopics([{ name: 'raw', partitions: 2 }, { name: 'other', partitions: 1 }]);
  const committed = await bus.transaction();
  await committed.send('raw', [msg('old', 1, 1)]);
  await committed.commit();
  let finish = (): void => undefined;
  const until = new Promise<void>((resolve) => { finish = resolve; });
  const seen: string[] = [];
  const reading = (async () => { for await (const m of bus.follow('raw', until)) seen.push(`${m.key}@${m.partition}/${m.offset}`); })();
  const txn = await bus.transaction();
  await txn.send('raw', [msg('a', 1, 0), msg('b', 1, 1)]);
  await txn.send('other', [msg('not-followed', 1, 0)]);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(seen, ['old@1/0', 'a@0/0', 'b@1/1'], 'the open transaction\'s messages are seen before its commit');
  t.same((await bus.bounds('raw')).map((b) => b.high), ['0', '1'], 'readers of committed data do not see them yet');
  await txn.send('raw', [msg('c', 1, 0)]);
  await txn.commit();
  finish();
  await reading;
  t.same(seen, ['old@1/0', 'a@0/0', 'b@1/1', 'c@0/1']);
});

t.test('follow ends when `until` rejects; messages of an aborted transaction stay seen (read_uncommitted)', async (t) => {
  const bus = memoryBus();
  await bus.ensureTopics([{ name: 'raw', partitions: 1 }]);
  let fail = (_: Error): void => undefined;
  const until = new Promise<void>((_resolve, reject) => { fail = reject; });
  const seen: string[] = [];
  const reading = (async () => { for await (const m of bus.follow('raw', until)) seen.push(m.key ?? ''); })();
  const txn = await bus.transaction();
  await txn.send('raw', [msg('a', 1)]);
  await txn.abort();
  fail(new Error('ingest failed'));
  await reading;
  t.same(seen, ['a']);
  t.same((await bus.bounds('raw'))[0], { partition: 0, low: '0', high: '0' }, 'nothing committed');
  t.equal(bus.bufferedBytes, 0, 'an abort frees its messages');
});

t.test('maxBufferedBytes: a send waits until deleteRecords frees room; deleted offsets read as gone', async (t) => {
  const bus = memoryBus({ maxBufferedBytes: 100 });
  await bus.ensureTopics([{ name: 'raw', partitions: 1 }]);
  const txn = await bus.transaction();
  await txn.send('raw', [msg('a', 60)]);
  await txn.send('raw', [msg('b', 60)]);
  t.equal(bus.bufferedBytes, 120);
  let thirdSent = false;
  const third = txn.send('raw', [msg('c', 10)]).then((p) => { thirdSent = true; return p; });
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(thirdSent, 'the bus is full: the send waits');
  bus.deleteRecords('raw', 0, '1');
  t.equal(bus.bufferedBytes, 60, 'deleting an uncommitted message frees it');
  t.same((await third)[0], { topic: 'raw', partition: 0, offset: '2' }, 'offsets go on from the deleted ones');
  await txn.commit();
  t.same((await bus.bounds('raw'))[0], { partition: 0, low: '1', high: '3' });
  const left: string[] = [];
  for await (const m of bus.readAll('raw')) left.push(`${m.key}@${m.offset}`);
  t.same(left, ['b@1', 'c@2'], 'a deleted message is not read again');
  bus.deleteRecords('raw', 0, '3');
  t.equal(bus.bufferedBytes, 0);
  t.same((await bus.bounds('raw'))[0], { partition: 0, low: '3', high: '3' });
});
