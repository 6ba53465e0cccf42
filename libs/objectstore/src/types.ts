/** What the store knows about one object. */
export interface ObjectInfo {
  /** The object's key, `/`-separated and relative (see `validateKey`). */
  readonly key: string;
  readonly sizeBytes: number;
  /** When the object was last written, where the store records it. */
  readonly updated?: Date;
  /** User metadata given at `put`; `{}` when none. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PutOptions {
  /** MIME type stored with the object (GCS only; the local directory does not keep it). */
  readonly contentType?: string;
  /** User metadata stored with the object and returned by `head` and `list`. */
  readonly metadata?: Record<string, string>;
}

/**
 * The object store port: raw month copies and processed Parquet go through it, to GCS in the cloud
 * and to a local directory on a laptop, under the same keys.
 *
 * Keys are `/`-separated and relative: no leading `/`, no empty segment, no segment starting with
 * `.` (this rules out `.` and `..`, and reserves dot names for the local adapter's bookkeeping), no
 * control characters, at most 1,024 UTF-8 bytes. A bad key fails before any I/O with
 * TAXI_ERR_OBJECT_KEY_INVALID (not retryable) naming the key.
 *
 * Errors every method may raise, all AppError naming the store's location and the key:
 * - TAXI_ERR_OBJECT_UNAVAILABLE (retryable): the store did not answer or answered 429/5xx, and the
 *   adapter's own retries are exhausted. The caller retries later (e.g. on the next batch) or fails
 *   the batch without committing offsets.
 * - TAXI_ERR_OBJECT_FORBIDDEN (not retryable): credentials missing or lacking a permission. Retrying
 *   does not help; stop and fix IAM or directory permissions.
 * - TAXI_ERR_OBJECT_REQUEST_FAILED (not retryable): the store refused the request for another reason
 *   (a GCS 4xx such as 400/409/412, a local disk error such as ENOSPC or EIO).
 * - TAXI_ERR_OBJECT_BUCKET_NOT_FOUND (not retryable): from connect, and from put, putFile, list and
 *   deletePrefix when the GCS bucket has gone (404). Fix the configuration or create the bucket.
 *
 * Writes overwrite deterministic names (derived from topic, partition and offset range), so every
 * method is safe to repeat: adapters retry transient failures internally before raising them.
 */
export interface ObjectStore {
  /** The adapter's kind, `gcs` or `local-dir`. */
  readonly name: string;
  /** Where objects go, for logs and the CLI summary: `gs://bucket` or `file:///abs/dir`. */
  readonly location: string;
  /**
   * Checks the store is reachable and writable: the bucket exists (GCS, created first when
   * configured to) or the directory exists and accepts a file (local). Backs `/readyz`.
   * Errors: TAXI_ERR_OBJECT_BUCKET_NOT_FOUND (not retryable) when the bucket is missing and may not
   * be created (the local adapter always creates its directory), plus the common ones above.
   */
  connect(): Promise<void>;
  /**
   * Writes a whole object, replacing any object under the same key. Atomic: a reader sees the old
   * object or the new one, never part of either.
   */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Like `put`, but streams a local file (raw month copies are 50-500 MB) instead of holding it in
   * memory; GCS uses a resumable upload above the configured threshold.
   * Errors: TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE (not retryable) when `localPath` does not exist or
   * cannot be read, plus the common ones.
   */
  putFile(key: string, localPath: string, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Reads a whole object into memory.
   * Errors: TAXI_ERR_OBJECT_NOT_FOUND (not retryable) when no object has the key.
   */
  get(key: string): Promise<Uint8Array>;
  /** The object's info, or `undefined` when no object has the key. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, so `raw/gre` matches
   * `raw/green/…`), in ascending byte order of the UTF-8 key, across all pages. `''` lists all.
   * A prefix follows the key rules except that it may be empty or end with `/`.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes an object. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every object under `prefix` and returns how many it deleted. The empty prefix is refused
   * with TAXI_ERR_OBJECT_KEY_INVALID so a bug cannot wipe the store. Not atomic: after an error some
   * objects may be gone; repeating the call finishes the job.
   */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Copies an object inside the store without downloading it (replay swaps staging to live with
   * it), replacing `toKey` atomically; metadata travels with the object.
   * Errors: TAXI_ERR_OBJECT_NOT_FOUND (not retryable) when `fromKey` does not exist.
   */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Releases the adapter's resources. Idempotent; the store is not used afterwards. */
  close(): Promise<void>;
}
