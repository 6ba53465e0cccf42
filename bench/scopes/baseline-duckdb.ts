// baseline-duckdb: libs/transform's cleaning transform in DuckDB (Python) on the same month (bench/lib/baselines.ts).
import { baselineScope } from '../lib/baselines.js';

export const baselineDuckdbScope = baselineScope('duckdb');
