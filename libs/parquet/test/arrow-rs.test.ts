import t from 'tap';
import { ARROW_RS_NATIVE_PATH, arrowRsCodec } from '../src/index.js';
import { assertArrowRsBuilt } from '../src/arrow-rs-native.js';
import { parquetCodecContract } from './contract.js';

const codec = arrowRsCodec();
t.teardown(() => codec.destroy());
parquetCodecContract(t, codec);

t.test('a module that was not built fails at once, naming the path and how to build it', async (t) => {
  const missing = '/nonexistent/taxi-parquet.node';
  t.throws(() => { assertArrowRsBuilt(missing); }, {
    code: 'TAXI_ERR_PARQUET_NATIVE_MISSING', context: { file: missing },
    message: /\/nonexistent\/taxi-parquet\.node does not exist.*npm run build:native.*parquet\.decoder \/ parquet\.encoder/,
  });
  t.doesNotThrow(() => { assertArrowRsBuilt(ARROW_RS_NATIVE_PATH); }, 'the checkout has it: npm ci built it');
});
