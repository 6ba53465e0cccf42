// Shared set-up for ingest tests: a Kafka bus with unique topics, a local object store in a temp
// dir, and a reader that returns every message of a month with its decoded rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { pino } from 'pino';
import type { Test } from 'tap';
import { kafkaBus } from '../../libs/bus/src/index.js';
import type { Bus, BusMessage } from '../../libs/bus/src/index.js';
import { decodeEnvelope } from '../../libs/envelope/src/index.js';
import type { EnvelopeV1 } from '../../libs/envelope/src/index.js';
import { defaultTopics } from '../../libs/ingest/src/index.js';
import type { ManifestV1, Topics } from '../../libs/ingest/src/index.js';
import { localDirObjectStore } from '../../libs/objectstore/src/index.js';
import type { ObjectStore } from '../../libs/objectstore/src/index.js';
import { servers } from './servers.js';

export const silentLog = pino({ level: 'silent' });

export function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return dir;
}

export function uniqueTopics(rawPartitions = 3): Topics {
  const id = randomBytes(4).toString('hex');
  return { ...defaultTopics(), raw: `taxi.test.raw.${id}`, manifest: `taxi.test.manifest.${id}`, dlq: `taxi.test.dlq.${id}`, rawPartitions };
}

export async function kafkaFor(t: Test, topics: Topics): Promise<Bus> {
  const bus = kafkaBus({ brokers: [...servers.kafkaBrokers], transactionalId: `taxi-test-${randomBytes(4).toString('hex')}` }, silentLog);
  await bus.connect();
  t.teardown(() => bus.close());
  await bus.ensureTopics([
    { name: topics.raw, partitions: topics.rawPartitions, maxMessageBytes: topics.maxMessageBytes + 65_536 },
    { name: topics.manifest, partitions: 1, compacted: true },
  ]);
  return bus;
}

export async function localStore(t: Test): Promise<ObjectStore> {
  const store = localDirObjectStore({ root: tempDir(t, 'taxi-store') });
  await store.connect();
  return store;
}

export interface ReadBack {
  readonly message: BusMessage;
  readonly envelope: EnvelopeV1;
  readonly table: Table;
}

/** Every message of `month` inside the manifest's ranges, decoded. */
export async function readMonth(bus: Bus, manifest: ManifestV1): Promise<ReadBack[]> {
  const out: ReadBack[] = [];
  for (const range of manifest.partitions) {
    for await (const message of bus.readRange(manifest.topic, range.partition, range.firstOffset, range.lastOffset)) {
      const envelope = decodeEnvelope(message.headers, message.value);
      if (envelope.month === manifest.month && envelope.service === manifest.service) out.push({ message, envelope, table: tableFromIPC(message.value) });
    }
  }
  return out;
}
