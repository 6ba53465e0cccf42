import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, IHeaders } from 'kafkajs';
import { AppError, messageOf } from '../../errors/src/index.js';
import type { AssignedPartition, GroupConsumer, GroupHandlers } from './group-consumer.js';
import { kafkaBusOptionsSchema, kafkaSsl } from './options.js';
import type { KafkaBusOptions } from './options.js';

export interface KafkaGroupOptions {
  readonly groupId: string;
  /** Partitions handled at once by this member. */
  readonly partitionsConcurrently?: number;
  readonly sessionTimeoutMs?: number;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  return out;
}

/** A kafkajs consumer-group member with manual commits (read_committed). */
export function kafkaGroupConsumer(input: KafkaBusOptions, group: KafkaGroupOptions): GroupConsumer {
  const options = kafkaBusOptionsSchema.parse(input);
  const kafka = new Kafka({ clientId: options.clientId, brokers: options.brokers, connectionTimeout: options.connectionTimeoutMs, ssl: kafkaSsl(options.tls),
    requestTimeout: options.requestTimeoutMs, retry: { retries: options.retries }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumer: Consumer = kafka.consumer({ groupId: group.groupId, readUncommitted: false, sessionTimeout: group.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000, rebalanceTimeout: 60_000, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, retry: { retries: options.retries } });
  let owned = new Set<number>();
  let topicName = '';

  return {
    async run(topic: string, handlers: GroupHandlers) {
      topicName = topic;
      try {
        await admin.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
      } catch (error) {
        throw new AppError('TAXI_ERR_BUS_UNAVAILABLE', `Kafka consumer for ${topic} could not start: ${messageOf(error)}`, { retryable: true, cause: error });
      }
      // Assignment changes are handled inside the fetch loop, before the first batch of a new
      // assignment: kafkajs emits GROUP_JOIN before fetching.
      let pendingAssignment: Promise<void> = Promise.resolve();
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        // After any rebalance kafkajs fetches every assigned partition again from its committed
        // offset, kept ones included: so every partition is revoked and assigned anew.
        const now = new Set(payload.memberAssignment[topic] ?? []);
        const revoked = [...owned].map((partition) => ({ topic, partition }));
        const added = [...now];
        owned = now;
        pendingAssignment = pendingAssignment.then(async () => {
          if (revoked.length > 0) await handlers.onRevoked(revoked);
          if (added.length === 0) return;
          const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [topic] });
          const offsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
          const assigned: AssignedPartition[] = added.map((partition) => {
            const offset = offsets.get(partition);
            return { topic, partition, committed: offset === undefined || offset === '-1' ? undefined : offset };
          });
          await handlers.onAssigned(assigned);
        });
      });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: group.partitionsConcurrently ?? 1,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          await pendingAssignment;
          for (const m of batch.messages) {
            if (!payload.isRunning() || payload.isStale() || !owned.has(batch.partition)) break;
            await handlers.onMessage({ topic, partition: batch.partition, offset: m.offset, key: m.key?.toString(),
              value: m.value ?? new Uint8Array(0), headers: headersOf(m.headers) });
            payload.resolveOffset(m.offset);
            await payload.heartbeat();
          }
        },
      });
    },
    async commit(topic, partition, offset) {
      try {
        await consumer.commitOffsets([{ topic, partition, offset }]);
      } catch (error) {
        throw new AppError('TAXI_ERR_BUS_UNAVAILABLE', `commit of ${topic}/${partition}@${offset} failed: ${messageOf(error)}`, { retryable: true, cause: error });
      }
    },
    async lag() {
      if (topicName === '') return [];
      const [high, committed] = await Promise.all([admin.fetchTopicOffsets(topicName), admin.fetchOffsets({ groupId: group.groupId, topics: [topicName] })]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      return high.filter((h) => owned.has(h.partition)).map((h) => ({ partition: h.partition, lag: Math.max(0, Number(h.high) - Math.max(0, done.get(h.partition) ?? 0)) }));
    },
    pause() {
      if (topicName !== '') consumer.pause([{ topic: topicName }]);
    },
    async stop() {
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}
