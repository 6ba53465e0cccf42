export { httpSource } from './http.js';
export { localDirSource, localFileSource } from './local-file.js';
export type { LocalDirSourceOptions, LocalFileSourceOptions } from './local-file.js';
export { httpSourceOptionsSchema, parseHttpSourceOptions, TLC_BASE_URL } from './options.js';
export type { HttpSourceConfig, HttpSourceOptions } from './options.js';
export type { FetchedFile, FetchOptions, HttpSource, MonthHead, Source } from './types.js';
