import { z } from 'zod';

const MiB = 1024 * 1024;
const bigQueryId = (what: string) => z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, `a BigQuery ${what} id (letters, digits, _)`);

// ---------------------------------------------------------------------------------------------
// BigQuery warehouse (bigquery.ts)
// ---------------------------------------------------------------------------------------------

/**
 * Retries of the BigQuery adapter itself (both clients' own retries are off): attempt n + 1 waits
 * a random time between half and all of min(baseMs x 2^(n-1), maxMs). Each retried append is sent
 * at the same stream offset, so a retry never adds a row twice.
 */
export const bigQueryRetryOptionsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(5)
    .describe('Attempts per call, the first one included (1 turns retries off).'),
  baseMs: z.number().int().min(1).default(200)
    .describe('Wait before the first retry, in milliseconds (doubled for each further retry, with jitter).'),
  maxMs: z.number().int().min(1).default(5_000)
    .describe('Longest wait between two attempts, in milliseconds.'),
});

export const bigQueryWarehouseOptionsSchema = z.strictObject({
  projectId: z.string().regex(/^[a-z][a-z0-9.:-]{0,99}$/, 'a GCP project id (lower case letters, digits, -)')
    .describe('GCP project holding the dataset (and billed for queries).'),
  dataset: bigQueryId('dataset').default('taxi').describe('Dataset of the processed table.'),
  table: bigQueryId('table').default('trips').describe('The processed trip table (queries name it `trips` or by this name).'),
  location: z.string().min(1).optional()
    .describe('BigQuery location for a created dataset and for query jobs (US, EU, europe-west1, ...); unset: the dataset\'s.'),
  apiEndpoint: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional()
    .describe('BigQuery REST endpoint, e.g. http://127.0.0.1:9050 for the emulator; requests to it skip authentication. Unset in production.'),
  grpcEndpoint: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port').optional()
    .describe('Storage Write API endpoint as host:port, e.g. 127.0.0.1:9060 for the emulator: plaintext, no credentials. Unset in production (bigquerystorage.googleapis.com:443 with TLS).'),
  createIfMissing: z.boolean().default(true)
    .describe('connect() creates the dataset and table when missing (terraform owns them in GCP; the adapter creates the same definition).'),
  maxRequestBytes: z.number().int().min(16 * 1024).max(9 * MiB).default(8 * MiB)
    .describe('Largest AppendRows request in bytes (BigQuery refuses more than 10 MB); a larger batch is split into several requests.'),
  requestTimeoutMs: z.number().int().min(1).default(30_000)
    .describe('Timeout of each request (an append, stream creation, a REST call), in milliseconds; a timed-out append is retried at the same offset.'),
  retry: bigQueryRetryOptionsSchema.prefault({}).describe('Retries of UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, INTERNAL, 429 and 5xx.'),
});

export type BigQueryRetryOptions = z.output<typeof bigQueryRetryOptionsSchema>;
export type BigQueryWarehouseInput = z.input<typeof bigQueryWarehouseOptionsSchema>;
export type BigQueryWarehouseOptions = z.output<typeof bigQueryWarehouseOptionsSchema>;
