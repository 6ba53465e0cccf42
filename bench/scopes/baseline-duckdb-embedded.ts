// baseline-duckdb-embedded: taxi run's whole job (cleaning, Parquet, the warehouse's table, the
// dead letters) in DuckDB on the same month (bench/lib/baselines.ts).
import { baselineScope } from '../lib/baselines.js';

export const baselineDuckdbEmbeddedScope = baselineScope('duckdb-embedded');
