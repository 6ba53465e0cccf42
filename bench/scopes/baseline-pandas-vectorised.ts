// baseline-pandas-vectorised: the old flow's Pandas job with Total_squared vectorised (bench/lib/baselines.ts).
import { baselineScope } from '../lib/baselines.js';

export const baselinePandasVectorisedScope = baselineScope('pandas-vectorised');
