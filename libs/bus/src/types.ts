/** A message to produce. `partition` unset: the bus chooses (by key hash). */
export interface OutgoingMessage {
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition?: number;
}

/** Where a produced message landed. Offsets are decimal strings (Kafka offsets are int64). */
export interface MessagePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface BusMessage extends MessagePosition {
  readonly key: string | undefined;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

/** Offsets `fromOffset`..`toOffset` (inclusive) of one partition. */
export interface OffsetRange {
  readonly partition: number;
  readonly fromOffset: string;
  readonly toOffset: string;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** cleanup.policy=compact: the last value per key is kept (the manifest). */
  readonly compacted?: boolean;
  /** max.message.bytes; producers size their messages below it. */
  readonly maxMessageBytes?: number;
  readonly retentionMs?: number;
}

/** Per partition: the first offset still readable and the offset the next message will get. */
export interface PartitionBounds {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/**
 * Messages sent inside one transaction become visible to readers together, on commit, or never.
 * Send resolves once the broker has the messages (not yet visible); commit makes them visible.
 */
export interface BusTransaction {
  /**
   * Sends messages to one topic; resolves with each message's position, in order.
   * Errors: any error leaves the transaction unusable: call abort(). Retryable errors
   * (`retryable: true`) mean the whole transaction may be tried again.
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<MessagePosition[]>;
  commit(): Promise<void>;
  /** Discards everything sent; idempotent, never throws for an already finished transaction. */
  abort(): Promise<void>;
}

/**
 * The bus port: Kafka in the cloud, an in-process bus embedded, with the same partition and
 * offset semantics (offsets per partition from 0, increasing by one per message; a transaction's
 * commit marker takes an offset too on Kafka, so readers must not assume offsets are dense).
 */
export interface Bus {
  readonly name: string;
  /** Connects and checks the bus answers. Errors: TAXI_ERR_BUS_UNAVAILABLE (retryable). */
  connect(): Promise<void>;
  /** Checks the bus answers now (readiness). Errors: TAXI_ERR_BUS_UNAVAILABLE (retryable). */
  ping(): Promise<void>;
  /** Creates missing topics; existing ones are left as they are (their partition count is read back). */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** The partition count of a topic. Errors: TAXI_ERR_BUS_TOPIC_MISSING. */
  partitionCount(topic: string): Promise<number>;
  bounds(topic: string): Promise<PartitionBounds[]>;
  /**
   * A consumer group's committed offsets on a topic (the next offset it will read), per partition;
   * `undefined` where it has committed nothing. Reads only: the group is not joined.
   * The in-process bus has no consumer groups and answers [].
   */
  groupOffsets(groupId: string, topic: string): Promise<{ readonly partition: number; readonly offset: string | undefined }[]>;
  /** Starts a transaction. One producer runs one transaction at a time: calls queue. */
  transaction(): Promise<BusTransaction>;
  /**
   * Reads committed messages of one partition from `fromOffset` (inclusive) up to `toOffset`
   * (inclusive), then ends. Errors: TAXI_ERR_BUS_OFFSET_GONE when `fromOffset` is below the
   * partition's low offset (deleted by retention), naming topic, partition and the first missing offset.
   */
  readRange(topic: string, partition: number, fromOffset: string, toOffset: string): AsyncIterable<BusMessage>;
  /**
   * Like readRange for several partitions at once, with one reader (replay): messages of a
   * partition come in offset order, partitions interleave. Every range is checked before the
   * first message is read, so a gone offset fails before any work (TAXI_ERR_BUS_OFFSET_GONE).
   */
  readRanges(topic: string, ranges: readonly OffsetRange[]): AsyncIterable<BusMessage>;
  /** Reads every committed message of every partition present when called, then ends. */
  readAll(topic: string): AsyncIterable<BusMessage>;
  close(): Promise<void>;
}
