export { gcsObjectStore, storageOptionsOf } from './gcs.js';
export { isRetryableGcsError, translateGcsError } from './gcs-errors.js';
export { compareKeys, MAX_KEY_BYTES, validateKey, validatePrefix } from './key.js';
export { localDirObjectStore } from './local-dir.js';
export { gcsObjectStoreOptionsSchema, gcsRetryOptionsSchema, localDirObjectStoreOptionsSchema } from './options.js';
export type { GcsObjectStoreInput, GcsObjectStoreOptions, LocalDirObjectStoreInput, LocalDirObjectStoreOptions } from './options.js';
export type { ObjectInfo, ObjectStore, PutOptions } from './types.js';
