import { AppError } from '../../errors/src/index.js';
import { partitionForKey } from './partitioner.js';
import type { Bus, BusMessage, BusTransaction, MessagePosition, PartitionBounds, TopicSpec } from './types.js';

interface StoredPartition {
  /** Committed messages by offset; undefined once deleted (deleteRecords). */
  readonly log: (BusMessage | undefined)[];
  /** The first offset not deleted. */
  low: number;
}

interface StoredTopic {
  readonly spec: TopicSpec;
  readonly partitions: StoredPartition[];
  /** read_uncommitted followers: told of every message as it is sent. */
  readonly followers: Set<(message: BusMessage) => void>;
}

export interface MemoryBusOptions {
  /**
   * Most bytes of message values the bus holds (sent, committed or not, and not deleted): a send
   * waits until deleteRecords frees room, as a Kafka producer waits on a full buffer. Default: no
   * limit. Only set it when a reader deletes what it has consumed, or sends wait forever.
   */
  readonly maxBufferedBytes?: number;
}

/** The in-process bus, with what an embedded run uses beyond the port. */
export interface MemoryBus extends Bus {
  /**
   * Every message sent to `topic` from now on (and those already committed), in the order sent,
   * as soon as it is sent: Kafka's isolation.level=read_uncommitted, so a reader sees messages of
   * a transaction still open (and keeps those of a transaction later aborted). Ends once `until`
   * settles (resolved or rejected) and every message sent before has been yielded.
   */
  follow(topic: string, until: Promise<unknown>): AsyncIterable<BusMessage>;
  /** Deletes a partition's messages below `beforeOffset`, committed or not (Kafka's DeleteRecords): frees their memory. */
  deleteRecords(topic: string, partition: number, beforeOffset: string): void;
  /** Bytes of message values held now. */
  readonly bufferedBytes: number;
}

/**
 * The embedded bus: topics and partitions in memory, with Kafka's offset and transaction
 * semantics (a transaction's messages appear on commit, all together; offsets per partition).
 */
export function memoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const maxBuffered = options.maxBufferedBytes ?? Number.POSITIVE_INFINITY;
  if (!(maxBuffered > 0)) throw new RangeError(`maxBufferedBytes should be positive, got ${maxBuffered}`);
  const topics = new Map<string, StoredTopic>();
  let queue: Promise<void> = Promise.resolve();
  let buffered = 0;
  /** Sends waiting for room. */
  const roomWaiters = new Set<() => void>();
  /** Pending (not yet committed) messages of every open transaction, for deleteRecords. */
  const openPending = new Set<PendingMessage[]>();

  const topicOf = (name: string): StoredTopic => {
    const topic = topics.get(name);
    if (!topic) throw new AppError('TAXI_ERR_BUS_TOPIC_MISSING', `topic ${name} does not exist`, { context: { topic: name } });
    return topic;
  };

  const free = (bytes: number): void => {
    buffered -= bytes;
    const waiters = [...roomWaiters];
    roomWaiters.clear();
    for (const wake of waiters) wake();
  };

  let closed = false;
  async function room(): Promise<void> {
    while (buffered >= maxBuffered && !closed) await new Promise<void>((resolve) => { roomWaiters.add(resolve); });
    if (closed) throw new AppError('TAXI_ERR_BUS_UNAVAILABLE', 'the in-process bus is closed');
  }

  const transaction = async (): Promise<BusTransaction> => {
    let release = (): void => undefined;
    const previous = queue;
    queue = new Promise((resolve) => { release = resolve; });
    await previous;
    const pending: PendingMessage[] = [];
    /** Messages sent per partition in this transaction (their offsets follow the log's end). */
    const sentTo = new Map<StoredPartition, number>();
    openPending.add(pending);
    let open = true;
    const finish = (): void => { open = false; openPending.delete(pending); release(); };
    return {
      async send(topicName, messages) {
        if (!open) throw new Error('send on a finished transaction');
        const topic = topicOf(topicName);
        await room();
        return messages.map((m) => {
          const partition = m.partition ?? partitionForKey(m.key, topic.partitions.length);
          const stored = topic.partitions[partition];
          if (!stored) throw new RangeError(`partition ${partition} of ${topicName} does not exist`);
          const sent = sentTo.get(stored) ?? 0;
          sentTo.set(stored, sent + 1);
          const offset = stored.log.length + sent;
          const message: BusMessage = { topic: topicName, partition, offset: String(offset), key: m.key, value: m.value, headers: m.headers };
          pending.push({ topic, partition, offset, message });
          buffered += m.value.byteLength;
          for (const follower of topic.followers) follower(message);
          return { topic: topicName, partition, offset: String(offset) } satisfies MessagePosition;
        });
      },
      async commit() {
        if (!open) throw new Error('commit on a finished transaction');
        for (const p of pending) p.topic.partitions[p.partition]?.log.push(p.message);
        finish();
      },
      async abort() {
        if (!open) return;
        free(pending.reduce((sum, p) => sum + (p.message?.value.byteLength ?? 0), 0));
        finish();
      },
    };
  };

  async function* readRange(topic: string, partition: number, fromOffset: string, toOffset: string): AsyncIterable<BusMessage> {
    const log = topicOf(topic).partitions[partition]?.log ?? [];
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
        if (!topics.has(spec.name)) {
          topics.set(spec.name, { spec, partitions: Array.from({ length: spec.partitions }, () => ({ log: [], low: 0 })), followers: new Set() });
        }
      }
    },
    async partitionCount(topic) { return topicOf(topic).partitions.length; },
    async bounds(topic): Promise<PartitionBounds[]> {
      return topicOf(topic).partitions.map((p, partition) => ({ partition, low: String(Math.min(p.low, p.log.length)), high: String(p.log.length) }));
    },
    async groupOffsets() { return []; },
    transaction,
    readRange,
    async *readRanges(topic, ranges) {
      for (const r of ranges) yield* readRange(topic, r.partition, r.fromOffset, r.toOffset);
    },
    async *readAll(topic) {
      const partitions = topicOf(topic).partitions;
      for (let p = 0; p < partitions.length; p++) yield* readRange(topic, p, '0', String((partitions[p]?.log.length ?? 0) - 1));
    },
    async *follow(topicName, until) {
      const topic = topicOf(topicName);
      const waiting: BusMessage[] = [];
      let wake: (() => void) | undefined;
      const state = { ended: false };
      const follower = (message: BusMessage): void => { waiting.push(message); wake?.(); };
      topic.followers.add(follower);
      const end = (): void => { state.ended = true; wake?.(); };
      until.then(end, end);
      try {
        for (const p of topic.partitions) for (const message of p.log) if (message) yield message;
        for (;;) {
          const message = waiting.shift();
          if (message) { yield message; continue; }
          if (state.ended) return;
          await new Promise<void>((resolve) => { wake = resolve; });
          wake = undefined;
        }
      } finally {
        topic.followers.delete(follower);
      }
    },
    deleteRecords(topicName, partition, beforeOffset) {
      const topic = topicOf(topicName);
      const stored = topic.partitions[partition];
      if (!stored) throw new RangeError(`partition ${partition} of ${topicName} does not exist`);
      const before = Number(beforeOffset);
      if (before <= stored.low) return;
      let freed = 0;
      for (let i = stored.low; i < Math.min(before, stored.log.length); i++) {
        freed += stored.log[i]?.value.byteLength ?? 0;
        stored.log[i] = undefined;
      }
      for (const pending of openPending) {
        for (const p of pending) {
          if (p.topic === topic && p.partition === partition && p.offset < before && p.message) {
            freed += p.message.value.byteLength;
            p.message = undefined;
          }
        }
      }
      stored.low = before;
      free(freed);
    },
    get bufferedBytes() { return buffered; },
    async close() {
      // Sends waiting for room fail rather than wait forever.
      closed = true;
      free(0);
    },
  };
}

interface PendingMessage {
  readonly topic: StoredTopic;
  readonly partition: number;
  readonly offset: number;
  /** undefined once deleted before its commit. */
  message: BusMessage | undefined;
}
