// The bus contract on the real Kafka broker (test/servers/kafka.sh), plus what only Kafka has:
// offsets deleted by retention.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import t from 'tap';
import type { Test } from 'tap';
import { busContract } from '../../libs/bus/test/contract.js';
import { kafkaBus } from '../../libs/bus/src/index.js';
import type { Bus } from '../../libs/bus/src/index.js';
import { servers } from '../helpers/servers.js';

async function connected(t: Test): Promise<Bus> {
  const bus = kafkaBus({ brokers: [...servers.kafkaBrokers], transactionalId: `taxi-test-${randomBytes(4).toString('hex')}` });
  await bus.connect();
  t.teardown(() => bus.close());
  return bus;
}

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
