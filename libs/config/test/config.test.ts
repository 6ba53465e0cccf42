import t from 'tap';
import type { AppError } from '../../errors/src/index.js';
import { configFromEnv, loadConfig, redact } from '../src/index.js';

t.test('defaults are the embedded set-up', async (t) => {
  const config = loadConfig({ env: {} });
  t.equal(config.bus.kind, 'memory');
  t.equal(config.objectStore.kind, 'local');
  t.equal(config.topics.raw, 'taxi.trips.raw');
  t.ok(Object.isFrozen(config));
});

t.test('environment variables nest by __ and parse JSON or split lists', async (t) => {
  t.same(configFromEnv({ TAXI__BUS__KAFKA__CLIENT_ID: 'x', TAXI__TOPICS__RAW_PARTITIONS: '12', OTHER: '1' }),
    { bus: { kafka: { clientId: 'x' } }, topics: { rawPartitions: 12 } });
  const config = loadConfig({ env: { TAXI__BUS__KIND: 'kafka', TAXI__BUS__KAFKA__BROKERS: 'a:9092, b:9092' } });
  t.same(config.bus.kafka?.brokers, ['a:9092', 'b:9092']);
  const flagged = loadConfig({ env: { TAXI__BUS__KIND: 'kafka', TAXI__BUS__KAFKA__BROKERS: 'a:1' }, overrides: { bus: { kafka: { brokers: ['c:1'] } } } });
  t.same(flagged.bus.kafka?.brokers, ['c:1'], 'flags win over the environment');
});

t.test('every bad key is listed with its path, what was expected and the value', async (t) => {
  const err = t.throws(() => loadConfig({ env: {
    TAXI__TOPICS__RAW_PARTITIONS: '-1', TAXI__BUS__KIND: 'kafka', TAXI__OBJECT_STORE__KIND: 'azure', TAXI__TOPICS__TYPO: '1',
  } })) as unknown as AppError;
  t.equal(err.code, 'TAXI_ERR_CONFIG_INVALID');
  t.match(err.message, /taxi\.topics\.rawPartitions: .*got -1/);
  t.match(err.message, /taxi\.objectStore\.kind: .*got "azure"/);
  t.match(err.message, /taxi\.topics: Unrecognized key: "typo"/);
  t.match(err.message, /taxi\.bus\.kafka: bus\.kafka is required when bus\.kind is kafka/);
});

t.test('a bad item of a list given as a string shows the string', async (t) => {
  const err = t.throws(() => loadConfig({ env: { TAXI__BUS__KIND: 'kafka', TAXI__BUS__KAFKA__BROKERS: 'a:9092,,' } })) as unknown as AppError;
  t.match(err.message, /taxi\.bus\.kafka\.brokers\.\d: .*got "a:9092,,"/);
});

t.test('secrets are never shown', async (t) => {
  t.same(redact({ bus: { kafka: { saslPassword: 'hunter2', brokers: ['a'] } } }), { bus: { kafka: { saslPassword: '[redacted]', brokers: ['a'] } } });
});
