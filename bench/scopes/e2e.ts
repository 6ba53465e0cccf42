// e2e: the whole path through Kafka, as one wall time: `taxi ingest` of the month into fresh
// topics, then `taxi process` (2 transform workers) until the month is committed in both sinks
// (processed Parquet in a local object store and the DuckDB warehouse).
import { runIngest } from '../lib/ingest-run.js';
import { runProcessor } from '../lib/process-run.js';
import type { Scope } from '../lib/types.js';
import { imageMallocNote } from '../lib/env.js';
import { CPU_BY_THREAD_NOTE, cpuExtra } from '../lib/threads.js';

const POOL_SIZE = 2;

export const e2eScope: Scope = {
  name: 'e2e',
  what: `taxi ingest into fresh topics, then taxi process --exit-when-idle N (${POOL_SIZE} transform workers) into a local object store and DuckDB, one after the other`,
  needsKafka: true,
  notes: (ctx) => [
    imageMallocNote(ctx.root),
    `seconds = the ingest child's wall + the processor child's wall - ${ctx.idleSeconds} s (its idle wait after the last message); rows/s = rows / seconds; CPU is the sum of both children, peak RSS the larger`,
    'the two run one after the other: the month is one Kafka transaction, so a processor running alongside could not read a row before the ingest commits; the processor\'s start-up and group join are counted (a processor already running would not pay them)',
    `${CPU_BY_THREAD_NOTE}; the processor's as cpu.<thread>, the ingest's as ingestCpu.<thread>`,
  ],
  async run(ctx) {
    const ingest = await runIngest(ctx);
    const processed = await runProcessor(ctx, ingest.ingested, POOL_SIZE);
    const processSeconds = processed.wallSeconds - ctx.idleSeconds;
    const seconds = ingest.measured.wallSeconds + processSeconds;
    return {
      wallSeconds: seconds, cpuSeconds: ingest.measured.cpuSeconds + processed.cpuSeconds, method: processed.method,
      peakRssBytes: Math.max(ingest.measured.peakRssBytes, processed.peakRssBytes),
      rowsPerSec: ingest.ingested.rows / seconds,
      extra: {
        ingestSeconds: ingest.measured.wallSeconds, processSeconds, ingestPeakRssBytes: ingest.measured.peakRssBytes, processPeakRssBytes: processed.peakRssBytes,
        ingestCpuSeconds: ingest.measured.cpuSeconds, processCpuSeconds: processed.cpuSeconds,
        rowsWritten: processed.extra.rowsWritten ?? 0, rowsRejected: processed.extra.rowsRejected ?? 0,
        ...Object.fromEntries(Object.entries(processed.extra).filter(([k]) => k.startsWith('cpu.'))), ...cpuExtra(ingest.measured.cpuByThread, 'ingestCpu.'),
      },
    };
  },
};
