// Round trip through the real Kafka broker (test/servers/kafka.sh) with kafkajs, the client the
// bus adapter uses: a topic with several partitions, produce to each, consume them with a group.
import '../../libs/bus/src/kafka-request-queue.js'; // before kafkajs is used: no 1 ms polling, no TimeoutNegativeWarning
import { Kafka, logLevel } from 'kafkajs';
import t from 'tap';
import { servers, uniqueName } from '../helpers/servers.js';

const kafka = new Kafka({ clientId: 'taxi-test', brokers: [...servers.kafkaBrokers], logLevel: logLevel.NOTHING,
  connectionTimeout: 3000, retry: { retries: 3 } });

t.test('kafkajs produces to and consumes from several partitions', async (t) => {
  const topic = uniqueName('taxi.test.roundtrip');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(async () => { await admin.deleteTopics({ topics: [topic] }).catch(() => undefined); await admin.disconnect(); });
  t.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }));

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const sent = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, key: `k${i}`, value: `v${i}`, headers: { row: String(i) } }));
  const acks = await producer.send({ topic, acks: -1, messages: sent });
  t.same(acks.map((a) => a.partition).sort(), [0, 1, 2], 'every partition acknowledged');

  const offsets = await admin.fetchTopicOffsets(topic);
  t.same(offsets.map((o) => [o.partition, o.high]).sort(), [[0, '10'], [1, '10'], [2, '10']], 'ten messages per partition');

  const groupId = uniqueName('taxi-test-group');
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: { partition: number; offset: string; key: string; value: string; row: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`consumed ${received.length} of 30 within 30 s`)); }, 30_000);
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, offset: message.offset, key: String(message.key), value: String(message.value),
          row: String(message.headers?.row) });
        if (received.length === sent.length) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  t.equal(received.length, 30);
  for (const m of received) {
    const i = Number(m.row);
    t.equal(m.partition, i % 3, `row ${i} on its partition`);
    t.equal(m.value, `v${i}`);
    t.equal(m.key, `k${i}`);
  }
  for (const p of [0, 1, 2]) {
    t.same(received.filter((m) => m.partition === p).map((m) => Number(m.offset)), [...Array(10).keys()], `partition ${p} in offset order`);
  }
  // Commit explicitly (the processor commits only what its sinks made durable), then stop.
  await consumer.commitOffsets(received.map((m) => ({ topic, partition: m.partition, offset: String(Number(m.offset) + 1) })));
  await consumer.stop();
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  t.same(committed[0]?.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10']], 'group offsets committed');
});
