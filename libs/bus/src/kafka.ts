import './kafka-crc32c.js'; // before kafkajs: its record batch checksum, native
import './kafka-encoder.js'; // kafkajs's protocol Encoder keeps message values by reference instead of copying them per layer
import './kafka-request-queue.js'; // kafkajs's request queues stop polling every millisecond when nothing waits
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Consumer, IHeaders, Producer, Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { AppError, messageOf } from '../../errors/src/index.js';
import { AsyncQueue } from './async-queue.js';
import { partitionForKey } from './partitioner.js';
import { kafkaBusOptionsSchema, kafkaSsl } from './options.js';
import type { KafkaBusOptions } from './options.js';
import type { Bus, BusMessage, BusTransaction, MessagePosition, OutgoingMessage, PartitionBounds, TopicSpec } from './types.js';

type Range = { readonly from: bigint; readonly to: bigint };

function unavailable(what: string, error: unknown): AppError {
  return new AppError('TAXI_ERR_BUS_UNAVAILABLE', `Kafka ${what} failed: ${messageOf(error)}`, {
    retryable: (error as { retriable?: boolean }).retriable !== false, cause: error,
  });
}

/** kafkajs's log lines through pino, at the same levels. */
function logCreator(log: Logger | undefined) {
  return () => ({ level, log: entry }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
    if (!log) return;
    const { message, ...rest } = entry;
    // kafkajs warns that bounded retries may break an idempotent producer's exactly-once; here
    // every send is inside a transaction, and a failed send aborts the whole transaction.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    if (level === logLevel.ERROR) log.error(rest, message);
    else if (level === logLevel.WARN) log.warn(rest, message);
    else if (level === logLevel.INFO) log.debug(rest, message);
  };
}

/** The bus on Apache Kafka through kafkajs. Readers see committed transactions only (read_committed). */
export function kafkaBus(input: KafkaBusOptions, log?: Logger): Bus {
  const options = kafkaBusOptionsSchema.parse(input);
  const kafka = new Kafka({
    clientId: options.clientId, brokers: options.brokers, connectionTimeout: options.connectionTimeoutMs, ssl: kafkaSsl(options.tls),
    requestTimeout: options.requestTimeoutMs, retry: { retries: options.retries }, logLevel: logLevel.WARN,
    logCreator: logCreator(log?.child({ component: 'kafkajs' })),
  });
  const admin: Admin = kafka.admin();
  let producer: Producer | undefined;
  let queue: Promise<void> = Promise.resolve();

  async function getProducer(): Promise<Producer> {
    if (!producer) {
      const created = kafka.producer({
        transactionalId: options.transactionalId, idempotent: true, maxInFlightRequests: 1,
        transactionTimeout: options.transactionTimeoutMs, allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await created.connect().catch((error: unknown) => { throw unavailable('producer connect', error); });
      producer = created;
    }
    return producer;
  }

  const partitionCounts = new Map<string, number>();
  async function partitionCountCached(topic: string): Promise<number> {
    let count = partitionCounts.get(topic);
    if (count === undefined) { count = (await bounds(topic)).length; partitionCounts.set(topic, count); }
    return count;
  }

  async function bounds(topic: string): Promise<PartitionBounds[]> {
    // Right after a topic is created a busy broker may not have elected every leader yet
    // ("not the leader for that topic-partition"): kafkajs marks that retriable, so retry.
    const offsets = await withRetries(() => admin.fetchTopicOffsets(topic), 8).catch((error: unknown) => { throw topicError(topic, error); });
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
  }

  async function transaction(): Promise<BusTransaction> {
    let release = (): void => undefined;
    const previous = queue;
    queue = new Promise((resolve) => { release = resolve; });
    await previous;
    let txn: Transaction;
    try {
      txn = await (await getProducer()).transaction();
    } catch (error) {
      release();
      throw error instanceof AppError ? error : unavailable('begin transaction', error);
    }
    let open = true;
    const sent = new Map<string, Map<number, bigint>>(); // topic -> partition -> last offset sent
    const finish = async (action: () => Promise<void>, what: string): Promise<void> => {
      if (!open) return;
      open = false;
      try { await action(); } catch (error) { throw unavailable(what, error); } finally { release(); }
    };
    return {
      async send(topic, messages) {
        // Partition chosen here for unkeyed placement, so each acknowledgement maps to its message.
        const count = messages.some((m) => m.partition === undefined) ? await partitionCountCached(topic) : 0;
        const placed = messages.map((m) => (m.partition === undefined ? { ...m, partition: partitionForKey(m.key, count) } : m));
        const positions = await sendInTransaction(txn, topic, placed);
        const last = sent.get(topic) ?? new Map<number, bigint>();
        for (const p of positions) last.set(p.partition, BigInt(p.offset));
        sent.set(topic, last);
        return positions;
      },
      commit: () => finish(async () => { await txn.commit(); await untilVisible(sent); }, 'commit transaction'),
      abort: () => finish(() => txn.abort(), 'abort transaction').catch(() => undefined),
    };
  }

  /**
   * EndTxn returns before the commit markers reach the partitions; until they do, read_committed
   * readers (and the last stable offset) stop short of the transaction. Waiting here makes commit()
   * mean "readers see it now", which the manifest and tests rely on. Another producer's open
   * transaction on the same partitions holds them back too; a crashed producer's is aborted by the
   * broker transactionTimeoutMs after it began (checked every 10 s by default), so the wait allows that.
   */
  async function untilVisible(sent: Map<string, Map<number, bigint>>): Promise<void> {
    const waitMs = Math.max(options.requestTimeoutMs, options.transactionTimeoutMs + 20_000);
    const deadline = Date.now() + waitMs;
    for (const [topic, partitions] of sent) {
      for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 200)) {
        const stable = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
        if ([...partitions].every(([p, offset]) => (stable.get(p) ?? 0n) > offset)) break;
        if (Date.now() > deadline) throw new Error(`transaction on ${topic} not visible after ${waitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async function* readRanges(topic: string, ranges: Map<number, Range>): AsyncIterable<BusMessage> {
    const known = await bounds(topic);
    for (const [partition, range] of ranges) {
      const low = BigInt(known.find((b) => b.partition === partition)?.low ?? '0');
      if (range.from < low) {
        throw new AppError('TAXI_ERR_BUS_OFFSET_GONE',
          `${topic} partition ${partition}: offset ${range.from} is gone (retention deleted it; the first readable offset is ${low})`,
          { context: { topic, partition, offset: Number(range.from) } });
      }
      if (range.from > range.to) ranges.delete(partition);
    }
    if (ranges.size === 0) return;
    yield* consumeRanges(kafka, topic, ranges, options.readIdleTimeoutMs, admin);
  }

  return {
    name: 'kafka',
    async connect() {
      try {
        await admin.connect();
        await admin.describeCluster();
      } catch (error) {
        throw unavailable(`connect to ${options.brokers.join(',')}`, error);
      }
    },
    async ping() {
      await admin.describeCluster().catch((error: unknown) => { throw unavailable(`reach ${options.brokers.join(',')}`, error); });
    },
    async ensureTopics(specs: readonly TopicSpec[]) {
      const existing = new Set(await admin.listTopics().catch((error: unknown) => { throw unavailable('list topics', error); }));
      const missing = specs.filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      await admin.createTopics({ waitForLeaders: true, topics: missing.map(topicConfig) }).catch((error: unknown) => {
        if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw unavailable('create topics', error);
      });
    },
    async partitionCount(topic) { return (await bounds(topic)).length; },
    bounds,
    async groupOffsets(groupId, topic) {
      const [offsets] = await withRetries(() => admin.fetchOffsets({ groupId, topics: [topic] }), 8)
        .catch((error: unknown) => { throw unavailable(`read the offsets of group ${groupId} on ${topic}`, error); });
      return (offsets?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset === '-1' ? undefined : p.offset }));
    },
    transaction,
    readRange: (topic, partition, from, to) => readRanges(topic, new Map([[partition, { from: BigInt(from), to: BigInt(to) }]])),
    readRanges: (topic, ranges) => readRanges(topic, new Map(ranges.map((r) => [r.partition, { from: BigInt(r.fromOffset), to: BigInt(r.toOffset) }]))),
    async *readAll(topic) {
      const ranges = new Map((await bounds(topic)).map((b) => [b.partition, { from: BigInt(b.low), to: BigInt(b.high) - 1n }]));
      yield* readRanges(topic, ranges);
    },
    async close() {
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}

async function withRetries<T>(call: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

function topicError(topic: string, error: unknown): AppError {
  if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new AppError('TAXI_ERR_BUS_TOPIC_MISSING', `topic ${topic} does not exist`, { cause: error, context: { topic } });
  }
  return unavailable(`read offsets of ${topic}`, error);
}

function topicConfig(spec: TopicSpec) {
  const configEntries = [
    ...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
    ...(spec.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(spec.maxMessageBytes) }] : []),
    ...(spec.retentionMs ? [{ name: 'retention.ms', value: String(spec.retentionMs) }] : []),
  ];
  return { topic: spec.name, numPartitions: spec.partitions, replicationFactor: -1, configEntries };
}

/**
 * Sends one produce request. Kafka applies max.message.bytes to a partition's whole record batch,
 * so callers put at most one large message per partition in a call; offsets within a partition's
 * batch are consecutive from its base offset.
 */
async function sendInTransaction(txn: Transaction, topic: string, messages: readonly OutgoingMessage[]): Promise<MessagePosition[]> {
  let metadata;
  try {
    metadata = await txn.send({
      topic,
      messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength), headers: { ...m.headers }, ...(m.partition === undefined ? {} : { partition: m.partition }) })),
    });
  } catch (error) {
    throw unavailable(`send ${messages.length} message(s) to ${topic}`, error);
  }
  const next = new Map(metadata.map((r) => [r.partition, BigInt(r.baseOffset ?? '0')]));
  return messages.map((m) => {
    const partition = m.partition ?? -1;
    const offset = next.get(partition);
    if (offset === undefined) throw new Error(`no produce acknowledgement for ${topic} partition ${partition}`);
    next.set(partition, offset + 1n);
    return { topic, partition, offset: String(offset) };
  });
}

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

/** One throwaway consumer group reads the ranges (read_committed), then deletes itself. */
async function* consumeRanges(kafka: Kafka, topic: string, ranges: Map<number, Range>, idleTimeoutMs: number, admin: Admin): AsyncIterable<BusMessage> {
  const groupId = `taxi-reader-${randomUUID()}`;
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  const out = new AsyncQueue<BusMessage>(1024);
  const remaining = new Set(ranges.keys());
  const nextOffset = new Map<number, bigint>();
  let idle: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => { out.end(unavailable(`read of ${topic}`, new Error(`no progress for ${idleTimeoutMs} ms`))); }, idleTimeoutMs);
  };
  const progress = (partition: number, lastOffset: string): void => {
    touch();
    const range = ranges.get(partition);
    if (range && remaining.has(partition) && BigInt(lastOffset) >= range.to) {
      remaining.delete(partition);
      if (remaining.size === 0) out.end();
    }
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => { progress(payload.partition, payload.lastOffset); });
  try {
    touch();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[topic] ?? [];
      const others = assigned.filter((p) => !ranges.has(p));
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    });
    void consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const range = ranges.get(batch.partition);
        if (!range) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset > range.to) break;
          // A consumer restarted by kafkajs (a retriable error) fetches again from the group's
          // position, which this group never commits: skip what is before the range or was yielded.
          const next = nextOffset.get(batch.partition) ?? range.from;
          if (offset < next) continue;
          await out.push({ topic, partition: batch.partition, offset: m.offset, key: m.key?.toString(), value: m.value ?? new Uint8Array(0), headers: toHeaders(m.headers) });
          nextOffset.set(batch.partition, offset + 1n);
          await payload.heartbeat(); // a slow reader (backpressure) must not lose its membership
        }
      },
    }).catch((error: unknown) => { out.end(unavailable(`read of ${topic}`, error)); });
    for (const [partition, range] of ranges) consumer.seek({ topic, partition, offset: String(range.from) });
    yield* out;
  } finally {
    clearTimeout(idle);
    out.end();
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
