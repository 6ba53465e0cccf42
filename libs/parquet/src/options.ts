import { z } from 'zod';

/** The Parquet libraries behind the codec port, by name. */
export const PARQUET_CODECS = ['polars', 'parquet-wasm'] as const;
export type ParquetCodecName = (typeof PARQUET_CODECS)[number];

/**
 * `parquet` in the service config: the library that decodes source row groups and the one that
 * encodes processed files. The defaults follow the benchmark (bench/, scope `codecs`, the full month,
 * back to back): polars decodes in about 0.8x parquet-wasm's time and encodes in about 0.6x, both
 * with memory bounded and a little lower; but polars writes every column OPTIONAL, where
 * parquet-wasm keeps the processed schema's non-nullable columns REQUIRED, so parquet-wasm encodes
 * unless that difference is accepted.
 */
export const parquetOptionsSchema = z.strictObject({
  decoder: z.enum(PARQUET_CODECS).default('polars')
    .describe('library that decodes source row groups: polars (native, the faster) or parquet-wasm (WebAssembly)'),
  encoder: z.enum(PARQUET_CODECS).default('parquet-wasm')
    .describe('library that encodes processed files: parquet-wasm, or polars (faster, but every column OPTIONAL where parquet-wasm writes non-nullable ones REQUIRED)'),
}).prefault({});

export type ParquetOptions = z.output<typeof parquetOptionsSchema>;

/** The codecs used when none are chosen (the schema's defaults). */
export const DEFAULT_PARQUET_OPTIONS: Readonly<ParquetOptions> = Object.freeze(parquetOptionsSchema.parse(undefined));
