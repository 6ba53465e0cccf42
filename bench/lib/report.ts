// The results document, and its two human forms: a table for the terminal and bench/RESULTS.md.
import type { SourceMonth } from './types.js';

export interface ScopeFigures {
  readonly status: 'ok';
  readonly what: string;
  readonly runs: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly rowsPerSec: number;
  readonly mbPerSec?: number;
  readonly peakRssBytes: number;
  /** Medians of the scope's further figures. */
  readonly extra: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
  /** Every measured run, before the median. */
  readonly samples: readonly Readonly<Record<string, number>>[];
}

export type ScopeOutcome = ScopeFigures
  | { readonly status: 'skipped'; readonly what: string; readonly reason: string }
  | { readonly status: 'failed'; readonly what: string; readonly error: string };

export interface Results {
  readonly benchmark: 'taxi-stream';
  readonly schemaVersion: 1;
  readonly date: string;
  readonly command: string;
  readonly rows: number;
  readonly source: SourceMonth & { readonly path: string };
  readonly runs: number;
  readonly warmup: boolean;
  readonly commit: string;
  readonly dirty: boolean;
  /** bin/, libs/, services/ or HEAD changed between the start and the end of the run. */
  readonly codeChangedDuringRun: boolean;
  readonly node: string;
  readonly kafka: string | null;
  readonly kafkaBrokers: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly totalmem: number; readonly platform: string; readonly arch: string; readonly release: string; readonly loadAverageAtStart: readonly number[]; readonly loadAverageAtEnd: readonly number[] };
  readonly measuredWith: string;
  readonly generator: { readonly cached: true } | { readonly cached: false; readonly wallSeconds: number; readonly cpuSeconds: number; readonly peakRssBytes: number };
  readonly scopes: Readonly<Record<string, ScopeOutcome>>;
  readonly embeddedRowsPerSec: number | null;
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const fixed = (v: number, digits: number): string => v.toFixed(digits);
const mb = (bytes: number): string => `${int(bytes / 2 ** 20)} MiB`;

interface Row { scope: string; runs: string; wall: string; cpu: string; rows: string; mbs: string; rss: string; note: string }

function rows(r: Results): Row[] {
  return Object.entries(r.scopes).map(([scope, s]) => {
    if (s.status !== 'ok') return { scope, runs: '-', wall: '-', cpu: '-', rows: '-', mbs: '-', rss: '-', note: s.status === 'skipped' ? `skipped: ${s.reason}` : 'FAILED (see below)' };
    return {
      scope, runs: String(s.runs), wall: fixed(s.wallSeconds, 2), cpu: fixed(s.cpuSeconds, 2), rows: int(s.rowsPerSec),
      mbs: s.mbPerSec === undefined ? '' : fixed(s.mbPerSec, 1), rss: mb(s.peakRssBytes), note: highlights(scope, s),
    };
  });
}

function highlights(scope: string, s: ScopeFigures): string {
  const e = s.extra;
  if (scope === 'decode') return `${fixed(e.arrowMbPerSec ?? Number.NaN, 0)} MB/s of Arrow out (${int((e.arrowBytes ?? 0) / 1e6)} MB); decode loop ${fixed(e.decodeSeconds ?? Number.NaN, 2)} s`;
  if (scope === 'ingest') return `${fixed(e.ipcMbPerSec ?? Number.NaN, 1)} MB/s of Arrow IPC produced (${int((e.producedBytes ?? 0) / 1e6)} MB, ${int(e.messages ?? 0)} messages); command's own time ${fixed(e.reportedSeconds ?? Number.NaN, 2)} s`;
  if (scope.startsWith('process-')) {
    const again = (e.rowsProcessed ?? 0) - (e.rowsIngested ?? 0);
    return `${fixed(e.parquetBytesPerRow ?? Number.NaN, 1)} Parquet bytes/row; ${int(e.rowsWritten ?? 0)} rows written, ${int(e.rowsRejected ?? 0)} rejected; working ${fixed(e.workingSeconds ?? Number.NaN, 2)} s${again > 0 ? `; ${int(again)} rows processed twice (redelivered after a rebalance)` : ''}`;
  }
  if (scope === 'embedded') return `${int(e.rowsWritten ?? 0)} rows written, ${int(e.rowsRejected ?? 0)} rejected; command's own time ${fixed(e.reportedSeconds ?? Number.NaN, 2)} s`;
  return '';
}

const HEAD: Row = { scope: 'scope', runs: 'runs', wall: 'wall s', cpu: 'CPU s', rows: 'rows/s', mbs: 'MB/s', rss: 'peak RSS', note: 'also' };
const RIGHT = new Set<keyof Row>(['runs', 'wall', 'cpu', 'rows', 'mbs', 'rss']);
const COLUMNS = Object.keys(HEAD) as (keyof Row)[];

function header(r: Results): string[] {
  const m = r.machine;
  return [
    `${int(r.rows)} rows of synthetic yellow ${r.source.month} (${fixed(r.source.bytes / 1e6, 1)} MB Parquet, ${r.source.rowGroups} row group${r.source.rowGroups === 1 ? '' : 's'}, seed ${r.source.seed}, generator v${r.source.generatorVersion})`,
    `${r.date}  commit ${r.commit.slice(0, 12)}${r.dirty ? ' (uncommitted changes)' : ''}  Node ${r.node}  Kafka ${r.kafka ?? '?'}`,
    `${m.cpus} × ${m.model}, ${int(m.totalmem / 2 ** 30)} GiB, ${m.platform} ${m.release}, load average ${m.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')} at start, ${m.loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} at the end`,
    ...(r.codeChangedDuringRun ? ['WARNING: the code (HEAD, bin/, libs/ or services/) changed while the benchmark ran; these figures are of no single version'] : []),
    `medians of ${r.runs} run${r.runs === 1 ? '' : 's'}${r.warmup ? ' after one warm-up run' : ', no warm-up'}; wall, CPU (user+sys) and peak RSS of the child process (${r.measuredWith}); MB = 10^6 bytes`,
  ];
}

function failures(r: Results): string[] {
  return Object.entries(r.scopes).flatMap(([scope, s]) => (s.status === 'failed' ? [`${scope} failed: ${s.error}`] : []));
}

export function pretty(r: Results): string {
  const body = rows(r);
  const width = (c: keyof Row): number => Math.max(...[HEAD, ...body].map((row) => row[c].length));
  const cell = (row: Row, c: keyof Row): string => (c === 'note' ? row[c] : RIGHT.has(c) ? row[c].padStart(width(c)) : row[c].padEnd(width(c)));
  const line = (row: Row): string => COLUMNS.map((c) => cell(row, c)).join('  ').trimEnd();
  return [
    ...header(r), '',
    line(HEAD), COLUMNS.map((c) => '-'.repeat(c === 'note' ? 4 : width(c))).join('  '), ...body.map(line), '',
    ...Object.entries(r.scopes).flatMap(([scope, s]) => s.status === 'ok' ? s.notes.map((n) => `${scope}: ${n}`) : []),
    ...failures(r), '',
  ].join('\n');
}

export function markdown(r: Results): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|');
  const body = rows(r);
  const align = COLUMNS.map((c) => (RIGHT.has(c) ? '---:' : '---'));
  return [
    '# Benchmark results', '',
    `Produced by \`${r.command}\` (bench/index.ts; JSON in bench/results/latest.json).`, '',
    ...header(r).map((l) => `- ${l}`), '',
    `| ${COLUMNS.map((c) => HEAD[c]).join(' | ')} |`, `| ${align.join(' | ')} |`,
    ...body.map((row) => `| ${COLUMNS.map((c) => esc(row[c])).join(' | ')} |`), '',
    '## What each scope runs', '',
    ...Object.entries(r.scopes).map(([scope, s]) => `- **${scope}**: ${s.what}`), '',
    '## How the figures are computed', '',
    ...Object.entries(r.scopes).flatMap(([scope, s]) => s.status === 'ok' ? s.notes.map((n) => `- ${scope}: ${n}`) : []),
    '- peak RSS is the child\'s high-water resident set (GNU time %M, or /proc VmHWM); the Kafka broker\'s memory is not counted',
    ...(failures(r).length > 0 ? ['', '## Failures', '', ...failures(r).map((f) => `    ${f.replaceAll('\n', '\n    ')}`)] : []),
    '',
  ].join('\n');
}
