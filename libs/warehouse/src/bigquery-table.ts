import { randomUUID } from 'node:crypto';
import { BigQueryDate, BigQueryDatetime, BigQueryInt, BigQueryTime, BigQueryTimestamp, Geography } from '@google-cloud/bigquery';
import type { BigQuery, Job, Table, TableField, TableMetadata } from '@google-cloud/bigquery';
import { AppError } from '../../errors/src/index.js';
import { bigQuerySchema, PROCESSED_CLUSTER_FIELDS, PROCESSED_PARTITION_FIELD } from '../../schema/src/processed.js';
import { httpStatusOf, isTransientRestError, translate, withRetries } from './bigquery-errors.js';
import type { BigQueryWarehouseOptions } from './options.js';

/** Legacy type names the API may answer with, as standard SQL names them. */
const TYPE_ALIASES: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' };
const typeOf = (field: TableField): string => { const type = (field.type ?? '').toUpperCase(); return TYPE_ALIASES[type] ?? type; };
const modeOf = (field: TableField): string => (field.mode ?? 'NULLABLE').toUpperCase();

export interface SchemaPlan {
  /** Processed columns the table lacks, all NULLABLE: added by a metadata patch. */
  readonly add: TableField[];
  /** Why the table cannot take processed rows, one line per column. */
  readonly conflicts: { readonly column: string; readonly problem: string }[];
}

/**
 * Compares an existing table's columns with the wanted ones. BigQuery evolves a schema only by
 * adding NULLABLE columns (or relaxing REQUIRED to NULLABLE, which we never need): a missing
 * NULLABLE column is added; a missing REQUIRED one, a column of another type or mode, or an extra
 * REQUIRED column (our rows would lack it) is a conflict. Names compare case-insensitively, as in BigQuery.
 */
export function planSchema(existing: readonly TableField[], wanted: readonly TableField[]): SchemaPlan {
  const byName = new Map(existing.map((field) => [(field.name ?? '').toLowerCase(), field]));
  const add: TableField[] = [];
  const conflicts: SchemaPlan['conflicts'] = [];
  for (const field of wanted) {
    const name = field.name ?? '';
    const have = byName.get(name.toLowerCase());
    if (!have) {
      if (modeOf(field) === 'REQUIRED') conflicts.push({ column: name, problem: `is missing and is REQUIRED (only NULLABLE columns can be added)` });
      else add.push(field);
    } else if (typeOf(have) !== typeOf(field) || modeOf(have) !== modeOf(field)) {
      conflicts.push({ column: name, problem: `is ${typeOf(have)} ${modeOf(have)}, expected ${typeOf(field)} ${modeOf(field)}` });
    }
  }
  const wantedNames = new Set(wanted.map((field) => (field.name ?? '').toLowerCase()));
  for (const field of existing) {
    if (!wantedNames.has((field.name ?? '').toLowerCase()) && modeOf(field) === 'REQUIRED') {
      conflicts.push({ column: field.name ?? '', problem: 'is REQUIRED and not in the processed schema, so no row could be written' });
    }
  }
  return { add, conflicts };
}

/** The processed table as tables.insert takes it: schema, DAY partitions on pickup_date, clustering. */
export function processedTableMetadata(): TableMetadata {
  return {
    schema: { fields: bigQuerySchema() },
    timePartitioning: { type: 'DAY', field: PROCESSED_PARTITION_FIELD },
    clustering: { fields: [...PROCESSED_CLUSTER_FIELDS] },
  };
}

/**
 * connect(): makes sure the dataset and the table exist (creating them when allowed; a concurrent
 * creator's 409 is fine) and that the table can take processed rows, adding missing NULLABLE
 * columns. Errors: TAXI_ERR_WAREHOUSE_UNAVAILABLE, TAXI_ERR_WAREHOUSE_SCHEMA, TAXI_ERR_WAREHOUSE_WRITE.
 */
export async function ensureTable(bq: BigQuery, options: BigQueryWarehouseOptions, where: string): Promise<void> {
  const rest = <T>(doing: string, action: () => Promise<T>) => withRetries(`${doing} (${where})`, options.retry, isTransientRestError, action);
  const dataset = bq.dataset(options.dataset, options.location === undefined ? {} : { location: options.location });
  const table = dataset.table(options.table);
  const [datasetExists] = await rest('checking the dataset', () => dataset.exists());
  if (!datasetExists) {
    mayCreate(options, where, 'dataset');
    await rest('creating the dataset', () => ignoreConflict(() => dataset.create()));
  }
  let metadata = await rest('reading the table', () => metadataOrUndefined(table));
  if (!metadata) {
    mayCreate(options, where, 'table');
    await rest('creating the table', () => ignoreConflict(() => dataset.createTable(options.table, processedTableMetadata())));
    // Read back: a concurrent creator (409) may have made it first, with its own definition.
    metadata = await rest('reading the table', () => metadataOrUndefined(table)) ?? processedTableMetadata();
  }
  const existing = metadata.schema?.fields ?? [];
  const plan = planSchema(existing, bigQuerySchema());
  const [conflict] = plan.conflicts;
  if (conflict) {
    const all = plan.conflicts.map((c) => `${c.column} ${c.problem}`).join('; ');
    throw new AppError('TAXI_ERR_WAREHOUSE_SCHEMA', `${where}: column ${conflict.column} ${conflict.problem}${plan.conflicts.length > 1 ? ` (all: ${all})` : ''}`, { context: { column: conflict.column } });
  }
  if (plan.add.length > 0) {
    await rest(`adding column(s) ${plan.add.map((f) => f.name).join(', ')}`, () => table.setMetadata({ schema: { fields: [...existing, ...plan.add] } }));
  }
}

/** Readiness: one metadata read of the table, no retries (the probe runs again soon). */
export async function pingTable(bq: BigQuery, options: BigQueryWarehouseOptions, where: string): Promise<void> {
  try {
    await bq.dataset(options.dataset).table(options.table).getMetadata();
  } catch (error) {
    throw translate(error, `reading table metadata (${where})`, isTransientRestError(error) || httpStatusOf(error) === undefined, 1);
  }
}

function mayCreate(options: BigQueryWarehouseOptions, where: string, what: string): void {
  if (!options.createIfMissing) throw new AppError('TAXI_ERR_WAREHOUSE_SCHEMA', `${where}: the ${what} does not exist and createIfMissing is off`);
}

/** Creation where another process may have created the same thing first (409 Already Exists). */
async function ignoreConflict(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
  }
}

async function metadataOrUndefined(table: Table): Promise<TableMetadata | undefined> {
  try {
    const [metadata] = await table.getMetadata() as [TableMetadata, unknown];
    return metadata;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/** A TIMESTAMP as ISO 8601 with microseconds, BigQuery's precision: 2024-01-01T10:00:00.123456Z. */
function isoMicros(value: string): string {
  const match = /^(\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(value);
  if (!match) return value;
  return `${match[1] ?? ''}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/**
 * A query answer value as plain data: TIMESTAMP as ISO 8601 with microseconds, DATE / DATETIME /
 * TIME / GEOGRAPHY as their canonical strings, INT64 as a number when exact (|n| < 2^53), else as
 * its decimal string, NUMERIC as its decimal string; arrays and STRUCTs recursively; BYTES as base64.
 */
export function plainValue(value: unknown): unknown {
  if (value instanceof BigQueryTimestamp) return isoMicros(value.value);
  if (value instanceof BigQueryDate || value instanceof BigQueryDatetime || value instanceof BigQueryTime || value instanceof Geography) return value.value;
  if (value instanceof BigQueryInt) {
    const n = Number(value.value);
    return Number.isSafeInteger(n) ? n : value.value;
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== 'object') return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return plainRow(value as Record<string, unknown>); // a STRUCT
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value; // NUMERIC's Big: its decimal string
}

export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plainValue(value)]));
}

/**
 * Runs a standard SQL query as a job (jobs.insert, then getQueryResults) with the table's dataset
 * as default, so `trips` names the table. A job, not jobs.query: the emulator ignores
 * defaultDataset there and answers a failed query with an empty result. The job id is chosen here
 * and kept across retries, so a retry after a lost answer finds the first job (409) instead of
 * running a statement twice.
 */
export async function runQuery(bq: BigQuery, options: BigQueryWarehouseOptions, sql: string, where: string): Promise<Record<string, unknown>[]> {
  const jobId = `taxi_query_${randomUUID().replace(/-/g, '')}`;
  const location = options.location === undefined ? {} : { location: options.location };
  return withRetries(`running query job ${jobId} on ${where}`, options.retry, isTransientRestError, async () => {
    let job: Job;
    try {
      [job] = await bq.createQueryJob({
        jobId, query: sql, useLegacySql: false, defaultDataset: { projectId: options.projectId, datasetId: options.dataset }, ...location,
      });
    } catch (error) {
      if (httpStatusOf(error) !== 409) throw error;
      job = bq.job(jobId, location);
    }
    const [rows] = await job.getQueryResults({ wrapIntegers: true, autoPaginate: true });
    return (rows as Record<string, unknown>[]).map(plainRow);
  });
}
