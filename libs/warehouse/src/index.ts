export { duckDbWarehouse, duckDbWarehouseOptionsSchema } from './duckdb.js';
export { duckDbWarehouseOnThread } from './duckdb-thread.js';
export type { DuckDbWarehouseInput } from './duckdb.js';
export type { RowError, Warehouse, WarehouseBatch, WriteOutcome } from './types.js';
export { bigQueryWarehouse } from './bigquery.js';
export type { BigQueryWarehouse } from './bigquery.js';
export { bigQueryRetryOptionsSchema, bigQueryWarehouseOptionsSchema } from './options.js';
export type { BigQueryWarehouseInput, BigQueryWarehouseOptions } from './options.js';
