// kafkajs encodes a request through nested protocol Encoders (record, record batch, partition,
// topic, request, size frame), each writing into a contiguous buffer of its own, so every message
// value is copied once per layer: seven times for a produce request. On the synthetic month
// (about 1 GB of Arrow IPC) that was 2.3 s of the ingest's main thread (`node --cpu-prof`,
// Buffer copies under Encoder.writeBufferInternal), a third of its CPU.
//
// This module changes kafkajs's Encoder (its prototype, once, before any request is encoded) to
// keep large byte runs by reference: a write of LARGE bytes or more, and an encoder written into
// another, become parts of a list instead of being copied; the bytes are joined once, when
// something reads `buffer` (the record batch's CRC-32C, the record batch as a bytes field, the
// socket write), and the joined bytes replace the list. The wire bytes are the same (a test
// compares them with the unpatched encoder's on the same requests, and the broker checks each
// batch's CRC). A value must not change between the send call and its request being written;
// kafkajs's own callers and ours never change it. Import this module before kafkajs: modules
// importing kafkajs import kafka-crc32c.ts and this first (the patch applies to encoders made after it).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** kafkajs's protocol Encoder module (kafkajs 2.x), which this module patches. */
export const KAFKAJS_ENCODER_MODULE = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol', 'encoder.js');

/** Byte runs at least this long are kept by reference; shorter ones are copied as kafkajs does. */
export const LARGE = 64 * 1024;

/** The fields and methods of kafkajs's Encoder this module reads or replaces. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
  /** Byte runs before `buf`'s bytes, in order; undefined while there are none. */
  parts?: Buffer[] | undefined;
  /** Bytes in `parts`. */
  partsBytes?: number;
  readonly buffer: Buffer;
  writeBufferInternal(buffer: Buffer): void;
  ensureAvailable(length: number): void;
  writeInt32(value: number): KafkaEncoder;
  writeBytes(value: unknown): KafkaEncoder;
  writeEncoder(value: KafkaEncoder): KafkaEncoder;
  writeEncoderArray(value: KafkaEncoder[]): KafkaEncoder;
  size(): number;
}

interface EncoderClass {
  new (initialSize?: number): KafkaEncoder;
  prototype: KafkaEncoder;
  nextPowerOfTwo(value: number): number;
}

if (!existsSync(KAFKAJS_ENCODER_MODULE)) {
  throw new Error(`${KAFKAJS_ENCODER_MODULE} is missing: kafkajs moved its protocol Encoder; libs/bus/src/kafka-encoder.ts must follow`);
}
const Encoder = require(KAFKAJS_ENCODER_MODULE) as EncoderClass;
const proto = Encoder.prototype;
const PATCHED = Symbol.for('taxi-stream.kafka-encoder');
const original = {
  writeBufferInternal: proto.writeBufferInternal, // eslint-disable-line @typescript-eslint/unbound-method
  writeEncoder: proto.writeEncoder, // eslint-disable-line @typescript-eslint/unbound-method
  writeEncoderArray: proto.writeEncoderArray, // eslint-disable-line @typescript-eslint/unbound-method
  writeBytes: proto.writeBytes, // eslint-disable-line @typescript-eslint/unbound-method
};

/** Moves the encoder's bytes so far into its parts (by reference) and gives it a fresh buffer. */
function seal(e: KafkaEncoder): void {
  e.parts ??= [];
  if (e.offset > 0) {
    e.parts.push(e.buf.subarray(0, e.offset));
    e.partsBytes = (e.partsBytes ?? 0) + e.offset;
    e.buf = Buffer.alloc(512);
    e.offset = 0;
  }
}

function append(e: KafkaEncoder, bytes: Buffer): void {
  seal(e);
  (e.parts ??= []).push(bytes);
  e.partsBytes = (e.partsBytes ?? 0) + bytes.length;
}

/** Writes another encoder's bytes: its parts by reference, its own buffer's bytes as any write. */
function writeOne(e: KafkaEncoder, value: KafkaEncoder): void {
  if (!value.parts) {
    e.writeBufferInternal(value.buf.subarray(0, value.offset));
    return;
  }
  for (const part of value.parts) append(e, part);
  if (value.offset > 0) e.writeBufferInternal(value.buf.subarray(0, value.offset));
}

if (!(PATCHED in proto)) {
  Object.defineProperty(proto, PATCHED, { value: true });
  proto.writeBufferInternal = function writeBufferInternal(this: KafkaEncoder, buffer: Buffer): void {
    if (buffer.length >= LARGE) append(this, buffer);
    else original.writeBufferInternal.call(this, buffer);
  };
  // kafkajs's writeBytes first makes room for the whole value in its buffer: not for one kept by reference.
  proto.writeBytes = function writeBytes(this: KafkaEncoder, value: unknown): KafkaEncoder {
    if (!Buffer.isBuffer(value) || value.length < LARGE) return original.writeBytes.call(this, value);
    this.writeInt32(value.length);
    append(this, value);
    return this;
  };
  // An argument that is not an Encoder (kafkajs's callers are JavaScript) gets kafkajs's own error.
  proto.writeEncoder = function writeEncoder(this: KafkaEncoder, value: KafkaEncoder | null | undefined): KafkaEncoder {
    if (value == null || !Buffer.isBuffer(value.buf)) return original.writeEncoder.call(this, value as KafkaEncoder);
    writeOne(this, value);
    return this;
  };
  proto.writeEncoderArray = function writeEncoderArray(this: KafkaEncoder, value: unknown): KafkaEncoder {
    if (!Array.isArray(value) || value.some((v: KafkaEncoder | null | undefined) => v == null || !Buffer.isBuffer(v.buf))) return original.writeEncoderArray.call(this, value as KafkaEncoder[]);
    for (const v of value as KafkaEncoder[]) writeOne(this, v);
    return this;
  };
  proto.size = function size(this: KafkaEncoder): number {
    return (this.partsBytes ?? 0) + this.offset;
  };
  Object.defineProperty(proto, 'buffer', {
    configurable: true,
    get(this: KafkaEncoder): Buffer {
      if (this.parts) {
        // Joined once; the joined bytes become the encoder's buffer, so a second read copies nothing.
        const joined = Buffer.concat([...this.parts, this.buf.subarray(0, this.offset)], this.size());
        this.parts = undefined;
        this.partsBytes = 0;
        this.buf = joined;
        this.offset = joined.length;
      }
      return this.buf.subarray(0, this.offset);
    },
  });
}

/** True once kafkajs's Encoder keeps large byte runs by reference (this module has run). */
export const kafkaEncoderPatched = (): boolean => PATCHED in proto;
