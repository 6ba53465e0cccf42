import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import type { Bucket, FileMetadata, GetFilesOptions, StorageOptions } from '@google-cloud/storage';
import { AppError } from '../../errors/src/index.js';
import { httpStatusOf, isRetryableGcsError, translateGcsError } from './gcs-errors.js';
import { validateKey, validatePrefix } from './key.js';
import { parseOptions } from '../../config/src/parse.js';
import { gcsObjectStoreOptionsSchema } from './options.js';
import type { GcsObjectStoreInput, GcsObjectStoreOptions } from './options.js';
import { withRetries } from './retry.js';
import type { ObjectInfo, ObjectStore, PutOptions } from './types.js';
import { uploadFileSize } from './upload-file.js';

/** Deletes in flight at once in deletePrefix. */
const DELETE_CONCURRENCY = 16;

/**
 * The client options the adapter builds, exported so a test can check the mapping. Retries are the
 * client's own: with `IdempotencyStrategy.RetryAlways` it retries uploads, copies and deletes too
 * (by default it retries them only under a generation precondition), which is safe because every
 * write here overwrites a deterministic name. It also stops the client from switching
 * `retryOptions.autoRetry` off on the shared Storage object around such calls.
 */
export function storageOptionsOf(options: GcsObjectStoreOptions, clientRetries = true): StorageOptions {
  const retry = clientRetries ? options.retry : { ...options.retry, maxAttempts: 1 };
  return {
    ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    ...(options.projectId === undefined ? {} : { projectId: options.projectId }),
    timeout: options.requestTimeoutMs,
    retryOptions: {
      autoRetry: retry.maxAttempts > 1,
      maxRetries: retry.maxAttempts - 1,
      retryDelayMultiplier: retry.delayMultiplier,
      maxRetryDelay: retry.maxDelayMs / 1000, // the client wants seconds
      totalTimeout: retry.totalTimeoutMs / 1000, // seconds too
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
      retryableErrorFn: isRetryableGcsError,
    },
  };
}

function infoOf(key: string, metadata: FileMetadata): ObjectInfo {
  const custom: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata.metadata ?? {})) {
    if (value !== null) custom[name] = String(value);
  }
  return {
    key,
    sizeBytes: Number(metadata.size ?? 0),
    ...(metadata.updated === undefined ? {} : { updated: new Date(metadata.updated) }),
    metadata: custom,
  };
}

/** Upload options shared by put and putFile. */
function uploadOptions(sizeBytes: number, threshold: number, options: PutOptions | undefined) {
  return {
    resumable: sizeBytes > threshold,
    ...(options?.contentType === undefined ? {} : { contentType: options.contentType }),
    metadata: { metadata: { ...options?.metadata } },
  };
}

/**
 * The object store on Google Cloud Storage through @google-cloud/storage. Uploads are atomic on
 * GCS's side (an object appears only when its upload completes). Transient failures (408, 429, 5xx,
 * resets, refused connections, timeouts) are retried per `retry`: by the client itself, except
 * downloads, which `withRetries` retries on the same schedule. What is left is translated to the
 * port's error codes, naming the bucket and key, with the client's error as cause.
 *
 * With `apiEndpoint` set (fake-gcs-server) the client sends no credentials. STORAGE_EMULATOR_HOST
 * must not be set in the environment: the client lets it override `apiEndpoint`.
 */
export function gcsObjectStore(input: GcsObjectStoreInput): ObjectStore {
  return new GcsObjectStore(parseOptions(gcsObjectStoreOptionsSchema, input, 'objectStore.gcs'));
}

const q = JSON.stringify;

class GcsObjectStore implements ObjectStore {
  readonly name = 'gcs';
  readonly location: string;
  readonly #options: GcsObjectStoreOptions;
  readonly #storage: Storage;
  readonly #bucket: Bucket;
  readonly #downloads: Bucket;

  constructor(options: GcsObjectStoreOptions) {
    this.#options = options;
    this.location = `gs://${options.bucket}`;
    this.#storage = new Storage(storageOptionsOf(options));
    this.#bucket = this.#storage.bucket(options.bucket);
    // Downloads get a client of their own without retries, retried by withRetries instead: when the
    // client retries a streamed download, teeny-request pipes the discarded response into a destroyed
    // stream and raises an unhandled rejection (ERR_STREAM_UNABLE_TO_PIPE) that ends a Node process
    // (googleapis/google-cloud-node#8670, still in teeny-request 11.1.1).
    this.#downloads = new Storage(storageOptionsOf(options, false)).bucket(options.bucket);
  }

  async connect(): Promise<void> {
    await this.#guard('checking the bucket', undefined, () => ensureBucket(this.#storage, this.#bucket, this.#options));
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key, this.location);
    return this.#guard(`writing ${q(key)}`, key, async () => {
      const file = this.#bucket.file(key);
      await file.save(body, uploadOptions(body.byteLength, this.#options.resumableThresholdBytes, options));
      return infoOf(key, file.metadata);
    }, true, true);
  }

  async putFile(key: string, localPath: string, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key, this.location);
    const sizeBytes = await uploadFileSize(localPath, key, this.location);
    return this.#guard(`uploading ${localPath} to ${q(key)}`, key, async () => {
      const upload = uploadOptions(sizeBytes, this.#options.resumableThresholdBytes, options);
      const [file] = await this.#bucket.upload(localPath, { destination: key, ...upload });
      return infoOf(key, file.metadata);
    }, true, true);
  }

  async get(key: string): Promise<Uint8Array> {
    validateKey(key, this.location);
    return this.#guard(`reading ${q(key)}`, key, async () => {
      const [contents] = await withRetries(() => this.#downloads.file(key).download(), this.#options.retry, isRetryableGcsError);
      return contents;
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key, this.location);
    return this.#guard(`reading ${q(key)}`, key, async () => {
      try {
        const [metadata] = await this.#bucket.file(key).getMetadata();
        return infoOf(key, metadata);
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    validatePrefix(prefix, this.location);
    for await (const page of this.#pages(prefix)) yield* page;
  }

  async delete(key: string): Promise<void> {
    validateKey(key, this.location);
    await this.#guard(`deleting ${q(key)}`, key, () => this.#deleteOne(key));
  }

  async deletePrefix(prefix: string): Promise<number> {
    validatePrefix(prefix, this.location, false);
    let deleted = 0;
    for await (const page of this.#pages(prefix)) {
      for (let start = 0; start < page.length; start += DELETE_CONCURRENCY) {
        const batch = page.slice(start, start + DELETE_CONCURRENCY).map((info) => info.key);
        const done = await this.#guard(`deleting under ${q(prefix)}`, prefix, () => Promise.all(batch.map((key) => this.#deleteOne(key))));
        deleted += done.filter(Boolean).length;
      }
    }
    return deleted;
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    validateKey(fromKey, this.location);
    validateKey(toKey, this.location);
    await this.#guard(`copying ${q(fromKey)} to ${q(toKey)}`, fromKey, async () => {
      await this.#bucket.file(fromKey).copy(this.#bucket.file(toKey));
    });
  }

  close(): Promise<void> {
    return Promise.resolve(); // @google-cloud/storage has no close(): nothing to release
  }

  /** Runs `action`, translating the client's errors; `writing` makes a 404 mean "no such bucket". */
  async #guard<T>(doing: string, key: string | undefined, action: () => Promise<T>, writing = false, upload = false): Promise<T> {
    const limitMs = upload ? this.#options.uploadTimeoutMs : this.#options.operationTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // The client's own `timeout` is not applied to every request (a server that accepts and never
    // answers hangs it), so each operation gets a deadline here; the hung request is abandoned.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new AppError('TAXI_ERR_OBJECT_UNAVAILABLE', `${this.location}: ${doing} got no answer within ${limitMs} ms`, {
          retryable: true, context: key === undefined ? {} : { key } }));
      }, limitMs);
      timer.unref();
    });
    try {
      return await Promise.race([action(), deadline]);
    } catch (error) {
      if (error instanceof AppError) throw error;
      const notFound = writing ? 'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND' : 'TAXI_ERR_OBJECT_NOT_FOUND';
      throw translateGcsError(error, doing, this.location, key, this.#options.retry.maxAttempts, notFound);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deletes one object; false when it was already gone. */
  async #deleteOne(key: string): Promise<boolean> {
    try {
      await this.#bucket.file(key).delete();
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false;
      throw error;
    }
  }

  /** One page of objects at a time, following page tokens; a 404 means the bucket is gone. */
  async *#pages(prefix: string): AsyncGenerator<ObjectInfo[]> {
    let query: GetFilesOptions | undefined = { prefix, autoPaginate: false, maxResults: this.#options.listPageSize };
    while (query !== undefined) {
      const current: GetFilesOptions = query;
      const [files, nextQuery] = await this.#guard(`listing ${q(prefix)}`, prefix, () => this.#bucket.getFiles(current), true);
      yield files.map((file) => infoOf(file.name, file.metadata));
      // With autoPaginate off the client hands back the next page's query, or null after the last.
      const pageToken = (nextQuery as GetFilesOptions | null)?.pageToken;
      query = pageToken === undefined ? undefined : { ...current, pageToken };
    }
  }
}

/** connect(): the bucket exists, or is created when allowed (a concurrent creator's 409 is fine). */
async function ensureBucket(storage: Storage, bucket: Bucket, options: GcsObjectStoreOptions): Promise<void> {
  const [exists] = await bucket.exists();
  if (exists) return;
  if (!options.createBucketIfMissing) {
    throw new AppError('TAXI_ERR_OBJECT_BUCKET_NOT_FOUND',
      `bucket gs://${options.bucket} does not exist${options.apiEndpoint === undefined ? '' : ` at ${options.apiEndpoint}`} and createBucketIfMissing is off`);
  }
  try {
    await storage.createBucket(options.bucket);
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
  }
}
