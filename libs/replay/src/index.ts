export { monthPrefix, replayMonth, stagingRoot, stagingTable } from './replay-month.js';
export type { ReplayDeps, ReplayOptions, ReplayPhase, ReplayProgress, ReplayResult } from './replay-month.js';
