// embedded: `taxi run`, the whole pipeline in one process with no broker.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runMeasured } from '../lib/child.js';
import { cleanEnv } from '../lib/env.js';
import { CPU_BY_THREAD_NOTE, cpuExtra } from '../lib/threads.js';
import { taxiCommand } from '../lib/runtime.js';
import type { Scope } from '../lib/types.js';

interface RunJson { rowsRead: number; rowsWritten: number; rowsRejected: Record<string, number>; seconds: number }

export const embeddedScope: Scope = {
  name: 'embedded',
  what: `taxi run --json (in-process bus, ${availableParallelism()} transform workers = the cores, local Parquet + DuckDB)`,
  needsKafka: false,
  notes: () => ['rows/s = rows read / the child\'s wall time (start-up included); reportedSeconds is the command\'s own timing', CPU_BY_THREAD_NOTE],
  async run(ctx) {
    const dir = ctx.tempDir('embedded');
    const measured = await runMeasured({
      label: 'taxi run', cwd: ctx.root, dir, env: cleanEnv({}),
      args: [...taxiCommand(ctx.root), 'run', '--source', ctx.source.path, '--service', ctx.source.service, '--month', ctx.source.month, '--out', join(dir, 'out'), '--json'],
    });
    const last = measured.stdout.trim().split('\n').at(-1) ?? '';
    let r: RunJson;
    try {
      r = JSON.parse(last) as RunJson;
    } catch {
      throw new Error(`taxi run --json did not end with a JSON line:\n${measured.stdout.slice(-2000)}`);
    }
    const rejected = Object.values(r.rowsRejected).reduce((s, n) => s + n, 0);
    if (r.rowsRead !== ctx.source.rows || r.rowsRead !== r.rowsWritten + rejected) {
      throw new Error(`taxi run: rows do not add up: source ${ctx.source.rows}, read ${r.rowsRead} = written ${r.rowsWritten} + rejected ${rejected}?`);
    }
    return {
      wallSeconds: measured.wallSeconds, cpuSeconds: measured.cpuSeconds, peakRssBytes: measured.peakRssBytes, method: measured.method,
      rowsPerSec: r.rowsRead / measured.wallSeconds,
      extra: {
        rowsWritten: r.rowsWritten, rowsRejected: rejected, reportedSeconds: r.seconds, poolSize: availableParallelism(),
        ...Object.fromEntries(Object.entries(r.rowsRejected).map(([reason, n]) => [`rejected.${reason}`, n])),
        ...cpuExtra(measured.cpuByThread),
      },
    };
  },
};
