import { randomBytes } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, messageOf } from '../../errors/src/index.js';
import { compareKeys, validateKey, validatePrefix } from './key.js';
import { parseOptions } from '../../config/src/parse.js';
import { localDirObjectStoreOptionsSchema } from './options.js';
import type { LocalDirObjectStoreInput } from './options.js';
import type { ObjectInfo, ObjectStore, PutOptions } from './types.js';
import { uploadFileSize } from './upload-file.js';

const FORBIDDEN_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);
const TRANSIENT_CODES = new Set(['EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EINTR']);
const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Translates a node:fs error into the port's codes, keeping it as cause; `doing` names the key(s). */
function translate(error: unknown, doing: string, location: string, key: string | undefined): AppError {
  if (error instanceof AppError) return error;
  const errno = errnoOf(error);
  const message = `${doing} in ${location} failed: ${messageOf(error)}`;
  const context = key === undefined ? {} : { key };
  if (errno !== undefined && FORBIDDEN_CODES.has(errno)) return new AppError('TAXI_ERR_OBJECT_FORBIDDEN', message, { cause: error, context });
  if (errno !== undefined && TRANSIENT_CODES.has(errno)) {
    return new AppError('TAXI_ERR_OBJECT_UNAVAILABLE', message, { cause: error, context, retryable: true });
  }
  return new AppError('TAXI_ERR_OBJECT_REQUEST_FAILED', message, { cause: error, context });
}

/** Flushes a file's (or a directory's) data to disk, so a rename is not persisted before the bytes. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The object store as a local directory: key `a/b/c.parquet` is the file `<root>/a/b/c.parquet`, so
 * the output can be opened by any Parquet tool.
 *
 * - Writes go to a hidden temp file `.<name>.tmp-<random>` in the target's directory, are fsynced,
 *   then renamed over the target (rename is atomic within a file system), so readers see the old or
 *   the new file, never part of one. The directory is fsynced after the rename.
 * - User metadata lives in a hidden sidecar `.<name>.meta.json`, written only when there is metadata
 *   and renamed in after the data: a reader racing a put may briefly pair new data with old metadata.
 *   contentType is not kept.
 * - Keys cannot start a segment with `.`, so temp and sidecar files never collide with objects and
 *   `list` skips every dot name.
 * - Unlike GCS, a directory cannot hold both `a` and `a/b`: writing the second fails with
 *   TAXI_ERR_OBJECT_REQUEST_FAILED. Empty directories are left behind by delete.
 */
export function localDirObjectStore(input: LocalDirObjectStoreInput): ObjectStore {
  return new LocalDirObjectStore(resolve(parseOptions(localDirObjectStoreOptionsSchema, input, 'objectStore.local').root));
}

const q = JSON.stringify;
const sidecarOf = (path: string): string => join(dirname(path), `.${basename(path)}.meta.json`);
const tempOf = (path: string): string => join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);

class LocalDirObjectStore implements ObjectStore {
  readonly name = 'local-dir';
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = pathToFileURL(root).href;
  }

  async connect(): Promise<void> {
    await this.#guard('creating and writing the directory', undefined, async () => {
      await mkdir(this.#root, { recursive: true });
      await writeDurably(join(this.#root, `.connect-probe-${randomBytes(6).toString('hex')}`), '', true);
    });
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key, this.location);
    return this.#guard(`writing ${q(key)}`, key, () => this.#commit(key, options?.metadata, (temp) => writeDurably(temp, body)));
  }

  async putFile(key: string, localPath: string, options?: PutOptions): Promise<ObjectInfo> {
    validateKey(key, this.location);
    await uploadFileSize(localPath, key, this.location);
    return this.#guard(`writing ${q(key)}`, key, () => this.#commit(key, options?.metadata, (temp) => copyFile(localPath, temp)));
  }

  async get(key: string): Promise<Uint8Array> {
    validateKey(key, this.location);
    return this.#guard(`reading ${q(key)}`, key, async () => {
      try {
        return await readFile(this.#pathOf(key));
      } catch (error) {
        if (MISSING_CODES.has(errnoOf(error) ?? '')) throw this.#notFound(key, 'read');
        throw error;
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key, this.location);
    return this.#guard(`reading ${q(key)}`, key, () => this.#infoOf(key));
  }

  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    validatePrefix(prefix, this.location);
    for (const key of await this.#guard(`listing ${q(prefix)}`, prefix, () => this.#listKeys(prefix))) {
      const info = await this.#guard(`reading ${q(key)}`, key, () => this.#infoOf(key));
      if (info !== undefined) yield info; // deleted since the walk: skip it, as a later GCS page would
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key, this.location);
    await this.#guard(`deleting ${q(key)}`, key, () => this.#remove(key));
  }

  async deletePrefix(prefix: string): Promise<number> {
    validatePrefix(prefix, this.location, false);
    return this.#guard(`deleting under ${q(prefix)}`, prefix, async () => {
      let deleted = 0;
      for (const key of await this.#listKeys(prefix)) if (await this.#remove(key)) deleted += 1;
      return deleted;
    });
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    validateKey(fromKey, this.location);
    validateKey(toKey, this.location);
    await this.#guard(`copying ${q(fromKey)} to ${q(toKey)}`, fromKey, async () => {
      const source = await this.#infoOf(fromKey);
      if (source === undefined) throw this.#notFound(fromKey, 'copy');
      await this.#commit(toKey, source.metadata, (temp) => copyFile(this.#pathOf(fromKey), temp));
    });
  }

  close(): Promise<void> {
    return Promise.resolve(); // no handles stay open between calls
  }

  #pathOf(key: string): string {
    return join(this.#root, ...key.split('/'));
  }

  /** Runs `action`, translating node:fs errors into the port's codes. */
  async #guard<T>(doing: string, key: string | undefined, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw translate(error, doing, this.location, key);
    }
  }

  #notFound(key: string, doing: string): AppError {
    return new AppError('TAXI_ERR_OBJECT_NOT_FOUND', `cannot ${doing} ${q(key)}: no such object in ${this.location}`, { context: { key } });
  }

  async #infoOf(key: string): Promise<ObjectInfo | undefined> {
    const path = this.#pathOf(key);
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if (MISSING_CODES.has(errnoOf(error) ?? '')) return undefined;
      throw error;
    }
    if (!stats.isFile()) return undefined; // a directory: only longer keys live here
    return { key, sizeBytes: stats.size, updated: stats.mtime, metadata: await readMetadata(path, key) };
  }

  /**
   * Fills a temp file with `fill`, fsyncs it, renames it over the key's file and sets (or clears)
   * the sidecar. Temp files are removed on any failure.
   */
  async #commit(key: string, metadata: Record<string, string> | undefined, fill: (tempPath: string) => Promise<void>): Promise<ObjectInfo> {
    const path = this.#pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const dataTemp = tempOf(path);
    const sidecarTemp = tempOf(sidecarOf(path));
    const hasMetadata = metadata !== undefined && Object.keys(metadata).length > 0;
    try {
      await fill(dataTemp);
      await syncPath(dataTemp);
      if (hasMetadata) await writeDurably(sidecarTemp, JSON.stringify({ metadata }));
      await rename(dataTemp, path);
      if (hasMetadata) await rename(sidecarTemp, sidecarOf(path));
      else await rm(sidecarOf(path), { force: true });
      await syncPath(dirname(path));
    } finally {
      await Promise.all([rm(dataTemp, { force: true }), rm(sidecarTemp, { force: true })]);
    }
    const stats = await stat(path);
    return { key, sizeBytes: stats.size, updated: stats.mtime, metadata: hasMetadata ? { ...metadata } : {} };
  }

  /** Keys under `prefix`, sorted as GCS sorts them, walking only the directory the prefix pins down. */
  async #listKeys(prefix: string): Promise<string[]> {
    const fixed = prefix.slice(0, prefix.lastIndexOf('/') + 1); // whole segments: a directory to start from
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      for (const entry of await readDirIfAny(dir)) {
        if (entry.name.startsWith('.')) continue; // temp files, sidecars, probes
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(join(dir, entry.name), `${key}/`);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(fixed === '' ? this.#root : this.#pathOf(fixed.slice(0, -1)), fixed);
    return keys.sort(compareKeys);
  }

  /** Deletes an object and its sidecar; false when there was none. */
  async #remove(key: string): Promise<boolean> {
    const path = this.#pathOf(key);
    try {
      if (!(await lstat(path)).isFile()) return false; // a directory: only longer keys live here
      await unlink(path);
    } catch (error) {
      if (MISSING_CODES.has(errnoOf(error) ?? '')) return false;
      throw error;
    }
    await rm(sidecarOf(path), { force: true });
    return true;
  }
}

/** A directory's entries, or none when it does not exist (yet). */
async function readDirIfAny(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (MISSING_CODES.has(errnoOf(error) ?? '')) return [];
    throw error;
  }
}

/** An object's user metadata from its sidecar, `{}` when it has none. */
async function readMetadata(path: string, key: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(sidecarOf(path), 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return {};
    throw error;
  }
  try {
    return (JSON.parse(text) as { metadata: Record<string, string> }).metadata;
  } catch (error) {
    throw new AppError('TAXI_ERR_OBJECT_REQUEST_FAILED', `metadata file ${sidecarOf(path)} of ${q(key)} is not JSON: ${messageOf(error)}`, {
      cause: error, context: { key, file: sidecarOf(path) },
    });
  }
}

/** Writes `data` to a new file (never an existing one) and fsyncs it; `removeAfter` for probes. */
async function writeDurably(path: string, data: Uint8Array | string, removeAfter = false): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (removeAfter) await unlink(path);
}
