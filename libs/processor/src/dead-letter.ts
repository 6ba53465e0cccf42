import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Bus } from '../../bus/src/index.js';

/**
 * One dead letter (dlq-v1): a rejected row with its reason and source position, or a whole
 * message that could not be processed (`row` absent, `error` set, the original value kept as base64).
 */
export interface DeadLetter {
  readonly reason: string;
  readonly error?: string;
  readonly service?: string;
  readonly month?: string;
  readonly source?: string;
  readonly rowGroup?: number;
  /** Row index in the source file. */
  readonly row?: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly values?: Record<string, unknown>;
  readonly valueBase64?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Set by a replay: its run id (a replayed month's rejects are sent again, tagged). */
  readonly replay?: string;
}

/** Where dead letters go. write resolves once they are durable (the processor commits after). */
export interface DeadLetterSink {
  readonly location: string;
  write(letters: readonly DeadLetter[]): Promise<void>;
}

const keyOf = (l: DeadLetter): string => (l.row === undefined ? `${l.topic}/${l.partition}@${l.offset}` : `${l.service ?? ''}/${l.month ?? ''}/${l.row}`);

/** The DLQ topic (Kafka in the cloud). Letters of one call go in one transaction. */
/**
 * transaction.timeout.ms for the producers of dead letters (processor, replay). A dead-letter
 * transaction is one send and a commit, so a short timeout costs nothing; a long one would let a
 * crashed instance's open transaction hold the topic's last stable offset back (read_committed
 * readers, the commit's visibility check) until the broker aborts it: the restarted instance's
 * commits then failed for up to the default 10 minutes.
 */
export const DEAD_LETTER_TRANSACTION_TIMEOUT_MS = 15_000;

export function busDeadLetters(bus: Bus, topic: string): DeadLetterSink {
  return {
    location: `${bus.name}:${topic}`,
    async write(letters) {
      if (letters.length === 0) return;
      const txn = await bus.transaction();
      try {
        for (let i = 0; i < letters.length; i += 500) {
          await txn.send(topic, letters.slice(i, i + 500).map((l) => ({
            key: keyOf(l), value: new TextEncoder().encode(JSON.stringify(l)), headers: { 'taxi-dlq': '1', reason: l.reason },
          })));
        }
        await txn.commit();
      } catch (error) {
        await txn.abort();
        throw error;
      }
    },
  };
}

/** A JSON-lines file (the embedded run's DLQ). */
export function fileDeadLetters(path: string): DeadLetterSink {
  return {
    location: path,
    async write(letters) {
      if (letters.length === 0) return;
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, letters.map((l) => `${JSON.stringify(l)}\n`).join(''));
    },
  };
}
