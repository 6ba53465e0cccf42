// process-2: `taxi process` with two transform workers.
import { processScope } from '../lib/process-run.js';

export const process2Scope = processScope(2);
