import { z } from 'zod';

/** The Parquet libraries behind the codec port, by name. */
export const PARQUET_CODECS = ['arrow-rs', 'polars', 'parquet-wasm'] as const;
export type ParquetCodecName = (typeof PARQUET_CODECS)[number];

/**
 * `parquet` in the service config: the library that decodes source row groups and the one that
 * encodes processed files. The defaults follow the benchmark (bench/, scope `codecs`, the full
 * month, back to back, each in a child process; medians of 3 in bench/RESULTS.md): arrow-rs
 * (native) decoded in 1.02 s where polars took 1.31 s and parquet-wasm 1.35 s, with the lowest peak
 * RSS of the three; it encoded in 3.34 s where polars took 4.06 s and parquet-wasm 6.67 s.
 * polars writes every column OPTIONAL; arrow-rs, like parquet-wasm (the same Rust library as
 * WebAssembly), keeps the processed schema's non-nullable columns REQUIRED. arrow-rs is a module
 * `npm ci` compiles with cargo (libs/parquet/native); without it, choose polars and parquet-wasm.
 */
export const parquetOptionsSchema = z.strictObject({
  decoder: z.enum(PARQUET_CODECS).default('arrow-rs')
    .describe('library that decodes source row groups: arrow-rs (native, the fastest), polars (native) or parquet-wasm (WebAssembly)'),
  encoder: z.enum(PARQUET_CODECS).default('arrow-rs')
    .describe('library that encodes processed files: arrow-rs (native, the fastest), parquet-wasm (the same files, slower), or polars (every column OPTIONAL where the others write non-nullable ones REQUIRED)'),
}).prefault({});

export type ParquetOptions = z.output<typeof parquetOptionsSchema>;

/** The codecs used when none are chosen (the schema's defaults). */
export const DEFAULT_PARQUET_OPTIONS: Readonly<ParquetOptions> = Object.freeze(parquetOptionsSchema.parse(undefined));
