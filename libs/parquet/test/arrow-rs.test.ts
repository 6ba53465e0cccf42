import t from 'tap';
import { ARROW_RS_NATIVE_PATH, arrowRsCodec } from '../src/index.js';
import { assertArrowRsBuilt, loadArrowRs } from '../src/arrow-rs-native.js';
import { green2024, parquetCodecContract } from './contract.js';

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

t.test('the module itself refuses a row range the row group does not hold (for a caller other than reader.ts)', async (t) => {
  const native = loadArrowRs();
  for (const [offset, count] of [[56_551, undefined], [60_000, undefined], [0, 56_552], [56_000, 552], [0, 0]] as const) {
    t.throws(() => native.decodeRowGroup(green2024, 0, 65_536, offset, count), { message: /rows .* of row group 0 asked for; it has 56551|rowCount: should be a positive integer/ }, `offset ${offset}, count ${String(count)}`);
  }
  t.ok(native.decodeRowGroup(green2024, 0, 65_536, 56_550).byteLength > 0, 'the last row alone, its count implied');
});
