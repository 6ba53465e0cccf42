import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBEnumType, DuckDBInstance, version } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { z } from 'zod';
import { parseOptions } from '../../config/src/parse.js';
import { AppError, messageOf } from '../../errors/src/index.js';
import { PROCESSED_FIELDS } from '../../schema/src/processed.js';
import type { ProcessedField, ProcessedType } from '../../schema/src/processed.js';
import { processedBatch } from './duckdb-chunks.js';
import { ENUM_COLUMNS, EnumCodes, enumSeeds, enumSql, sortedValues } from './duckdb-enums.js';
import type { ProcessedBatch, TableColumn } from './duckdb-chunks.js';
import { checkStagingName } from './staging.js';
import type { Warehouse, WarehouseBatch, WriteOutcome } from './types.js';

export const duckDbWarehouseOptionsSchema = z.strictObject({
  path: z.string().min(1).default('out/taxi.duckdb').describe('the DuckDB database file (created when missing)'),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('trips').describe('table name'),
  checkpointThresholdBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024)
    .describe('WAL size in bytes at which DuckDB checkpoints (writes the logged rows into the database file). DuckDB\'s own default, '
      + '16 MiB, checkpoints every few batches, each checkpoint costing 0.1-1.3 s on a month of 25k-row batches; 64 MiB checkpoints '
      + 'a month of rows a dozen times. The price of a larger value: committed rows not yet checkpointed stay in memory (the '
      + 'processor\'s peak RSS on a month: 1,936 MB at 256 MiB, 1,687 MB at 64 MiB), and a crash replays a longer WAL on open. '
      + 'Commits are durable either way.'),
  memoryLimitBytes: z.number().int().min(16 * 1024 * 1024).default(256 * 1024 * 1024)
    .describe('DuckDB\'s memory_limit (its buffer pool; DuckDB\'s default is 80% of RAM). DuckDB keeps the blocks it writes cached up '
      + 'to this limit, so without one a processor grows with the table: peak RSS over 4 months 1,860 MB by default, 1,419 MB at '
      + '256 MiB, at the same speed. Queries needing more spill to a temporary directory beside the file.'),
  groupRows: z.number().int().min(0).default(491_520)
    .describe('rows a transaction gathers before it commits (0: a transaction per batch). Batches are appended into one open '
      + 'transaction, committed once it holds this many rows or when the caller syncs (before it commits Kafka offsets), queries, '
      + 'replaces a month or closes. A transaction of at least a row group (122,880 rows) is written to the file compressed, once; '
      + 'a smaller one goes through the WAL and is written again at the next checkpoint. Measured on a month of 25k-row batches, '
      + 'the sink alone: 11.0 s with a transaction per batch, 7.1 s at 500k rows (and a smaller file, 168 against 173 MB); groups '
      + 'of 150k-250k rows were as fast but left partly filled row groups (264-322 MB), and 125k rows took 11.4 s.'),
  threads: z.number().int().min(1).max(256).default(1)
    .describe('DuckDB\'s worker threads (its `threads` setting; DuckDB\'s default is one per core). A batch\'s append and COMMIT run on one '
      + 'thread either way; measured on 25k-row batches, a second thread added about a quarter to their CPU (3.8 s instead of 3.0 s per '
      + 'million rows, all threads counted) for about 5% less wall time when the sink ran alone, and the full-month `taxi run` (CPU-bound '
      + 'on 2 cores) took 55 s of CPU at 1 against 60-66 s at 2. Queries (taxi query, the dashboard) scan with this many threads.'),
  storageVersion: z.string().regex(/^v\d+\.\d+\.\d+$/, 'a DuckDB version such as v1.5.0').default('v1.5.0')
    .describe('the oldest DuckDB that must open a database file this adapter creates (DuckDB\'s storage_compatibility_version, read '
      + 'only when the file is created: an existing file keeps the format it has). DuckDB\'s own default, v0.10.2, keeps to the '
      + 'compression methods of that release; v1.5.0 lets it use the newer ones (DICT_FSST for strings). Measured on the processed '
      + 'month, one thread: inserting it from an in-memory table took 6.2 s of CPU at v1.5.0 against 7.6 s at v0.10.2, for the '
      + 'same file size. Set an older version if an older duckdb must read the file.'),
});
export type DuckDbWarehouseInput = z.input<typeof duckDbWarehouseOptionsSchema>;

const FIELD_BY_NAME = new Map(PROCESSED_FIELDS.map((f) => [f.name, f]));
const SQL_TYPE: Record<ProcessedType, string> = { STRING: 'VARCHAR', INT64: 'BIGINT', FLOAT64: 'DOUBLE', TIMESTAMP: 'TIMESTAMP', DATE: 'DATE' };
const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A new table's type of a processed column: the ENUM columns' start with `seeds` (enumSeeds: the
 * services and the shipped zone lookup's names, read when a table or column is created).
 */
function newColumnSqlType(field: ProcessedField, seeds: ReadonlyMap<string, readonly string[]>): string {
  return ENUM_COLUMNS.has(field.name) ? enumSql(seeds.get(field.name) ?? []) : SQL_TYPE[field.type];
}

/** The CREATE TABLE of a new processed table, as this adapter creates one (the harness's DuckDB baseline runs it too). */
export function newTableSql(name: string, seeds: ReadonlyMap<string, readonly string[]> = enumSeeds()): string {
  return `CREATE TABLE ${quote(name)} (${PROCESSED_FIELDS.map((f) => `${quote(f.name)} ${newColumnSqlType(f, seeds)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(', ')})`;
}

function unavailable(what: string, error: unknown): AppError {
  return new AppError('TAXI_ERR_WAREHOUSE_UNAVAILABLE', `DuckDB ${what} failed: ${messageOf(error)}`, { retryable: true, cause: error });
}

/**
 * The embedded warehouse: a DuckDB file a user can query (`taxi query`, or duckdb itself) with the
 * processed table's schema. A batch's Arrow columns are copied into DuckDB data chunks a column
 * at a time and appended (duckdb-chunks.ts: no file, no Parquet in between) in the same
 * transaction as its (partition, offset) marker, so a repeated batch is seen and skipped:
 * exactly-once without checkpoints. Batches gather in one open transaction (groupRows), durable
 * when it commits: callers record progress only below pendingFrom, or sync() first.
 */
export function duckDbWarehouse(input: DuckDbWarehouseInput): DuckDbWarehouse {
  const options = duckDbWarehouseOptions(input);
  const { path } = options;
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  // The open transaction gathering batches (groupRows), and the error that ended one with batches
  // in it that writeBatch had already acknowledged: from then on nothing more is written, synced
  // or published (replaceMonth), so that no caller records progress past rows that are gone.
  // Queries still run (a failed run removes its partial month with one).
  let open: { rows: number; batches: string[] } | undefined;
  let lost: AppError | undefined;
  // Per partition key, the first offset acknowledged but not durable: in the open transaction, or
  // in one that was lost (kept, so that a caller never records progress past those rows).
  const held = new Map<string, string>();
  // One writer at a time on the connection: DuckDB transactions are per connection.
  const serial = <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const run = queue.then(() => {
      if (!connection) throw new Error('DuckDB warehouse used before connect()');
      return fn(connection);
    });
    queue = run.catch(() => undefined);
    return run;
  };

  let seeds: ReadonlyMap<string, readonly string[]> | undefined;
  const newColumnType = (field: ProcessedField): string => newColumnSqlType(field, seeds ??= enumSeeds());

  async function ensureSchema(c: DuckDBConnection, name: string, markers: string): Promise<void> {
    const table = quote(name);
    const exists = (await c.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '${sqlString(name)}'`)).currentRowCount > 0;
    if (!exists) await c.run(newTableSql(name, seeds ??= enumSeeds()));
    await c.run(`CREATE TABLE IF NOT EXISTS ${quote(markers)} (partition_key VARCHAR NOT NULL, "offset" VARCHAR NOT NULL, row_count BIGINT NOT NULL, written_at TIMESTAMP NOT NULL, PRIMARY KEY (partition_key, "offset"))`);
    const existing = new Map((await c.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${name}'`))
      .getRowObjectsJson().map((r) => [r.column_name as string, r.data_type as string]));
    for (const field of PROCESSED_FIELDS) {
      const type = existing.get(field.name);
      if (type === undefined) {
        if (field.mode === 'REQUIRED') throw new AppError('TAXI_ERR_WAREHOUSE_SCHEMA', `${path}: table ${name} lacks REQUIRED column ${field.name}; only NULLABLE columns are added`);
        await c.run(`ALTER TABLE ${table} ADD COLUMN ${quote(field.name)} ${newColumnType(field)}`);
      } else if (type !== SQL_TYPE[field.type] && !(ENUM_COLUMNS.has(field.name) && type.startsWith('ENUM('))) {
        // A table created before its text columns were ENUMs keeps VARCHAR: both are written.
        throw new AppError('TAXI_ERR_WAREHOUSE_SCHEMA', `${path}: column ${name}.${field.name} is ${type}, expected ${SQL_TYPE[field.type]}${ENUM_COLUMNS.has(field.name) ? ' or an ENUM' : ''}`, { context: { column: field.name } });
      }
    }
    await readLayout(c, name);
  }

  // The appender fills every column of a table in the table's order, which is PROCESSED_FIELDS'
  // only for a table this adapter created: a column added back by ensureSchema comes last, and one
  // added by hand is somewhere. So the order is read from the table (at connect, and again should
  // the appender see another column count).
  const layouts = new Map<string, readonly string[]>();
  async function readLayout(c: DuckDBConnection, name: string): Promise<readonly string[]> {
    const rows = (await c.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${sqlString(name)}' ORDER BY ordinal_position`)).getRowObjectsJson();
    const names = rows.map((r) => r.column_name as string);
    layouts.set(name, names);
    return names;
  }

  async function tableColumns(c: DuckDBConnection, name: string, appender: DuckDBAppender): Promise<TableColumn[]> {
    let names = layouts.get(name) ?? [];
    if (names.length !== appender.columnCount) names = await readLayout(c, name);
    if (names.length !== appender.columnCount) throw new Error(`table ${name} has ${appender.columnCount} columns to append to, ${names.length} listed`);
    return names.map((column, i) => {
      const type = appender.columnType(i);
      const enumCodes = type instanceof DuckDBEnumType && ENUM_COLUMNS.has(column) ? new EnumCodes(type) : undefined;
      return { type, field: FIELD_BY_NAME.get(column), enumCodes };
    });
  }

  /**
   * Retypes ENUM columns of the table to the ENUM of their values and the new ones, in VARCHAR's
   * order, in the open transaction (a rollback undoes it too). `added` gives each column's current
   * values and the values to add. DuckDB rewrites the column's stored codes, so this costs a scan
   * of the column: the first values come from the shipped lookup, so that a month of the TLC's
   * zones adds none.
   */
  async function widenEnums(c: DuckDBConnection, name: string, added: ReadonlyMap<string, { current: readonly string[]; values: Iterable<string> }>): Promise<void> {
    for (const [column, { current, values }] of added) {
      await c.run(`ALTER TABLE ${quote(name)} ALTER COLUMN ${quote(column)} SET DATA TYPE ${enumSql(sortedValues([...current, ...values]))}`);
    }
  }

  /** An appender and the batch ready for it, widening ENUM columns first when the batch brings new values. */
  async function batchChunks(c: DuckDBConnection, name: string, batch: WarehouseBatch, where: string): Promise<{ appender: DuckDBAppender; made: ProcessedBatch }> {
    for (let attempt = 0; ; attempt++) {
      const appender = await c.createAppender(name);
      let columns: TableColumn[];
      let made: ProcessedBatch;
      try {
        columns = await tableColumns(c, name, appender);
        made = processedBatch(batch.table, columns, where);
      } catch (error) {
        appender.closeSync();
        throw error;
      }
      if (made.missing.size === 0) return { appender, made };
      appender.closeSync();
      if (attempt > 0) {
        const lacking = [...made.missing].map(([column, values]) => `${column} (${[...values].slice(0, 3).join(', ')})`).join('; ');
        throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: after adding them to the ENUMs, columns still lack values: ${lacking}`);
      }
      // Widened at a clean point: the open transaction's batches are committed first, so that an
      // ALTER that fails takes none of them down (it fails this batch only).
      if (open && open.batches.length > 0) {
        await commitOpen(c);
        await c.run('BEGIN TRANSACTION');
        open = { rows: 0, batches: [] };
      }
      const current = new Map(columns.map((col) => [col.field?.name, col.enumCodes?.type.values ?? []]));
      await widenEnums(c, name, new Map([...made.missing].map(([column, values]) => [column, { current: current.get(column) ?? [], values }])));
    }
  }

  async function insert(c: DuckDBConnection, name: string, markers: string, batch: WarehouseBatch): Promise<WriteOutcome> {
    if (lost) throw lost;
    const key = `'${sqlString(batch.partitionKey)}'`;
    const offset = `'${sqlString(batch.offset)}'`;
    const seen = await c.runAndReadAll(`SELECT 1 FROM ${quote(markers)} WHERE partition_key = ${key} AND "offset" = ${offset}`);
    if (seen.currentRowCount > 0) return { rowsWritten: 0, duplicate: true, rowErrors: [] };
    // Rows and marker in one transaction: the appender's flush runs inside it (it appends through
    // the connection, in its open transaction), so COMMIT makes both durable together, and an error
    // or a crash before COMMIT leaves neither (DuckDB's WAL replays committed transactions only).
    const where = `${path}: batch ${batch.partitionKey}@${batch.offset}`;
    const id = `${batch.partitionKey}@${batch.offset}`;
    try {
      if (!open) {
        await c.run('BEGIN TRANSACTION');
        open = { rows: 0, batches: [] };
      }
      const { appender, made } = await batchChunks(c, name, batch, where);
      try {
        made.append((chunk) => { appender.appendDataChunk(chunk); });
        appender.flushSync();
      } catch (error) {
        appender.clear(); // so that closing does not flush the refused rows again
        throw error;
      } finally {
        appender.closeSync();
      }
      await c.run(`INSERT INTO ${quote(markers)} VALUES (${key}, ${offset}, ${batch.table.numRows}, now())`);
    } catch (error) {
      // DuckDB has no savepoints: the failed statement aborted the whole open transaction.
      const before = open?.batches ?? [];
      open = undefined;
      await c.run('ROLLBACK').catch(() => undefined);
      if (before.length > 0) lost = groupLost(before, `the write of ${id} failed: ${messageOf(error)}`, error);
      if (error instanceof AppError) throw error;
      throw unavailable(`insert of ${id}`, error);
    }
    open.rows += batch.table.numRows;
    open.batches.push(id);
    if (!held.has(batch.partitionKey)) held.set(batch.partitionKey, batch.offset);
    if (open.rows >= options.groupRows) await commitOpen(c);
    return { rowsWritten: batch.table.numRows, duplicate: false, rowErrors: [] };
  }

  /** Commits the open transaction, if any: every batch acknowledged so far is then durable. */
  async function commitOpen(c: DuckDBConnection): Promise<void> {
    if (!open) return;
    const group = open;
    open = undefined;
    try {
      await c.run('COMMIT');
      held.clear();
    } catch (error) {
      await c.run('ROLLBACK').catch(() => undefined);
      lost = groupLost(group.batches, `COMMIT failed: ${messageOf(error)}`, error);
      throw lost;
    }
  }

  function groupLost(batches: readonly string[], why: string, cause: unknown): AppError {
    return new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${path}: ${why}; the open transaction was rolled back with the ${batches.length} batch(es) already `
      + `written into it (${batches[0]} .. ${batches.at(-1)}), so this warehouse writes nothing more: restart from the last committed offsets to write them again`,
    { cause });
  }

  // Markers of the main table keep their historic name; a staging table has its own.
  const markersOf = (name: string): string => (name === options.table ? '_taxi_batches' : `_taxi_batches_${name}`);

  /** The port over one table of the database file; `owner` opens and closes the file. */
  const tableWarehouse = (name: string, owner: boolean): DuckDbWarehouse => ({
    name: 'duckdb',
    location: duckDbLocation(options, name),
    async connect() {
      if (owner) {
        try {
          mkdirSync(dirname(path), { recursive: true });
          instance = await DuckDBInstance.create(path, { memory_limit: `${Math.floor(options.memoryLimitBytes / 1024 / 1024)}MiB`, autoinstall_known_extensions: 'false', checkpoint_threshold: `${options.checkpointThresholdBytes}b`, threads: String(options.threads), storage_compatibility_version: options.storageVersion });
          connection = await instance.connect();
        } catch (error) {
          throw await refusedStorageVersion(options.storageVersion) ?? unavailable(`open ${path}`, error);
        }
      }
      await serial((c) => ensureSchema(c, name, markersOf(name)));
    },
    ping: () => serial(async (c) => { await c.run('SELECT 1'); }),
    async restore() { /* markers in the database make checkpoints unnecessary */ },
    writeBatch: (batch) => serial((c) => insert(c, name, markersOf(name), batch)),
    sync: () => serial(async (c) => {
      if (lost) throw lost;
      await commitOpen(c);
    }),
    checkpoint: () => '',
    pendingFrom: (partitionKey) => held.get(partitionKey),
    pending: () => new Map(held),
    // A query runs outside the open transaction (an error in it would abort the batches it holds).
    query: (sql) => serial(async (c) => { await commitOpen(c); return (await c.runAndReadAll(sql)).getRowObjectsJson(); }),
    async staging(stagingName) {
      checkStagingName(stagingName, options.table);
      await serial(async (c) => {
        await commitOpen(c);
        await c.run(`DROP TABLE IF EXISTS ${quote(stagingName)}`);
        await c.run(`DROP TABLE IF EXISTS ${quote(markersOf(stagingName))}`);
      });
      return tableWarehouse(stagingName, false);
    },
    replaceMonth: (service, month, stagingName) => serial(async (c) => {
      checkStagingName(stagingName, options.table);
      const names = PROCESSED_FIELDS.map((f) => quote(f.name)).join(', ');
      const where = `service = '${sqlString(service)}' AND source_month = '${sqlString(month)}'`;
      if (lost) throw lost; // the staging table may miss batches that went with it
      await commitOpen(c);
      try {
        await c.run('BEGIN TRANSACTION');
        // The staging table's ENUMs may hold values the table's lack (a lookup with new names).
        const [into, from] = [await columnTypes(c, name), await columnTypes(c, stagingName)];
        const added = new Map<string, { current: readonly string[]; values: string[] }>();
        for (const [column, type] of from) {
          const target = into.get(column);
          if (!(type instanceof DuckDBEnumType) || !(target instanceof DuckDBEnumType)) continue;
          const lacking = type.values.filter((v) => target.valueIndexes[v] === undefined);
          if (lacking.length > 0) added.set(column, { current: target.values, values: lacking });
        }
        await widenEnums(c, name, added);
        await c.run(`DELETE FROM ${quote(name)} WHERE ${where}`);
        await c.run(`INSERT INTO ${quote(name)} (${names}) SELECT ${names} FROM ${quote(stagingName)}`);
        await c.run(`DROP TABLE ${quote(stagingName)}`);
        await c.run(`DROP TABLE IF EXISTS ${quote(markersOf(stagingName))}`);
        await c.run('COMMIT');
      } catch (error) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${path}: replacing ${service} ${month} in ${name} from ${stagingName} failed (nothing changed): ${messageOf(error)}`, { cause: error });
      }
      const [row] = (await c.runAndReadAll(`SELECT count(*) AS n FROM ${quote(name)} WHERE ${where}`)).getRowObjectsJson();
      return Number(row?.n ?? 0);
    }),
    async close() {
      if (!owner) return;
      try {
        if (connection) await serial(commitOpen);
      } finally {
        await queue;
        connection?.closeSync();
        instance?.closeSync();
        connection = undefined;
        instance = undefined;
      }
    },
  });

  return tableWarehouse(options.table, true);
}

/**
 * The DuckDB adapter: the port, and `pending()`, pendingFrom of every partition key at once (one
 * transaction holds the batches of every table and key, so a staging table's answer is the file's).
 */
export interface DuckDbWarehouse extends Warehouse {
  pending(): ReadonlyMap<string, string>;
}

/** The adapter's options, checked, with the database's path made absolute. */
export function duckDbWarehouseOptions(input: DuckDbWarehouseInput): DuckDbWarehouseOptions {
  const options = parseOptions(duckDbWarehouseOptionsSchema, input, 'warehouse.duckdb');
  return { ...options, path: resolve(options.path) };
}
export type DuckDbWarehouseOptions = z.output<typeof duckDbWarehouseOptionsSchema>;

/** Where a table of the database is, for logs and summaries: the file's URL, `#name` for a staging table. */
export function duckDbLocation(options: DuckDbWarehouseOptions, name: string): string {
  const file = pathToFileURL(options.path).href;
  return name === options.table ? file : `${file}#${name}`;
}

const sqlString = (value: string): string => value.replace(/'/g, "''");

/** The table's columns and their DuckDB types (an ENUM's with its values). */
async function columnTypes(c: DuckDBConnection, table: string): Promise<Map<string, DuckDBType | undefined>> {
  const result = await c.runAndReadAll(`SELECT * FROM ${quote(table)} LIMIT 0`);
  const types = result.columnTypes();
  return new Map(result.columnNames().map((column, i) => [column, types[i]]));
}

/**
 * The configuration error for a storageVersion this DuckDB does not know (one newer than itself,
 * or older than its oldest format), or undefined. DuckDB refuses it with "Failed to set config",
 * naming nothing, so an open that failed asks again with that setting alone.
 */
async function refusedStorageVersion(storageVersion: string): Promise<AppError | undefined> {
  try {
    (await DuckDBInstance.create(':memory:', { storage_compatibility_version: storageVersion })).closeSync();
    return undefined;
  } catch {
    return new AppError('TAXI_ERR_CONFIG_INVALID', `warehouse.duckdb.storageVersion: DuckDB ${version()} cannot write files for ${storageVersion}; give a version from v0.10.0 to its own`);
  }
}
