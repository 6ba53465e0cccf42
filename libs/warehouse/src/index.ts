export { duckDbWarehouse, duckDbWarehouseOptionsSchema } from './duckdb.js';
export type { DuckDbWarehouseInput } from './duckdb.js';
export type { RowError, Warehouse, WarehouseBatch, WriteOutcome } from './types.js';
