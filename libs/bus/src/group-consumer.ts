import type { BusMessage } from './types.js';

export interface AssignedPartition {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next to read), or undefined when the group has none. */
  readonly committed: string | undefined;
}

export interface PartitionLag {
  readonly partition: number;
  readonly committed: string | undefined;
  readonly high: string;
  /** Messages after the committed offset (with transactions: control records count too). */
  readonly lag: number;
}

export interface GroupHandlers {
  /** Called with the partitions this member now owns, before any of their messages. */
  onAssigned(partitions: readonly AssignedPartition[]): Promise<void>;
  /**
   * Called on every rebalance with all partitions owned before it (even those owned again after):
   * their fetch restarts from the committed offset, so in-flight and unwritten work must be dropped.
   */
  onRevoked(partitions: readonly { topic: string; partition: number }[]): Promise<void>;
  /**
   * Called per message, in offset order within a partition. Resolving means "accepted" (the next
   * message may follow), not "durable": the handler applies backpressure by not resolving.
   */
  onMessage(message: BusMessage): Promise<void>;
  /**
   * Called when the consumer loses its connection or its group session and stops fetching, or an
   * assignment fails (then the next batch fails and the consumer restarts). `restarting`: it
   * rejoins by itself (the broker is unreachable for now: retryable); false: it gave up and
   * fetches no more, so the caller should fail and let the process restart.
   */
  onError?(error: Error, restarting: boolean): void;
}

/**
 * A consumer-group member. Offsets move only by commit(): at-least-once; the sinks make it
 * effectively-once. Errors: TAXI_ERR_BUS_UNAVAILABLE (retryable).
 */
export interface GroupConsumer {
  run(topic: string, handlers: GroupHandlers): Promise<void>;
  /** Commits `offset` (the next offset to read) for a partition. */
  commit(topic: string, partition: number, offset: string): Promise<void>;
  /**
   * Per owned partition: the group's committed offset (the next to read; undefined when it has
   * none), the high watermark, and the lag between them. Errors: TAXI_ERR_BUS_UNAVAILABLE.
   */
  lag(): Promise<PartitionLag[]>;
  /** Stops fetching but stays in the group, so offsets can still be committed (graceful shutdown). */
  pause(): void;
  /** Leaves the group and disconnects. */
  stop(): Promise<void>;
}
