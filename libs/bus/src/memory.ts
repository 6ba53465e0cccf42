import { AppError } from '../../errors/src/index.js';
import { partitionForKey } from './partitioner.js';
import type { Bus, BusMessage, BusTransaction, MessagePosition, PartitionBounds, TopicSpec } from './types.js';

interface StoredTopic {
  readonly spec: TopicSpec;
  readonly partitions: BusMessage[][];
}

/**
 * The embedded bus: topics and partitions in memory, with Kafka's offset and transaction
 * semantics (a transaction's messages appear on commit, all together; offsets per partition).
 */
export function memoryBus(): Bus {
  const topics = new Map<string, StoredTopic>();
  let queue: Promise<void> = Promise.resolve();

  const topicOf = (name: string): StoredTopic => {
    const topic = topics.get(name);
    if (!topic) throw new AppError('TAXI_ERR_BUS_TOPIC_MISSING', `topic ${name} does not exist`, { context: { topic: name } });
    return topic;
  };

  const transaction = async (): Promise<BusTransaction> => {
    let release = (): void => undefined;
    const previous = queue;
    queue = new Promise((resolve) => { release = resolve; });
    await previous;
    const pending: { topic: StoredTopic; partition: number; message: BusMessage }[] = [];
    let open = true;
    const finish = (): void => { open = false; release(); };
    return {
      async send(topicName, messages) {
        if (!open) throw new Error('send on a finished transaction');
        const topic = topicOf(topicName);
        return messages.map((m) => {
          const partition = m.partition ?? partitionForKey(m.key, topic.partitions.length);
          const log = topic.partitions[partition];
          if (!log) throw new RangeError(`partition ${partition} of ${topicName} does not exist`);
          const offset = String(log.length + pending.filter((p) => p.topic === topic && p.partition === partition).length);
          pending.push({ topic, partition, message: { topic: topicName, partition, offset, key: m.key, value: m.value, headers: m.headers } });
          return { topic: topicName, partition, offset } satisfies MessagePosition;
        });
      },
      async commit() {
        if (!open) throw new Error('commit on a finished transaction');
        for (const p of pending) p.topic.partitions[p.partition]?.push(p.message);
        finish();
      },
      async abort() { if (open) finish(); },
    };
  };

  async function* readRange(topic: string, partition: number, fromOffset: string, toOffset: string): AsyncIterable<BusMessage> {
    const log = topicOf(topic).partitions[partition] ?? [];
    for (let i = Number(fromOffset); i <= Number(toOffset) && i < log.length; i++) {
      const message = log[i];
      if (message) yield message;
    }
  }

  return {
    name: 'memory',
    async connect() { /* always reachable */ },
    async ping() { /* always reachable */ },
    async ensureTopics(specs) {
      for (const spec of specs) {
        if (!topics.has(spec.name)) topics.set(spec.name, { spec, partitions: Array.from({ length: spec.partitions }, () => []) });
      }
    },
    async partitionCount(topic) { return topicOf(topic).partitions.length; },
    async bounds(topic): Promise<PartitionBounds[]> {
      return topicOf(topic).partitions.map((log, partition) => ({ partition, low: '0', high: String(log.length) }));
    },
    async groupOffsets() { return []; },
    transaction,
    readRange,
    async *readRanges(topic, ranges) {
      for (const r of ranges) yield* readRange(topic, r.partition, r.fromOffset, r.toOffset);
    },
    async *readAll(topic) {
      const partitions = topicOf(topic).partitions;
      for (let p = 0; p < partitions.length; p++) yield* readRange(topic, p, '0', String((partitions[p]?.length ?? 0) - 1));
    },
    async close() { /* nothing held */ },
  };
}
