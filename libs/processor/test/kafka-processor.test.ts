// KafkaProcessor's offset commits against a warehouse that holds writes in an open transaction
// (DuckDB's groups): a commit never moves past a message whose rows the warehouse has not made
// durable (its pendingFrom); it forces the transaction (sync) only when the same batch held it back
// at the previous commit, and at stop; and after a sync it never commits past a message that
// finished while the sync ran (its rows may be in the next, uncommitted transaction).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Test } from 'tap';
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

/**
 * A processor on partition 0 of TOPIC, over a warehouse whose writes go into an open group:
 * `fill()` commits the group by itself (as a DuckDB group reaching its size does), sync() commits
 * it as it stood when called, held until `releaseSync` while `held` is true.
 */
async function world(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'taxi-kafka-processor-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const store = localDirObjectStore({ root: dir });
  await store.connect();

  const events: string[] = [];
  let open: string[] = [];
  const durable = new Set<string>();
  const w = { releaseSync: undefined as (() => void) | undefined, held: true };
  const warehouse = {
    checkpoint: () => '',
    restore: async () => undefined,
    pendingFrom: (key: string) => (key === `${TOPIC}/0` ? open[0] : undefined),
    sync: async () => {
      const group = open;
      open = [];
      events.push(`sync [${group.join(',')}]`);
      if (w.held) await new Promise<void>((resolve) => { w.releaseSync = resolve; });
      for (const o of group) durable.add(o);
    },
  } as unknown as Warehouse;
  const fill = (): void => {
    for (const o of open) durable.add(o);
    open = [];
  };
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
  t.teardown(async () => { w.held = false; await processor.stop(); });
  await processor.start();
  const accept = async (offset: number): Promise<void> => {
    await handlers!.onMessage(message(offset));
    await new Promise((r) => setImmediate(r)); // the message completes
  };
  return { processor, accept, fill, events, commits, w };
}

t.test('a commit stays below the batches the warehouse holds, and moves on as its transactions commit by themselves', async (t) => {
  const { processor, accept, fill, events, commits } = await world(t);
  await accept(0);
  fill(); // message 0's group commits
  await accept(1);
  await accept(2);
  await processor.commit();
  t.same(commits, [{ offset: '1', durable: ['0'] }], 'committed up to message 0; messages 1 and 2 are in the open transaction');
  fill();
  await accept(3);
  await processor.commit();
  t.same(commits.at(-1), { offset: '3', durable: ['0', '1', '2'] }, 'the transaction holding 1 and 2 committed: up to them, not past 3');
  t.notOk(events.some((e) => e.startsWith('sync')), 'no sync forced: the warehouse\'s transactions kept committing');
});

t.test('held back by the same batch twice, a commit syncs the warehouse first and commits only what was done before the sync', async (t) => {
  const { processor, accept, events, commits, w } = await world(t);
  await accept(0);
  await processor.commit();
  t.same(commits, [{ offset: '0', durable: [] }], 'nothing durable yet: committed before message 0, without a sync');
  const committing = processor.commit();
  await new Promise((r) => setImmediate(r));
  // While the warehouse syncs the group holding message 0, message 1 completes into the next group.
  await accept(1);
  w.releaseSync!();
  await committing;
  t.same(commits.at(-1), { offset: '1', durable: ['0'] }, 'committed up to message 0 (next offset 1), which the sync made durable; not past message 1');
  t.same(events, ['commit 0', 'sync [0]', 'commit 1'], 'the sync came first');

  await processor.commit();
  t.same(commits.at(-1), { offset: '1', durable: ['0'] }, 'message 1 holds the next commit back, first time: no sync');
  const next = processor.commit();
  await new Promise((r) => setImmediate(r));
  w.releaseSync!();
  await next;
  t.same(commits.at(-1), { offset: '2', durable: ['0', '1'] }, 'the same batch the next time: synced, committed past it');
});

t.test('stop syncs the warehouse and commits every completed message', async (t) => {
  const { processor, accept, events, commits, w } = await world(t);
  await accept(0);
  await accept(1);
  w.held = false;
  await processor.stop();
  t.same(commits, [{ offset: '2', durable: ['0', '1'] }]);
  t.same(events, ['sync [0,1]', 'commit 2']);
});

t.test('after a failure, commits record no more progress', async (t) => {
  const { processor, accept, fill, commits } = await world(t);
  await accept(0);
  fill();
  processor.noteError(new Error('the warehouse thread ended'), 'test');
  t.ok(processor.failure, 'a non-retryable error is fatal');
  await processor.commit();
  await processor.commit({ sync: true });
  t.same(commits, [], 'nothing committed, though message 0 is durable');
});
