// process-1: `taxi process` with one transform worker.
import { processScope } from '../lib/process-run.js';

export const process1Scope = processScope(1);
