import t from 'tap';
import { parquetWasmCodec } from '../src/index.js';
import { parquetCodecContract } from './contract.js';

const codec = parquetWasmCodec();
t.teardown(() => codec.destroy());
parquetCodecContract(t, codec);
