import { z } from 'zod';
import { kafkaBusOptionsSchema } from '../../bus/src/options.js';
import { continuousIngestOptionsSchema } from '../../ingest/src/continuous-options.js';
import { topicsSchema } from '../../ingest/src/settings.js';
import { gcsObjectStoreOptionsSchema, localDirObjectStoreOptionsSchema } from '../../objectstore/src/options.js';
import { parquetOptionsSchema } from '../../parquet/src/options.js';
import { parquetSinkOptionsSchema } from '../../sinks/src/parquet-sink.js';
import { httpSourceOptionsSchema } from '../../source/src/options.js';
import { duckDbWarehouseOptionsSchema } from '../../warehouse/src/duckdb.js';
import { bigQueryWarehouseOptionsSchema } from '../../warehouse/src/options.js';
import { parseOptions } from './parse.js';
import { configFromEnv, merge, readConfigFile } from './sources.js';

/**
 * The configuration every taxi service reads, once, at start-up: composed from the option
 * schemas the libs export. `kind` picks the adapter of each port; the embedded defaults need no
 * cloud and no broker.
 */
export const serviceConfigSchema = z.strictObject({
  bus: z.strictObject({
    kind: z.enum(['kafka', 'memory']).default('memory').describe('kafka, or memory (in-process; only within one process)'),
    kafka: kafkaBusOptionsSchema.optional().describe('required when kind is kafka'),
  }).prefault({}).refine((bus) => bus.kind !== 'kafka' || bus.kafka !== undefined, { error: 'bus.kafka is required when bus.kind is kafka', path: ['kafka'] }),
  objectStore: z.strictObject({
    kind: z.enum(['local', 'gcs']).default('local').describe('gcs, or local (a directory with the same object keys)'),
    local: localDirObjectStoreOptionsSchema.prefault({ root: 'out/objects' }),
    gcs: gcsObjectStoreOptionsSchema.optional().describe('required when kind is gcs'),
  }).prefault({}).refine((store) => store.kind !== 'gcs' || store.gcs !== undefined, { error: 'objectStore.gcs is required when objectStore.kind is gcs', path: ['gcs'] }),
  source: z.strictObject({
    http: httpSourceOptionsSchema.prefault({}),
  }).prefault({}),
  topics: topicsSchema.prefault({}),
  warehouse: z.strictObject({
    kind: z.enum(['duckdb', 'bigquery']).default('duckdb').describe('bigquery, or duckdb (an embedded SQL file)'),
    duckdb: duckDbWarehouseOptionsSchema.prefault({}),
    bigquery: bigQueryWarehouseOptionsSchema.optional().describe('required when kind is bigquery'),
  }).prefault({}).refine((w) => w.kind !== 'bigquery' || w.bigquery !== undefined, { error: 'warehouse.bigquery is required when warehouse.kind is bigquery', path: ['bigquery'] }),
  parquet: parquetOptionsSchema.describe('the Parquet libraries: one decodes source row groups, one encodes processed files'),
  sinks: z.strictObject({ parquet: parquetSinkOptionsSchema }).prefault({}),
  processor: z.strictObject({
    groupId: z.string().min(1).default('taxi-processor').describe('Kafka consumer group of the processors'),
    poolSize: z.number().int().positive().optional().describe('transform worker threads (default: the cores)'),
    maxInFlight: z.number().int().positive().default(8).describe('raw messages accepted but not yet durable; more pauses fetching'),
    commitIntervalMs: z.number().int().positive().default(5_000).describe('how often durable offsets are committed, in milliseconds (Kafka\'s own auto-commit default). Each commit first makes the warehouse durable (DuckDB commits its open transaction), so a shorter interval cuts DuckDB\'s transactions short; on a crash, up to this much work is read and written again'),
    shutdownDeadlineMs: z.number().int().positive().default(30_000).describe('SIGTERM: drain, flush and commit within this many milliseconds, else exit 1'),
  }).prefault({}),
  ingestor: continuousIngestOptionsSchema.prefault({}).describe('taxi serve-ingestor: which months to discover at source.http, how often, and how far back'),
  http: z.strictObject({
    host: z.string().default('0.0.0.0').describe('address /healthz /readyz /metrics /status listen on'),
    port: z.number().int().min(0).max(65535).default(9464).describe('port (0: any free port)'),
    readiness: z.strictObject({
      intervalMs: z.number().int().positive().default(5_000).describe('how often /readyz probes the bus, object store and warehouse in the background, in milliseconds'),
      timeoutMs: z.number().int().positive().default(3_000).describe('a probe with no answer within this many milliseconds counts as failed'),
    }).prefault({}),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    format: z.enum(['auto', 'json', 'pretty']).default('auto').describe('auto: pretty on a terminal, JSON lines otherwise (pods, pipes, files)'),
  }).prefault({}),
});

export type ServiceConfig = z.output<typeof serviceConfigSchema>;
export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;

export interface LoadConfigInput {
  /** A JSON file (`--config` or TAXI_CONFIG). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already shaped like the config; they win over everything. */
  readonly overrides?: Record<string, unknown>;
}

/** File, then environment (TAXI__…), then flags; validated once, frozen. */
export function loadConfig(input: LoadConfigInput = {}): Readonly<ServiceConfig> {
  const env = input.env ?? process.env;
  const file = input.file ?? env.TAXI_CONFIG;
  const tree = merge(file ? readConfigFile(file) : {}, configFromEnv(env), input.overrides ?? {});
  return parseOptions(serviceConfigSchema, tree, 'taxi');
}
