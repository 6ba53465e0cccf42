// The transform worker's reply buffer (transform-worker.ts packResult / unpackResult), and the
// error codes of the replies that carry no rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import transformMessage, { packResult, unpackResult } from '../src/transform-worker.js';
import { wholeMessageReason } from '../src/index.js';
import { memoryBus } from '../../bus/src/index.js';
import type { BusMessage } from '../../bus/src/index.js';
import type { EnvelopeV1 } from '../../envelope/src/index.js';
import { defaultTopics, ingestMonth } from '../../ingest/src/index.js';
import { localDirObjectStore } from '../../objectstore/src/index.js';
import { parquetWasmCodec } from '../../parquet/src/index.js';
import { localFileSource } from '../../source/src/index.js';

t.test('the processed stream comes back whole, at a multiple of 64 bytes, whatever the meta size', async (t) => {
  const chunks = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), Uint8Array.from({ length: 77 }, (_, i) => i)];
  for (const rejects of [0, 1, 3, 50]) {
    const meta = { ok: true as const, envelope: { service: 'green' } as unknown as EnvelopeV1, rowsOut: 7,
      rejects: Array.from({ length: rejects }, (_, i) => ({ row: i, reason: 'zero_distance' as const, values: { x: 'y'.repeat(i) } })) };
    const packed = packResult(meta, chunks);
    t.ok(packed.buffer instanceof SharedArrayBuffer, 'a shared buffer');
    const back = unpackResult(packed);
    if (!back.ok) throw new Error('expected an ok reply');
    t.equal(back.processed.byteOffset % 64, 0, `${rejects} rejects: the stream is aligned`);
    t.same([...back.processed], [1, 2, 3, ...Array.from({ length: 77 }, (_, i) => i)], 'the chunks, in order');
    t.equal(back.rejects.length, rejects);
    t.equal(back.rowsOut, 7);
  }
  t.same(unpackResult(packResult({ ok: false, code: 'TAXI_ERR_ENVELOPE_INVALID', message: 'bad' })), { ok: false, code: 'TAXI_ERR_ENVELOPE_INVALID', message: 'bad' }, 'an error reply');
});

t.test('a fault of the transform itself is TAXI_ERR_TRANSFORM_FAILED (reason transform_failed), not an invalid envelope', async (t) => {
  // A real message of the shipped month, transformed on this thread: the worker's zone lookup is
  // loaded in the Pipeline's worker threads only, so the transform throws a plain Error here, past
  // every check of the message (envelope, schema, Arrow stream, row count).
  const bus = memoryBus();
  const topics = defaultTopics();
  await bus.ensureTopics([{ name: topics.raw, partitions: 1 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const dir = mkdtempSync(join(tmpdir(), 'taxi-transform-fault-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const store = localDirObjectStore({ root: dir });
  await store.connect();
  const codec = parquetWasmCodec();
  t.teardown(() => codec.destroy());
  const path = new URL('../../../data/samples/green_tripdata_2024-01.parquet', import.meta.url).pathname;
  await ingestMonth({ service: 'green', year: 2024, month: 1 }, { source: localFileSource({ path }), store, bus, codec, log: pino({ level: 'silent' }) }, { topics });
  let first: BusMessage | undefined;
  for await (const m of bus.readAll(topics.raw)) { first ??= m; }
  if (!first) throw new Error('no message ingested');
  const reply = unpackResult(await transformMessage({ value: new Uint8Array(first.value), headers: first.headers }));
  if (reply.ok) throw new Error('expected an error reply');
  t.equal(reply.code, 'TAXI_ERR_TRANSFORM_FAILED');
  t.match(reply.message, /^Error: transformMessage runs in the Pipeline's worker threads only \(at .*transform-worker\.ts/, 'its name, message and the frame that threw it');
  t.equal(wholeMessageReason(reply.code), 'transform_failed');
  t.equal(wholeMessageReason('TAXI_ERR_ENVELOPE_INVALID'), 'undecodable_message');

  const junk = unpackResult(await transformMessage({ value: new TextEncoder().encode('not arrow'), headers: first.headers }));
  t.same(junk.ok ? undefined : junk.code, 'TAXI_ERR_ENVELOPE_INVALID', 'a message that is not one stays an invalid envelope');
});
