import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../../config/src/parse.js';

/** Where the TLC publishes its monthly Parquet files. */
export const TLC_BASE_URL = 'https://d37ci6vzurychx.cloudfront.net/trip-data/';

const httpUrl = z.url({ protocol: /^https?$/ }).describe('an http:// or https:// URL');

/** Options of the HTTP source; services compose it into their config schema (unknown keys are errors). */
export const httpSourceOptionsSchema = z.strictObject({
  baseUrl: httpUrl.default(TLC_BASE_URL)
    .describe('the folder URL the month\'s file name is appended to (a missing trailing slash is added)'),
  allowedHosts: z.array(z.string().min(1)).min(1).default(['d37ci6vzurychx.cloudfront.net'])
    .describe('host names a download (or a redirect) may go to; any other host is refused before a request'),
  downloadDir: z.string().min(1).default(join(homedir(), '.cache', 'taxi-stream', 'downloads'))
    .describe('directory downloads land in, as <name>.part until complete, then renamed to <name>'),
  maxAttempts: z.int().min(1).max(100).default(5)
    .describe('HTTP attempts per fetch (the first included) before failing; resumes count as attempts'),
  retryBaseMs: z.int().min(0).default(500)
    .describe('backoff before the second attempt, in milliseconds; doubles each attempt, with jitter'),
  retryMaxMs: z.int().min(0).default(10_000)
    .describe('cap on one backoff, in milliseconds (also caps a server\'s Retry-After)'),
  requestTimeoutMs: z.int().min(1).default(30_000)
    .describe('an attempt with no response headers or no body bytes for this many milliseconds is cut and retried'),
  sizeCheck: z.boolean().default(true)
    .describe('fail with TAXI_ERR_SOURCE_SIZE_MISMATCH when the bytes received disagree with the server\'s declared size'),
  notFoundStatuses: z.array(z.int().min(400).max(499)).default([404, 403])
    .describe('HTTP statuses meaning "no such file": S3 behind CloudFront answers 403 for a missing key unless the bucket grants listing'),
});

/** Options as a caller writes them (every field optional). */
export type HttpSourceOptions = z.input<typeof httpSourceOptionsSchema>;
/** Options after defaults. */
export type HttpSourceConfig = Readonly<z.output<typeof httpSourceOptionsSchema>>;

/** Validates options, applying defaults; every bad key is listed in one TAXI_ERR_CONFIG_INVALID. */
export function parseHttpSourceOptions(options: unknown): HttpSourceConfig {
  return parseOptions(httpSourceOptionsSchema, options, 'source.http');
}
