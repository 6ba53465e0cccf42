import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, messageOf } from '../../errors/src/index.js';
import { monthKey, tlcFileName } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import { sha256File } from './file-hash.js';
import type { FetchedFile, FetchOptions, Source } from './types.js';

export interface LocalFileSourceOptions {
  /** The one Parquet file to serve, whatever month is asked for (the CLI's `--source PATH`). */
  readonly path: string;
}

export interface LocalDirSourceOptions {
  /** A directory holding files under the TLC's names: `<dir>/green_tripdata_2024-01.parquet`. */
  readonly dir: string;
}

/**
 * A Source serving one explicit local file. The month asked for does not choose the file: the
 * caller (the CLI) has already matched the file to its month, from its name or from flags.
 * Errors as the Source port says; none is retryable except a file that changed while being read.
 */
export function localFileSource(options: LocalFileSourceOptions): Source {
  return {
    name: 'local-file',
    fetch: (_ref, fetchOptions) => fetchLocal(options.path, fetchOptions),
  };
}

/** A Source resolving each month to `<dir>/<tlcFileName(ref)>`, e.g. a directory of earlier downloads. */
export function localDirSource(options: LocalDirSourceOptions): Source {
  return {
    name: 'local-dir',
    fetch: (ref, fetchOptions) => fetchLocal(join(options.dir, tlcFileName(ref)), fetchOptions, ref),
  };
}

async function fetchLocal(path: string, options: FetchOptions = {}, ref?: MonthRef): Promise<FetchedFile> {
  options.signal?.throwIfAborted();
  const absolute = resolve(path);
  const sizeBytes = await statRegularFile(path, absolute, ref);
  if (sizeBytes === 0) {
    throw new AppError('TAXI_ERR_PARQUET_EMPTY', `${path} is empty (0 bytes), expected a Parquet file`, { context: { file: path } });
  }
  let digest: { sha256: string; sizeBytes: number };
  try {
    digest = await sha256File(absolute, {
      signal: options.signal,
      onBytes: (bytes) => options.onProgress?.(bytes, sizeBytes),
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} cannot be read: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
  if (digest.sizeBytes !== sizeBytes) {
    // Another process is writing the file: the checksum would describe bytes nobody will read.
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE',
      `${path} changed while being read: ${sizeBytes} bytes at start, ${digest.sizeBytes} read`,
      { retryable: true, context: { file: path } });
  }
  return { path: absolute, uri: pathToFileURL(absolute).href, fileName: basename(absolute), sizeBytes, sha256: digest.sha256 };
}

/** The file's size; a missing path is NOT_FOUND, anything that is not a readable regular file UNREADABLE. */
async function statRegularFile(path: string, absolute: string, ref: MonthRef | undefined): Promise<number> {
  const context = { file: path, ...(ref ? { month: monthKey(ref) } : {}) };
  try {
    const stats = await stat(absolute);
    if (!stats.isFile()) {
      throw new AppError('TAXI_ERR_SOURCE_UNREADABLE',
        `${path} is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}, expected a Parquet file`, { context });
    }
    return stats.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const what = ref ? `no file for ${ref.service} ${monthKey(ref)}: ` : '';
      throw new AppError('TAXI_ERR_SOURCE_NOT_FOUND', `${what}${path} does not exist`, { cause: error, context });
    }
    throw new AppError('TAXI_ERR_SOURCE_UNREADABLE', `${path} cannot be read: ${messageOf(error)}`, { cause: error, context });
  }
}
