import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Read size when checksumming: large enough that hashing, not syscalls, sets the pace. */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface HashFileOptions {
  readonly signal?: AbortSignal | undefined;
  /** Called after each chunk with the bytes hashed so far. */
  readonly onBytes?: ((bytes: number) => void) | undefined;
}

/**
 * Streams a file into `hash` (never holding the whole file in memory) and returns the bytes read.
 * Errors are the file system's, untranslated: callers know what the file is and translate them.
 */
export async function hashFileInto(hash: Hash, path: string, options: HashFileOptions = {}): Promise<number> {
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES, signal: options.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
    options.onBytes?.(bytes);
  }
  return bytes;
}

/** SHA-256 (lowercase hex) and size of a file, streamed. */
export async function sha256File(path: string, options: HashFileOptions = {}): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  const sizeBytes = await hashFileInto(hash, path, options);
  return { sha256: hash.digest('hex'), sizeBytes };
}
