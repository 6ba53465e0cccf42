// kafkajs's protocol Encoder keeps large byte runs by reference (libs/bus/src/kafka-encoder.ts):
// the bytes of a produce request are kafkajs's own, and a message value is not copied per layer.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cliEnv } from '../../../test/helpers/cli-env.js';
import '../src/kafka.js';
import { KAFKAJS_ENCODER_MODULE, LARGE, kafkaEncoderPatched } from '../src/kafka-encoder.js';

const require = createRequire(import.meta.url);
interface Encoder {
  parts?: Buffer[];
  readonly buffer: Buffer;
  size(): number;
  writeInt32(v: number): Encoder;
  writeBytes(v: Buffer | string | null): Encoder;
  writeVarIntBytes(v: Buffer): Encoder;
  writeEncoder(v: Encoder): Encoder;
  writeEncoderArray(v: Encoder[]): Encoder;
  writeArray(v: Encoder[]): Encoder;
}
const EncoderClass = require(KAFKAJS_ENCODER_MODULE) as new () => Encoder;

function encodeProduce(mode: 'plain' | 'patched'): { sha256: string; length: number; size: number; sameBytesTwice: boolean } {
  const script = fileURLToPath(new URL('./encode-produce.ts', import.meta.url));
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', script, mode], { env: cliEnv(), encoding: 'utf8' })) as never;
}

t.test('a produce request encodes to the same bytes as with kafkajs\'s own Encoder', async (t) => {
  const plain = encodeProduce('plain');
  const patched = encodeProduce('patched');
  t.ok(plain.length > 8 * (1 << 20), 'values up to 3 MiB, around the 64 KiB line, a null one, keys and headers');
  t.same(patched, plain);
  t.equal(patched.size, patched.length, 'size() counts the parts kept by reference');
  t.ok(patched.sameBytesTwice, 'bytes joined once: reading them again copies nothing');
});

t.test('a large value is kept by reference through nested encoders until the bytes are read', async (t) => {
  t.ok(kafkaEncoderPatched());
  const value = Buffer.alloc(LARGE, 7);
  const small = Buffer.alloc(LARGE - 1, 8);
  const record = new EncoderClass().writeInt32(1).writeVarIntBytes(value).writeVarIntBytes(small);
  const batch = new EncoderClass().writeInt32(2).writeArray([record, new EncoderClass().writeInt32(3)]);
  const request = new EncoderClass().writeInt32(batch.size()).writeEncoder(batch);
  t.ok(request.parts?.includes(value), 'the value itself is one of the request\'s parts: never copied on the way');
  t.notOk(request.parts?.includes(small), 'a shorter run is copied, as kafkajs does');
  const bytes = request.buffer;
  t.equal(bytes.length, request.size());
  t.equal(bytes.readInt32BE(0), batch.size());
  t.ok(bytes.includes(value), 'and its bytes are in the joined request');
  t.notOk(request.parts, 'once joined, the request holds one buffer');
  t.throws(() => new EncoderClass().writeEncoder({} as Encoder), /instance of Encoder/, 'a non-encoder gets kafkajs\'s own error');
  t.throws(() => new EncoderClass().writeEncoderArray([{} as Encoder]), /instance of Encoder/);
  t.equal(new EncoderClass().writeBytes('héllo').buffer.readInt32BE(0), 6, 'strings and short buffers take kafkajs\'s own path');
});
