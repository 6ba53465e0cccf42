import type { MonthRef } from '../../schema/src/month.js';

/** A month's Parquet file, on local disk and checksummed, ready for the codec to open. */
export interface FetchedFile {
  /** The local file to read. */
  readonly path: string;
  /** Where it came from: https://… for a download, file:///… for a local file. */
  readonly uri: string;
  /** The file's name, e.g. green_tripdata_2024-01.parquet. */
  readonly fileName: string;
  /** Size of the local file, in bytes. */
  readonly sizeBytes: number;
  /** SHA-256 of the local file's bytes, lowercase hex. */
  readonly sha256: string;
}

export interface FetchOptions {
  /**
   * Aborts the fetch. The promise rejects with the signal's reason, as given, with no error code:
   * the caller asked for it. A download keeps its `.part` file, so the next fetch resumes it.
   */
  readonly signal?: AbortSignal;
  /**
   * Called as bytes arrive (download) or are checksummed (local file): bytes so far, including a
   * resumed part, and the total in bytes when known. Called often; throttle in the callback.
   */
  readonly onProgress?: (bytes: number, total: number | undefined) => void;
}

/** The source port: where a month's Parquet file comes from. One local adapter, one HTTP adapter. */
export interface Source {
  readonly name: string;
  /**
   * Makes the month's file available on local disk and returns where it is and its SHA-256.
   *
   * Errors (AppError; decide retries from `retryable`):
   * - TAXI_ERR_SOURCE_NOT_FOUND, not retryable: no such local file; or the server answered 404
   *   (the TLC publishes a month about two months after it ends). The message names the path or URL.
   * - TAXI_ERR_SOURCE_UNREADABLE: a directory or an unreadable local file, or a local I/O error
   *   (not retryable); every download attempt failed with a network error, a stall, 429 or 5xx
   *   (retryable: try again later); the server refused with another 4xx (not retryable).
   * - TAXI_ERR_SOURCE_NOT_ALLOWED, not retryable: the URL's host (or a redirect's) is not allowed.
   * - TAXI_ERR_SOURCE_SIZE_MISMATCH, retryable: the download's size disagrees with the size the
   *   server declared; the partial file is deleted, so the retry starts from zero.
   * - TAXI_ERR_PARQUET_EMPTY, not retryable: the file is zero bytes long.
   * Aborting `options.signal` rejects with the signal's reason.
   */
  fetch(ref: MonthRef, options?: FetchOptions): Promise<FetchedFile>;
}

/** What the server says about a month's file without downloading it. */
export interface MonthHead {
  /** False when the server answers that the file does not exist (not published yet). */
  readonly published: boolean;
  /** The file's size in bytes, from Content-Length, when published and declared. */
  readonly sizeBytes?: number;
  /** The Last-Modified header as sent (an HTTP date), when declared. */
  readonly lastModified?: string;
}

/** The HTTP adapter: a Source that can also ask whether a month is published. */
export interface HttpSource extends Source {
  /**
   * Asks the server (HEAD, with the same retries as `fetch`) whether the month is published.
   * A missing file is `{ published: false }`, not an error. Errors as for `fetch`:
   * TAXI_ERR_SOURCE_NOT_ALLOWED (not retryable), TAXI_ERR_SOURCE_UNREADABLE (retryable when every
   * attempt failed on the network, a stall, 429 or 5xx; not retryable on another 4xx).
   */
  headMonth(ref: MonthRef, options?: Pick<FetchOptions, 'signal'>): Promise<MonthHead>;
}
