import t from 'tap';
import { polarsCodec } from '../src/index.js';
import { parquetCodecContract } from './contract.js';

const codec = polarsCodec();
t.teardown(() => codec.destroy());
parquetCodecContract(t, codec, { plainColumns: false });
