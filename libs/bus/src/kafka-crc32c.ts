// kafkajs checksums each record batch it produces with CRC-32C computed in JavaScript, a byte at a
// time (kafkajs/src/protocol/recordBatch/crc32C): 1.1-1.3 s of the ingest's main thread on the
// synthetic month (434 MB of record batches, `node --cpu-prof`), a sixth of the command's wall time.
// This module puts @node-rs/crc32's CRC-32C (native, SSE 4.2 where the CPU has it) in that module's
// place in require's cache, so kafkajs loads it instead of its own; the value is the same (a
// test compares them, and the broker refuses batches whose checksum is wrong). Import it before
// kafkajs: modules importing kafkajs import this first.
import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);

/** kafkajs's CRC-32C module (kafkajs 2.x), which this module replaces. */
export const KAFKAJS_CRC32C_MODULE = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol', 'recordBatch', 'crc32C', 'index.js');

/** The CRC-32C (Castagnoli) of `buffer`, as an unsigned 32-bit integer, as kafkajs's module returns it. */
export const kafkaCrc32c = (buffer: Buffer): number => crc32c(buffer);

if (!existsSync(KAFKAJS_CRC32C_MODULE)) {
  throw new Error(`${KAFKAJS_CRC32C_MODULE} is missing: kafkajs moved its CRC-32C module; libs/bus/src/kafka-crc32c.ts must follow`);
}
if (!(KAFKAJS_CRC32C_MODULE in require.cache)) {
  const replacement = new Module(KAFKAJS_CRC32C_MODULE);
  replacement.filename = KAFKAJS_CRC32C_MODULE;
  replacement.exports = kafkaCrc32c;
  replacement.loaded = true;
  require.cache[KAFKAJS_CRC32C_MODULE] = replacement;
}
