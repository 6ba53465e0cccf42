// Is the broker up, and removing the topics a benchmark made (each run's topics are unique, and a
// full month is a few hundred MB on the broker's disk).
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import '../../libs/bus/src/kafka-request-queue.js'; // before kafkajs: no timer with a negative delay (TimeoutNegativeWarning)
import { Kafka, logLevel } from 'kafkajs';

export type KafkaState = { readonly up: true; readonly brokers: string } | { readonly up: false; readonly brokers: string; readonly reason: string };

function client(brokers: string): Kafka {
  return new Kafka({ clientId: 'taxi-bench', brokers: brokers.split(','), connectionTimeout: 2_000, requestTimeout: 10_000, retry: { retries: 1 }, logLevel: logLevel.NOTHING });
}

function reachable(broker: string, timeoutMs = 2_000): Promise<string | undefined> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at);
  const port = Number(broker.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => { socket.destroy(); resolve(undefined); });
    socket.once('timeout', () => { socket.destroy(); resolve(`no answer from ${broker} within ${timeoutMs} ms`); });
    socket.once('error', (e: Error) => { resolve(`${broker}: ${e.message}`); });
  });
}

/** Up when the first broker accepts a connection and answers a metadata request. */
export async function probeKafka(brokers: string): Promise<KafkaState> {
  const first = brokers.split(',')[0] ?? brokers;
  const refused = await reachable(first);
  if (refused) return { up: false, brokers, reason: `${refused} (start it with \`bash test/servers/kafka.sh start\`)` };
  const admin = client(brokers).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return { up: true, brokers };
  } catch (error) {
    return { up: false, brokers, reason: `${first} accepts connections but does not answer as Kafka: ${(error as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface BenchTopic { readonly name: string; readonly partitions: number; readonly compacted?: boolean; readonly maxMessageBytes?: number; readonly retentionMs?: number }

/**
 * Creates topics with the settings the taxi commands would give them, and waits until every
 * partition answers an offset request: a command that reads offsets right after creating a topic
 * can meet NOT_LEADER_OR_FOLLOWER on a busy broker, which the bus does not retry.
 */
export async function createTopics(brokers: string, topics: readonly BenchTopic[], timeoutMs = 60_000): Promise<void> {
  const admin = client(brokers).admin();
  try {
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.name, numPartitions: t.partitions, replicationFactor: -1,
        configEntries: [
          ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...(t.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(t.maxMessageBytes) }] : []),
          ...(t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
        ],
      })),
    });
    const deadline = Date.now() + timeoutMs;
    for (const t of topics) {
      for (;;) {
        try {
          const offsets = await admin.fetchTopicOffsets(t.name);
          if (offsets.length === t.partitions) break;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`topic ${t.name} has no leader after ${timeoutMs} ms: ${(error as Error).message}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The topics of benchmark runs (`bench.raw|manifest|dlq.<id>`, the id starting with the run's
 * Date.now() in base 36, see bench/index.ts uniqueId) made before `before` (ms since the epoch).
 */
export function staleBenchTopics(names: readonly string[], before: number): string[] {
  return names.filter((name) => {
    const made = /^bench\.(?:raw|manifest|dlq)\.([0-9a-z]+)-[0-9a-f]+$/.exec(name)?.[1];
    return made !== undefined && Number.parseInt(made, 36) < before;
  });
}

/**
 * Deletes the topics benchmark runs made more than `maxAgeMs` ago: a run deletes its own at the end,
 * so these are a killed run's (a month is a few hundred MB of the broker's disk; left to pile up they
 * filled it once). Younger ones may be another run's, going on, and stay. Failures come back as a message.
 */
export async function deleteStaleBenchTopics(brokers: string, maxAgeMs: number, now = Date.now()): Promise<{ deleted: string[]; problem?: string }> {
  const admin = client(brokers).admin();
  try {
    await admin.connect();
    const doomed = staleBenchTopics(await admin.listTopics(), now - maxAgeMs);
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    return { deleted: doomed };
  } catch (error) {
    return { deleted: [], problem: `could not delete earlier runs' benchmark topics: ${(error as Error).message}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Deletes topics; failures are returned as a message, not thrown (cleanup must not hide results). */
export async function deleteTopics(brokers: string, topics: readonly string[]): Promise<string | undefined> {
  if (topics.length === 0) return undefined;
  const admin = client(brokers).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    return undefined;
  } catch (error) {
    return `could not delete the benchmark's topics ${topics.join(', ')}: ${(error as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The Kafka version test/servers/kafka.sh installs by default (KAFKA_VERSION=${KAFKA_VERSION:-x}). */
export function kafkaScriptVersion(scriptPath: string): string | undefined {
  try {
    return /^KAFKA_VERSION=\$\{KAFKA_VERSION:-([^}]+)\}/m.exec(readFileSync(scriptPath, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
