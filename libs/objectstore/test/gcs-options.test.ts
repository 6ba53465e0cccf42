// GCS adapter pieces that need no server: option parsing, the client's retry options, error
// translation and the download retry loop. The adapter itself is tested against fake-gcs-server in
// test/integration/objectstore-gcs.test.ts.
import { IdempotencyStrategy } from '@google-cloud/storage';
import t from 'tap';
import { parseOptions } from '../../config/src/parse.js';
import { AppError } from '../../errors/src/index.js';
import {
  gcsObjectStore, gcsObjectStoreOptionsSchema, isRetryableGcsError, storageOptionsOf, translateGcsError,
} from '../src/index.js';
import { withRetries } from '../src/retry.js';

const parse = (input: unknown) => parseOptions(gcsObjectStoreOptionsSchema, input, 'objectStore.gcs');

t.test('defaults, and the client retry options they map to', async (t) => {
  const options = parse({ bucket: 'taxi-raw' });
  t.same(options, {
    bucket: 'taxi-raw', createBucketIfMissing: false, resumableThresholdBytes: 8 * 1024 * 1024, listPageSize: 1000,
    operationTimeoutMs: 120_000, uploadTimeoutMs: 900_000,
    requestTimeoutMs: 60_000, retry: { maxAttempts: 5, delayMultiplier: 2, maxDelayMs: 8_000, totalTimeoutMs: 600_000 },
  });
  t.ok(Object.isFrozen(options), 'parsed options are frozen');
  const client = storageOptionsOf(parse({ bucket: 'taxi-raw', apiEndpoint: 'http://127.0.0.1:4443', projectId: 'test' }));
  const { retryableErrorFn, ...retryOptions } = client.retryOptions ?? {};
  t.same({ ...client, retryOptions }, {
    apiEndpoint: 'http://127.0.0.1:4443', projectId: 'test', timeout: 60_000,
    retryOptions: {
      autoRetry: true, maxRetries: 4, retryDelayMultiplier: 2, maxRetryDelay: 8, totalTimeout: 600,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  }, 'attempts become retries, milliseconds become the seconds the client wants');
  t.equal(retryableErrorFn, isRetryableGcsError);
  t.notOk('apiEndpoint' in storageOptionsOf(options), 'no endpoint: the client uses storage.googleapis.com with credentials');
  const noRetries = storageOptionsOf(parse({ bucket: 'taxi-raw', retry: { maxAttempts: 1 } }));
  t.same([noRetries.retryOptions?.autoRetry, noRetries.retryOptions?.maxRetries], [false, 0], 'maxAttempts 1 turns retries off');
  t.same(storageOptionsOf(options, false).retryOptions?.maxRetries, 0, 'the download client does not retry by itself');
});

t.test('bad options are TAXI_ERR_CONFIG_INVALID listing every bad key', async (t) => {
  const error = t.throws(() => gcsObjectStore({
    bucket: 'Bad_Bucket!', apiEndpoint: 'ftp://x', resumableThresholdBytes: -1,
    retry: { maxAttempts: 0, maxDelayMs: 20, extra: true },
  } as never)) as AppError;
  t.equal(error.code, 'TAXI_ERR_CONFIG_INVALID');
  for (const path of ['bucket', 'apiEndpoint', 'resumableThresholdBytes', 'retry.maxAttempts', 'retry.maxDelayMs', 'retry']) {
    t.match(error.message, `objectStore.gcs.${path}:`, `names ${path}`);
  }
  t.match(error.message, /extra/, 'names the unknown key');
  t.match(error.message, /got "Bad_Bucket!"/, 'says what it got');
  t.throws(() => parse({}), { code: 'TAXI_ERR_CONFIG_INVALID', message: /objectStore\.gcs\.bucket/ }, 'bucket is required');
});

t.test('the store reports name and location without touching the network', async (t) => {
  const store = gcsObjectStore({ bucket: 'taxi-processed', apiEndpoint: 'http://127.0.0.1:9' });
  t.same([store.name, store.location], ['gcs', 'gs://taxi-processed']);
  await t.rejects(store.put('/abs', new Uint8Array(1)), { code: 'TAXI_ERR_OBJECT_KEY_INVALID' });
});

t.test('which client errors are retried', async (t) => {
  const cases: [unknown, boolean][] = [
    [{ code: 503 }, true], [{ code: 429 }, true], [{ code: 500 }, true], [{ code: 408 }, true],
    [{ code: 400 }, false], [{ code: 403 }, false], [{ code: 404 }, false], [{ code: 412 }, false],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    [Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }), true],
    [new Error('something else'), false],
  ];
  for (const [error, retryable] of cases) t.equal(isRetryableGcsError(error), retryable, JSON.stringify(error) || String(error));
});

t.test('client errors become the port codes, naming bucket and key, keeping the cause', async (t) => {
  const translate = (error: unknown, notFound?: 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND') =>
    translateGcsError(error, 'writing "a/b"', 'gs://taxi-raw', 'a/b', 5, notFound);
  const cause = { code: 503, message: 'Backend Error' };
  const unavailable = translate(cause);
  t.match(unavailable, { code: 'TAXI_ERR_OBJECT_UNAVAILABLE', retryable: true, context: { key: 'a/b' } });
  t.equal(unavailable.message, 'writing "a/b" in gs://taxi-raw failed after 5 attempt(s): HTTP 503: Backend Error');
  t.equal(unavailable.cause, cause);
  t.match(translate(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), { code: 'TAXI_ERR_OBJECT_UNAVAILABLE', retryable: true });
  t.match(translate({ code: 404, message: 'Not Found' }), { code: 'TAXI_ERR_OBJECT_NOT_FOUND', retryable: false, message: /no such object/ });
  t.match(translate({ code: 404, message: 'Not Found' }, 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND'), { code: 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND', message: /no such bucket/ });
  t.match(translate({ code: 401, message: 'Unauthorized' }), { code: 'TAXI_ERR_OBJECT_FORBIDDEN', retryable: false });
  t.match(translate({ code: 403, message: 'denied' }), { code: 'TAXI_ERR_OBJECT_FORBIDDEN', message: /gs:\/\/taxi-raw.*IAM/ });
  t.match(translate({ code: 412, message: 'Precondition' }), { code: 'TAXI_ERR_OBJECT_REQUEST_FAILED', retryable: false });
  t.match(translate(new Error('weird')), { code: 'TAXI_ERR_OBJECT_REQUEST_FAILED', message: /weird/ });
  const already = new AppError('TAXI_ERR_OBJECT_KEY_INVALID', 'bad key');
  t.equal(translate(already), already, 'an AppError passes through');
});

t.test('withRetries: attempts, retryable errors only, and the total timeout', async (t) => {
  const retry = { maxAttempts: 3, delayMultiplier: 2, maxDelayMs: 1_000, totalTimeoutMs: 60_000 };
  let calls = 0;
  const flaky = async () => { calls += 1; if (calls < 2) throw Object.assign(new Error('503'), { code: 503 }); return 'ok'; };
  t.equal(await withRetries(flaky, retry, isRetryableGcsError), 'ok');
  t.equal(calls, 2, 'retried once');
  calls = 0;
  const missing = async () => { calls += 1; throw Object.assign(new Error('404'), { code: 404 }); };
  await t.rejects(withRetries(missing, retry, isRetryableGcsError), { code: 404 });
  t.equal(calls, 1, 'a 404 is not retried');
  calls = 0;
  const down = async () => { calls += 1; throw Object.assign(new Error('503'), { code: 503 }); };
  await t.rejects(withRetries(down, { ...retry, totalTimeoutMs: 500 }, isRetryableGcsError), { code: 503 });
  t.equal(calls, 1, 'no retry may start after totalTimeoutMs');
});
