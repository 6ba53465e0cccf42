// batch-size: throughput against the raw message size (topics.maxMessageBytes, which decides how
// many rows go in one Kafka message and so in one transform task), on a month of at most
// SWEEP_ROWS rows: `taxi ingest` into fresh topics, then `taxi process` (2 transform workers).
import { runIngest } from '../lib/ingest-run.js';
import { runProcessor } from '../lib/process-run.js';
import type { RunResult, Scope, ScopeContext } from '../lib/types.js';

export const MESSAGE_MIB = [1, 4, 8] as const;
const DEFAULT_MIB = 4;
const SWEEP_ROWS = 300_000;
const POOL_SIZE = 2;

export const batchSizeScope: Scope = {
  name: 'batch-size',
  what: `taxi ingest + taxi process (${POOL_SIZE} workers) with raw messages of at most ${MESSAGE_MIB.join(', ')} MiB, on a month of at most ${SWEEP_ROWS.toLocaleString('en-US')} rows`,
  needsKafka: true,
  notes: (ctx) => [
    `the month is the synthetic January with min(--rows, ${SWEEP_ROWS.toLocaleString('en-US')}) rows (a sweep on the full month would take three more full runs); the topic's max.message.bytes is set 64 KiB above each size`,
    `ingestRowsPerSec<N>MiB over the ingest child's wall; processRowsPerSec<N>MiB over the processor's wall - ${ctx.idleSeconds} s; the scope's wall, CPU, RSS and rows/s are the processor's at the default ${DEFAULT_MIB} MiB`,
  ],
  run: runSweep,
};

async function runSweep(ctx: ScopeContext): Promise<RunResult> {
  const source = await ctx.syntheticMonth(1, Math.min(ctx.source.rows, SWEEP_ROWS));
  const extra: Record<string, number> = { rows: source.rows };
  let atDefault: RunResult | undefined;
  for (const mib of MESSAGE_MIB) {
    ctx.say(`batch-size: ${mib} MiB messages`);
    const ingest = await runIngest(ctx, { source, maxMessageBytes: mib * 2 ** 20 });
    const processed = await runProcessor(ctx, ingest.ingested, POOL_SIZE);
    Object.assign(extra, {
      [`messages${mib}MiB`]: ingest.ingested.messages, [`ingestRowsPerSec${mib}MiB`]: source.rows / ingest.measured.wallSeconds,
      [`processRowsPerSec${mib}MiB`]: processed.rowsPerSec, [`processRssBytes${mib}MiB`]: processed.peakRssBytes,
    });
    if (mib === DEFAULT_MIB) atDefault = processed;
  }
  return { ...atDefault!, extra };
}
