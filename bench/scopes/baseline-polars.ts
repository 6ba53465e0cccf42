// baseline-polars: libs/transform's cleaning transform in Polars on the same month (bench/lib/baselines.ts).
import { baselineScope } from '../lib/baselines.js';

export const baselinePolarsScope = baselineScope('polars');
