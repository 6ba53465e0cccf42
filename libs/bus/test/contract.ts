// The bus contract, run against every adapter: the in-memory bus in unit tests, Kafka in
// test/integration/bus-kafka.test.ts. Topic names are unique per call, so runs can share a broker.
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import type { Bus, BusMessage, OutgoingMessage } from '../src/index.js';

const encoder = new TextEncoder();
const text = (value: Uint8Array): string => new TextDecoder().decode(value);

async function collect(messages: AsyncIterable<BusMessage>): Promise<BusMessage[]> {
  const out: BusMessage[] = [];
  for await (const m of messages) out.push(m);
  return out;
}

const message = (i: number, partition: number): OutgoingMessage => ({
  key: `k${i}`, value: encoder.encode(`v${i}`), headers: { row: String(i) }, partition });

export function busContract(t: Test, makeBus: () => Promise<Bus>): void {
  const topicName = (): string => `taxi.contract.${randomBytes(4).toString('hex')}`;

  t.test('committed transactions are read back in partition order with headers', async (t) => {
    const bus = await makeBus();
    const topic = topicName();
    await bus.ensureTopics([{ name: topic, partitions: 3 }]);
    await bus.ensureTopics([{ name: topic, partitions: 3 }]); // idempotent
    t.equal(await bus.partitionCount(topic), 3);
    const txn = await bus.transaction();
    const first = await txn.send(topic, [0, 1, 2].map((i) => message(i, i)));
    const second = await txn.send(topic, [3, 4, 5].map((i) => message(i, i % 3)));
    await txn.commit();
    t.same(first.map((p) => [p.partition, p.offset]), [[0, '0'], [1, '0'], [2, '0']], 'positions of the first send');
    t.same(second.map((p) => [p.partition, p.offset]), [[0, '1'], [1, '1'], [2, '1']], 'offsets follow per partition');
    const all = await collect(bus.readAll(topic));
    t.equal(all.length, 6);
    const byPartition = [0, 1, 2].map((p) => all.filter((m) => m.partition === p).map((m) => m.headers.row));
    t.same(byPartition, [['0', '3'], ['1', '4'], ['2', '5']]);
    const one = all.find((m) => m.headers.row === '4');
    t.equal(one?.key, 'k4');
    t.equal(text(one?.value ?? new Uint8Array()), 'v4');
  });

  t.test('an aborted transaction is never read; readRange reads exactly its range', async (t) => {
    const bus = await makeBus();
    const topic = topicName();
    await bus.ensureTopics([{ name: topic, partitions: 2 }]);
    const aborted = await bus.transaction();
    await aborted.send(topic, [message(100, 0), message(101, 1)]);
    await aborted.abort();
    await aborted.abort(); // idempotent
    const txn = await bus.transaction();
    const positions: string[] = [];
    for (let i = 0; i < 5; i++) positions.push(...(await txn.send(topic, [message(i, 0)])).map((p) => p.offset));
    await txn.commit();
    const all = await collect(bus.readAll(topic));
    t.same(all.map((m) => m.headers.row), ['0', '1', '2', '3', '4'], 'aborted messages are invisible');
    const middle = await collect(bus.readRange(topic, 0, positions[1] ?? '', positions[3] ?? ''));
    t.same(middle.map((m) => m.headers.row), ['1', '2', '3'], 'inclusive range, nothing outside');
    t.same(middle.map((m) => m.offset), positions.slice(1, 4));
    const bounds = await bus.bounds(topic);
    t.equal(bounds.length, 2);
    t.ok(BigInt(bounds[0]?.high ?? '0') >= 5n, 'high offset past the committed messages');
  });

  t.test('reading an empty topic ends at once', async (t) => {
    const bus = await makeBus();
    const topic = topicName();
    await bus.ensureTopics([{ name: topic, partitions: 2, compacted: true }]);
    t.same(await collect(bus.readAll(topic)), []);
  });
}
