// KafkaProcessor's offset commits against a warehouse that holds writes in an open transaction
// (DuckDB's groups): a commit syncs the warehouse first, and never commits past a message that
// finished while the sync ran (its rows may be in the next, uncommitted transaction).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { BusMessage, GroupConsumer, GroupHandlers } from '../../bus/src/index.js';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import type { ParquetSink } from '../../sinks/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';
import { CheckpointStore, KafkaProcessor } from '../src/index.js';
import type { Pipeline } from '../src/index.js';

const TOPIC = 'raw';

function message(offset: number): BusMessage {
  return { topic: TOPIC, partition: 0, offset: String(offset), key: null, value: new Uint8Array(0), headers: {} } as unknown as BusMessage;
}

t.test('a commit syncs the warehouse first and commits only what was done before the sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-kafka-processor-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const store = localDirObjectStore({ root: dir });
  await store.connect();

  const events: string[] = [];
  // The warehouse: writes go into an open group; sync() commits the group as it stood when called.
  let open: string[] = [];
  const durable = new Set<string>();
  let releaseSync: (() => void) | undefined;
  let held = true; // false: sync() finishes at once (the teardown's stop)
  const warehouse = {
    checkpoint: () => '',
    restore: async () => undefined,
    sync: async () => {
      const group = open;
      open = [];
      events.push(`sync [${group.join(',')}]`);
      if (held) await new Promise<void>((resolve) => { releaseSync = resolve; });
      for (const o of group) durable.add(o);
    },
  } as unknown as Warehouse;
  const pipeline = {
    handle: async (m: BusMessage) => { open.push(m.offset); },
    drain: async () => undefined,
  } as unknown as Pipeline;
  const parquet = { pendingFrom: () => undefined, settled: async () => undefined, discard: () => undefined, flushAll: async () => undefined } as unknown as ParquetSink;
  let handlers: GroupHandlers | undefined;
  const commits: { offset: string; durable: string[] }[] = [];
  const consumer = {
    run: async (_topic: string, h: GroupHandlers) => {
      handlers = h;
      await h.onAssigned([{ topic: TOPIC, partition: 0, committed: undefined }]);
    },
    commit: async (_topic: string, _partition: number, offset: string) => {
      events.push(`commit ${offset}`);
      commits.push({ offset, durable: [...durable].sort() });
    },
    pause: () => undefined,
    stop: async () => undefined,
  } as unknown as GroupConsumer;

  const processor = new KafkaProcessor({
    consumer, pipeline, parquet, warehouse, store, checkpoints: new CheckpointStore(store, 'g'), log: pino({ level: 'silent' }),
    topic: TOPIC, processedPrefix: 'processed', maxInFlight: 8, commitIntervalMs: 3_600_000,
  });
  t.teardown(async () => { held = false; await processor.stop(); });
  await processor.start();
  const accept = async (offset: number): Promise<void> => {
    await handlers!.onMessage(message(offset));
    await new Promise((r) => setImmediate(r)); // the message completes
  };

  await accept(0);
  const committing = processor.commit();
  await new Promise((r) => setImmediate(r));
  // While the warehouse syncs the group holding message 0, message 1 completes into the next group.
  await accept(1);
  releaseSync!();
  await committing;
  t.same(commits, [{ offset: '1', durable: ['0'] }], 'committed up to message 0 (next offset 1), which the sync made durable; not past message 1');
  t.same(events, ['sync [0]', 'commit 1'], 'the sync came first');

  const next = processor.commit();
  await new Promise((r) => setImmediate(r));
  releaseSync!();
  await next;
  t.same(commits.at(-1), { offset: '2', durable: ['0', '1'] }, 'the next commit syncs message 1 and commits past it');
});
