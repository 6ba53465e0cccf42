// ingest: `taxi ingest` of the month into fresh topics (one Kafka transaction).
import { runIngest } from '../lib/ingest-run.js';
import { CPU_BY_THREAD_NOTE, cpuExtra } from '../lib/threads.js';
import type { Scope } from '../lib/types.js';

export const ingestScope: Scope = {
  name: 'ingest',
  what: 'taxi ingest --force into fresh topics (raw copy, decode, normalise, produce, commit)',
  needsKafka: true,
  notes: (ctx) => [
    `rows/s and MB/s over the child's wall time (start-up and connecting included); ${ctx.rawPartitions} raw partitions`,
    'MB/s = source Parquet bytes / s; ipcMbPerSec = Arrow IPC bytes produced / s (as the command prints them, to 0.1 MB)',
    'the topics (raw, manifest, DLQ) are created by the benchmark before the child starts, with the settings the command would give them, and waited for until every partition has a leader',
    CPU_BY_THREAD_NOTE,
  ],
  async run(ctx) {
    const r = await runIngest(ctx);
    const { wallSeconds } = r.measured;
    return {
      wallSeconds, cpuSeconds: r.measured.cpuSeconds, peakRssBytes: r.measured.peakRssBytes, method: r.measured.method,
      rowsPerSec: r.ingested.rows / wallSeconds, mbPerSec: ctx.source.bytes / 1e6 / wallSeconds,
      extra: { ipcMbPerSec: r.producedBytes / 1e6 / wallSeconds, producedBytes: r.producedBytes, messages: r.ingested.messages, reportedSeconds: r.reportedSeconds, ...cpuExtra(r.measured.cpuByThread) },
    };
  },
};
