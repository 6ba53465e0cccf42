// A child of kafka-encoder.test.ts: encodes a fixed produce request (v3, two topics, values of
// every size around kafka-encoder.ts's LARGE, keys, headers, a null value) with kafkajs's protocol
// encoders, and prints its bytes' sha256 and length. `patched` imports kafka-encoder.ts first;
// `plain` runs kafkajs's Encoder as published.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
if (process.argv[2] === 'patched') await import('../src/kafka-encoder.js');
const root = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol');
type Encoded = { size(): number; readonly buffer: Buffer };
const produce = require(join(root, 'requests', 'produce', 'index.js')) as { protocol: (o: { version: number }) => (a: object) => { request: { apiKey: number; apiVersion: number; encode: () => Promise<Encoded> } } };
const frame = require(join(root, 'request.js')) as (a: object) => Promise<Encoded>;

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const sizes = [0, 1, 65_535, 65_536, 65_537, 1 << 20, 3 * (1 << 20) + 5];
const messages = (seed: number) => sizes.map((n, i) => ({ key: i % 2 ? `k${seed}-${i}` : null, value: bytes(n, seed + i), headers: { h: `v${i}`, b: bytes(10, i) }, timestamp: String(1_700_000_000_000 + i) }));
const topicData = [
  { topic: 'raw', partitions: [{ partition: 0, firstSequence: 0, messages: messages(1) }, { partition: 1, firstSequence: 7, messages: [{ key: 'x', value: null, timestamp: '1700000000000' }] }] },
  { topic: 'dlq', partitions: [{ partition: 2, firstSequence: 0, messages: messages(2) }] },
];
const { request } = produce.protocol({ version: 3 })({ acks: -1, timeout: 30_000, compression: 0, topicData, transactionalId: 'tx', producerId: 5, producerEpoch: 1 });
const encoded = await frame({ correlationId: 42, clientId: 'taxi', request });
const first = encoded.buffer;
const second = encoded.buffer;
process.stdout.write(JSON.stringify({
  sha256: createHash('sha256').update(first).digest('hex'), length: first.length, size: encoded.size(),
  sameBytesTwice: first.buffer === second.buffer && first.byteOffset === second.byteOffset,
}));
