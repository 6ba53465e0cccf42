import './kafka-crc32c.js'; // before kafkajs: its record batch checksum, native
import './kafka-encoder.js'; // kafkajs's protocol Encoder keeps message values by reference instead of copying them per layer
import './kafka-request-queue.js'; // kafkajs's request queues stop polling every millisecond when nothing waits
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
  const client = { clientId: options.clientId, brokers: options.brokers, connectionTimeout: options.connectionTimeoutMs, ssl: kafkaSsl(options.tls),
    requestTimeout: options.requestTimeoutMs, logLevel: logLevel.NOTHING };
  const kafka = new Kafka({ ...client, retry: { retries: options.retries } });
  const admin = kafka.admin();
  // lag() feeds /metrics and /status: a client of its own with short retries (its connection and
  // metadata follow the client's retry settings, not the admin's), so a scrape with the broker
  // away fails within a second or so, not after the full backoff; the next scrape asks again.
  const monitor = new Kafka({ ...client, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } }).admin();
  const consumer: Consumer = kafka.consumer({ groupId: group.groupId, readUncommitted: false, sessionTimeout: group.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000, rebalanceTimeout: 60_000, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, retry: { retries: options.retries } });
  let owned = new Set<number>();
  let topicName = '';

  return {
    async run(topic: string, handlers: GroupHandlers) {
      topicName = topic;
      try {
        await admin.connect();
        await monitor.connect();
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
        // A failed assignment (offsets unreadable with the broker away during a rejoin, the object
        // store down) fails the next batch instead, retryable: kafkajs retries the fetch, then
        // restarts the consumer, which rejoins and assigns again. Never an unhandled rejection.
        pendingAssignment = pendingAssignment.catch(() => undefined).then(async () => {
          if (revoked.length > 0) await handlers.onRevoked(revoked);
          if (added.length === 0) return;
          const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [topic] });
          const offsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
          const assigned: AssignedPartition[] = added.map((partition) => {
            const offset = offsets.get(partition);
            return { topic, partition, committed: offset === undefined || offset === '-1' ? undefined : offset };
          });
          await handlers.onAssigned(assigned);
        }).catch((error: unknown) => {
          const failed = new AppError('TAXI_ERR_BUS_UNAVAILABLE', `assignment of ${topic} partitions ${added.join(',')} failed: ${messageOf(error)}`, { retryable: true, cause: error });
          handlers.onError?.(failed, true);
          throw failed;
        });
        pendingAssignment.catch(() => undefined);
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        // kafkajs restarts the consumer itself after a retriable crash (a broker gone): it rejoins
        // the group, and GROUP_JOIN above revokes and reassigns. A crash it does not restart
        // leaves a member that fetches nothing: the handler must hear of it.
        handlers.onError?.(new AppError('TAXI_ERR_BUS_UNAVAILABLE', `Kafka consumer for ${topic} crashed: ${payload.error.message}`, { retryable: payload.restart, cause: payload.error }), payload.restart);
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
      const [high, committed] = await Promise.all([monitor.fetchTopicOffsets(topicName), monitor.fetchOffsets({ groupId: group.groupId, topics: [topicName] })])
        .catch((error: unknown) => { throw new AppError('TAXI_ERR_BUS_UNAVAILABLE', `lag of ${topicName}: ${messageOf(error)}`, { retryable: true, cause: error }); });
      const done = new Map((committed[0]?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]));
      return high.filter((h) => owned.has(h.partition)).map((h) => {
        const next = done.get(h.partition);
        return { partition: h.partition, committed: next, high: h.high, lag: Math.max(0, Number(h.high) - Number(next ?? 0)) };
      });
    },
    pause() {
      if (topicName !== '') consumer.pause([{ topic: topicName }]);
    },
    async stop() {
      await consumer.stop().catch(() => undefined);
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await monitor.disconnect().catch(() => undefined);
    },
  };
}
