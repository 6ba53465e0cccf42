// The bus contract on the real Kafka broker (test/servers/kafka.sh), plus what only Kafka has:
// offsets deleted by retention.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import t from 'tap';
import type { Test } from 'tap';
import { busContract } from '../../libs/bus/test/contract.js';
import { kafkaBus } from '../../libs/bus/src/index.js';
import { KafkaRequestQueueClass } from '../../libs/bus/src/kafka-request-queue.js';
import type { Bus } from '../../libs/bus/src/index.js';
import { servers } from '../helpers/servers.js';

async function connected(t: Test): Promise<Bus> {
  const bus = kafkaBus({ brokers: [...servers.kafkaBrokers], transactionalId: `taxi-test-${randomBytes(4).toString('hex')}` });
  await bus.connect();
  t.teardown(() => bus.close());
  return bus;
}

t.test('an idle connection does not poll: no request-queue check, no TimeoutNegativeWarning (kafkajs 2.2.4 polled every 1 ms)', async (t) => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => { warnings.push(warning.name); };
  process.on('warning', onWarning);
  t.teardown(() => { process.off('warning', onWarning); });
  const proto = KafkaRequestQueueClass.prototype as { checkPendingRequests(): void };
  const check = proto.checkPendingRequests; // eslint-disable-line @typescript-eslint/unbound-method
  let checks = 0;
  proto.checkPendingRequests = function counted(this: unknown): void { checks++; check.call(this); };
  t.teardown(() => { proto.checkPendingRequests = check; });
  const bus = await connected(t);
  const topic = `taxi.idle.${randomBytes(4).toString('hex')}`;
  await bus.ensureTopics([{ name: topic, partitions: 1 }]);
  const txn = await bus.transaction();
  await txn.send(topic, [{ key: 'k', value: new Uint8Array([1]), headers: {}, partition: 0 }]);
  await txn.commit();
  t.ok(checks > 0, `responses were received (${checks} queue checks)`);
  const before = checks;
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(checks - before, 0, 'no check in 500 ms idle');
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(warnings.includes('TimeoutNegativeWarning'), `warnings: ${warnings.join(', ') || 'none'}`);
});

t.test('kafka bus', async (t) => {
  busContract(t, () => connected(t));

  t.test('a range whose offsets retention deleted fails naming the first missing offset', async (t) => {
    const bus = await connected(t);
    const topic = `taxi.contract.${randomBytes(4).toString('hex')}`;
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    const txn = await bus.transaction();
    for (let i = 0; i < 4; i++) await txn.send(topic, [{ key: `k${i}`, value: new Uint8Array([i]), headers: {}, partition: 0 }]);
    await txn.commit();
    const admin = new Kafka({ brokers: [...servers.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    t.teardown(() => admin.disconnect());
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs needs the leader known first
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] });
    const read = async (): Promise<void> => { for await (const _ of bus.readRange(topic, 0, '0', '3')) { /* drain */ } };
    await t.rejects(read(), { code: 'TAXI_ERR_BUS_OFFSET_GONE', message: new RegExp(`${topic.replace(/\./g, '\\.')} partition 0: offset 0 is gone .*first readable offset is 2`) });
  });
});
