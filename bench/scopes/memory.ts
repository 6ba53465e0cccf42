// memory: the processor's peak RSS against the size of its input: `taxi process` (2 transform
// workers) over topics holding 1, 2 and 4 months (synthetic yellow January to April 2024, each
// with the benchmark's row count, ingested one after the other into the same topics).
import { runIngest } from '../lib/ingest-run.js';
import type { IngestRun } from '../lib/ingest-run.js';
import { runProcessor } from '../lib/process-run.js';
import type { Ingested, RunResult, Scope, ScopeContext } from '../lib/types.js';
import { imageMallocNote } from '../lib/env.js';

export const SCALES = [1, 2, 4] as const;
const POOL_SIZE = 2;

export const memoryScope: Scope = {
  name: 'memory',
  what: `taxi process (${POOL_SIZE} transform workers) over ${SCALES.join(', ')} months in Kafka: peak RSS by input size`,
  needsKafka: true,
  notes: (ctx) => [
    imageMallocNote(ctx.root),
    `the input at N× is N distinct synthetic yellow months (2024-01 to 2024-0N, ${ctx.source.rows.toLocaleString('en-US')} rows each, seed + month - 1), ingested (untimed) into fresh topics; 1× is the month the processor scopes read`,
    `rssBytes<N>x = the processor's peak RSS at N×; peak RSS = the largest of them; wall, CPU and rows/s are of the ${SCALES.at(-1)}× run (rows/s over wall - ${ctx.idleSeconds} s)`,
  ],
  run: runMemory,
};

async function monthsInKafka(ctx: ScopeContext, scale: number): Promise<Ingested> {
  if (scale === 1) return ctx.ingested();
  let first: IngestRun | undefined;
  let rows = 0;
  for (let m = 1; m <= scale; m++) {
    const source = await ctx.syntheticMonth(m, ctx.source.rows);
    ctx.say(`memory: ingesting ${source.month} (${m}/${scale}), untimed`);
    const run = await runIngest(ctx, { source, ...(first ? { topics: first.ingested.topics } : {}) });
    first ??= run;
    rows += run.ingested.rows;
  }
  return { ...first!.ingested, rows };
}

async function runMemory(ctx: ScopeContext): Promise<RunResult> {
  const extra: Record<string, number> = {};
  let last: RunResult | undefined;
  let peak = 0;
  for (const scale of SCALES) {
    const input = await monthsInKafka(ctx, scale);
    ctx.say(`memory: taxi process over ${scale}× (${input.rows.toLocaleString('en-US')} rows)`);
    const r = await runProcessor(ctx, input, POOL_SIZE);
    Object.assign(extra, { [`rssBytes${scale}x`]: r.peakRssBytes, [`rows${scale}x`]: input.rows, [`rowsPerSec${scale}x`]: r.rowsPerSec, [`wallSeconds${scale}x`]: r.wallSeconds });
    peak = Math.max(peak, r.peakRssBytes);
    last = r;
  }
  return { ...last!, peakRssBytes: peak, extra };
}
