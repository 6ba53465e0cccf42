import { z } from 'zod';

const MiB = 1024 * 1024;

/**
 * Retries of the GCS client itself (its `retryOptions`). The client has no "base delay": JSON API
 * calls wait about `delayMultiplier ** n` seconds plus up to 1 s of jitter before retry n, uploads
 * wait 1 s x `delayMultiplier ** (n - 1)`; both are capped by `maxDelayMs` and by what is left of
 * `totalTimeoutMs`. Uploads go through async-retry, whose fixed 1 s first wait must not exceed the
 * cap (it throws "minTimeout is greater than maxTimeout"), so `maxDelayMs` is at least 1,000.
 */
export const gcsRetryOptionsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(5)
    .describe('Attempts per request, the first one included (1 turns retries off).'),
  delayMultiplier: z.number().min(1).max(10).default(2)
    .describe('Growth of the wait between attempts: about delayMultiplier^n seconds before retry n.'),
  maxDelayMs: z.number().int().min(1_000).default(8_000)
    .describe('Longest wait between two attempts, in milliseconds (at least 1,000: the client\'s first upload retry waits 1 s).'),
  totalTimeoutMs: z.number().int().min(1).default(600_000)
    .describe('No retry starts later than this many milliseconds after the first attempt.'),
});

export const gcsObjectStoreOptionsSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'a GCS bucket name (3-222 of a-z 0-9 . _ -)')
    .describe('Bucket holding the objects, without gs://.'),
  apiEndpoint: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional()
    .describe('JSON API endpoint, e.g. http://127.0.0.1:4443 for fake-gcs-server; requests to it skip authentication. Unset in production.'),
  projectId: z.string().min(1).optional()
    .describe('GCP project for creating the bucket; unset uses the credentials\' project.'),
  createBucketIfMissing: z.boolean().default(false)
    .describe('connect() creates the bucket when it does not exist (tests and laptops; terraform owns it in GCP).'),
  resumableThresholdBytes: z.number().int().min(0).default(8 * MiB)
    .describe('Uploads larger than this many bytes use a resumable upload; smaller ones a single request.'),
  listPageSize: z.number().int().min(1).max(5_000).default(1_000)
    .describe('Objects per list request (list() follows every page).'),
  operationTimeoutMs: z.number().int().min(1).default(120_000)
    .describe('Deadline of one whole operation (retries included) except uploads, in milliseconds: the client itself waits forever on a server that accepts and never answers.'),
  uploadTimeoutMs: z.number().int().min(1).default(900_000)
    .describe('Deadline of one whole upload (put, putFile), retries included, in milliseconds.'),
  requestTimeoutMs: z.number().int().min(1).default(60_000)
    .describe('Timeout of each JSON API request (metadata, list, delete, copy, download), in milliseconds; uploads are not cut by it.'),
  retry: gcsRetryOptionsSchema.prefault({}).describe('Retries of 408/429/5xx answers, resets and timeouts.'),
});

export const localDirObjectStoreOptionsSchema = z.strictObject({
  root: z.string().min(1).describe('Directory holding the objects (created by connect()); relative paths resolve against the working directory.'),
});

export type GcsObjectStoreInput = z.input<typeof gcsObjectStoreOptionsSchema>;
export type GcsObjectStoreOptions = z.output<typeof gcsObjectStoreOptionsSchema>;
export type LocalDirObjectStoreInput = z.input<typeof localDirObjectStoreOptionsSchema>;
export type LocalDirObjectStoreOptions = z.output<typeof localDirObjectStoreOptionsSchema>;
