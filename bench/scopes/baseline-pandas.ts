// baseline-pandas: the old flow's Pandas job on the same month (bench/lib/baselines.ts).
import { baselineScope } from '../lib/baselines.js';

export const baselinePandasScope = baselineScope('pandas');
