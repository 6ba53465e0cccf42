// kafkajs's record batch checksum is replaced by a native CRC-32C (libs/bus/src/kafka-crc32c.ts):
// kafkajs loads the replacement, and it gives kafkajs's own values.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import t from 'tap';
import '../src/kafka.js';
import { KAFKAJS_CRC32C_MODULE, kafkaCrc32c } from '../src/kafka-crc32c.js';

const require = createRequire(import.meta.url);

t.test('kafkajs loads the native CRC-32C in place of its own', async (t) => {
  const loaded = require(KAFKAJS_CRC32C_MODULE) as unknown;
  t.equal(loaded, kafkaCrc32c);
  // The record batch encoder requires it by this path: the module kafkajs resolves is ours.
  const encoder = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol', 'recordBatch', 'v0', 'index.js');
  t.equal(createRequire(encoder)('../crc32C'), kafkaCrc32c);
});

t.test('the same values as kafkajs\'s JavaScript CRC-32C', async (t) => {
  const own = require(join(dirname(KAFKAJS_CRC32C_MODULE), 'crc32C.js')) as (b: Buffer) => number;
  const unsigned = (v: number): number => v >>> 0;
  t.equal(kafkaCrc32c(Buffer.from('123456789')), 0xe3069283, 'the CRC-32C check value');
  for (const size of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096, 1 << 20]) {
    const buffer = randomBytes(size);
    t.equal(kafkaCrc32c(buffer), unsigned(own(buffer)), `${size} random bytes`);
  }
  const slice = randomBytes(100).subarray(3, 77);
  t.equal(kafkaCrc32c(slice), unsigned(own(slice)), 'a view into a larger buffer');
});
