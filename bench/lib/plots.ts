// The run's plots, as SVG files in bench/results/: throughput against pool size and against the
// raw message size, and the processor's peak RSS against input size. A plot whose scopes did not
// run is not written (an older file of that name is left as it was, and not linked).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScopeFigures, ScopeOutcome } from './report.js';
import { LEAN_RSS_TARGET_BYTES, RSS_TARGET_BYTES } from './summary.js';
import { barChartSvg } from './svg.js';
import type { BarChart } from './svg.js';

export interface Plot { readonly file: string; readonly title: string }

const ok = (o: ScopeOutcome | undefined): ScopeFigures | undefined => (o?.status === 'ok' ? o : undefined);
const rate = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1e3)}k`);
const mib = (v: number): string => Math.round(v).toLocaleString('en-US');

function charts(scopes: Readonly<Record<string, ScopeOutcome>>, rows: number): [string, BarChart][] {
  const out: [string, BarChart][] = [];
  const pools = [1, 2].flatMap((n) => { const f = ok(scopes[`process-${n}`]); return f ? [{ label: `pool ${n}`, bars: [{ label: 'taxi process', value: f.rowsPerSec }] }] : []; });
  if (pools.length > 0) {
    out.push(['throughput-by-pool.svg', { title: `taxi process rows/s by transform workers (${rows.toLocaleString('en-US')} rows, 2 cores)`, yLabel: 'rows/s', groups: pools, format: rate }]);
  }
  const sweep = ok(scopes['batch-size']);
  if (sweep) {
    const sizes = Object.keys(sweep.extra).flatMap((k) => /^processRowsPerSec(\d+)MiB$/.exec(k)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    out.push(['throughput-by-message-size.svg', {
      title: `rows/s by raw message size (${(sweep.extra.rows ?? 0).toLocaleString('en-US')} rows)`, yLabel: 'rows/s', format: rate,
      groups: sizes.map((m) => ({ label: `${m} MiB (${sweep.extra[`messages${m}MiB`] ?? '?'} messages)`, bars: [
        { label: 'taxi ingest', value: sweep.extra[`ingestRowsPerSec${m}MiB`] ?? Number.NaN },
        { label: 'taxi process (pool 2)', value: sweep.extra[`processRowsPerSec${m}MiB`] ?? Number.NaN },
      ] })),
    }]);
  }
  const memory = ok(scopes.memory);
  if (memory) {
    const scales = Object.keys(memory.extra).flatMap((k) => /^rssBytes(\d+)x$/.exec(k)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    out.push(['rss-by-scale.svg', {
      title: 'taxi process (pool 2) peak RSS by input size', yLabel: 'peak RSS, MiB', format: mib,
      groups: scales.map((n) => ({ label: `${n}× (${(memory.extra[`rows${n}x`] ?? 0).toLocaleString('en-US')} rows)`, bars: [{ label: 'peak RSS', value: (memory.extra[`rssBytes${n}x`] ?? Number.NaN) / 2 ** 20 }] })),
      thresholds: [{ value: RSS_TARGET_BYTES / 2 ** 20, label: 'target: 1.5 GiB' }, { value: LEAN_RSS_TARGET_BYTES / 2 ** 20, label: 'harder goal: 512 MiB' }],
    }]);
  }
  return out;
}

/** Writes the plots this run has figures for into `dir`; returns them (file names relative to `dir`). */
export function writePlots(dir: string, scopes: Readonly<Record<string, ScopeOutcome>>, rows: number): Plot[] {
  return charts(scopes, rows).map(([file, chart]) => {
    writeFileSync(join(dir, file), barChartSvg(chart));
    return { file, title: chart.title };
  });
}
