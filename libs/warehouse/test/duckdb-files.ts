// Files the DuckDB adapter's tests start from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Test } from 'tap';

/** A database path in a temporary directory removed after the test. */
export function dbPath(t: Test, prefix = 'taxi-duckdb-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  return join(dir, 'taxi.duckdb');
}

/**
 * Makes the adapter's markers table, in a new file, refusing one partition key: the marker INSERT
 * of a batch of that key fails after its rows were appended, inside the same transaction.
 */
export async function markersRefusing(path: string, partitionKey: string): Promise<void> {
  const db = await DuckDBInstance.create(path);
  const c = await db.connect();
  await c.run(`CREATE TABLE _taxi_batches (partition_key VARCHAR NOT NULL, "offset" VARCHAR NOT NULL, row_count BIGINT NOT NULL, written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partition_key, "offset"), CHECK (partition_key <> '${partitionKey.replace(/'/g, "''")}'))`);
  c.closeSync(); db.closeSync();
}
