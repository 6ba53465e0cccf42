// The transform worker's reply buffer (transform-worker.ts packResult / unpackResult).
import t from 'tap';
import { packResult, unpackResult } from '../src/transform-worker.js';
import type { EnvelopeV1 } from '../../envelope/src/index.js';

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
