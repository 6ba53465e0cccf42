// The results document, and its two human forms: a table for the terminal and bench/RESULTS.md.
import { THREAD_NAMES } from '../../libs/workers/src/thread-name.js';
import type { Plot } from './plots.js';
import type { BaselineVenv } from './python-venv.js';
import type { Headline, StageRow } from './summary.js';
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

/** Version 2 added the baselines, e2e, memory and batch-size scopes and the headline figures. */
export interface Results extends Headline {
  readonly benchmark: 'taxi-stream';
  readonly schemaVersion: 2;
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
  /** How the taxi commands ran: node, bin/taxi.js's own flags, bin/taxi.js. */
  readonly taxiCommand: string;
  /** Which code that command ran (runtime.ts TAXI_CODE). */
  readonly taxiCode: string;
  readonly kafka: string | null;
  readonly kafkaBrokers: string;
  readonly machine: { readonly cpus: number; readonly model: string; readonly totalmem: number; readonly platform: string; readonly arch: string; readonly release: string; readonly loadAverageAtStart: readonly number[]; readonly loadAverageAtEnd: readonly number[] };
  readonly measuredWith: string;
  readonly generator: { readonly cached: true } | { readonly cached: false; readonly wallSeconds: number; readonly cpuSeconds: number; readonly peakRssBytes: number };
  readonly scopes: Readonly<Record<string, ScopeOutcome>>;
  readonly embeddedRowsPerSec: number | null;
  /** The baselines' Python environment, when a baseline ran. */
  readonly baselineEnv: BaselineVenv | null;
  readonly stages: readonly StageRow[];
  /** SVG files written next to latest.json. */
  readonly plots: readonly Plot[];
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
  if (scope.startsWith('baseline-')) return `${int(e.rowsKept ?? 0)} rows kept, ${int(e.rowsRejected ?? 0)} rejected; the script's own time ${fixed(e.workSeconds ?? Number.NaN, 2)} s; ${fixed((e.outputBytes ?? 0) / 1e6, 1)} MB written`;
  if (scope === 'e2e') return `ingest ${fixed(e.ingestSeconds ?? Number.NaN, 2)} s + process ${fixed(e.processSeconds ?? Number.NaN, 2)} s; ${int(e.rowsWritten ?? 0)} rows written, ${int(e.rowsRejected ?? 0)} rejected`;
  if (scope === 'memory') return keyed(e, /^rssBytes(\d+)x$/, (n, v) => `${n}× ${mb(v)}`);
  if (scope === 'codecs') {
    const ratio = (key: string, op: string): string => `${op.toLowerCase()} ${fixed(e[`${key}OverWasm${op}Seconds`] ?? Number.NaN, 2)}× the time, ${fixed(e[`${key}OverWasm${op}PeakRssBytes`] ?? Number.NaN, 2)}× the RSS`;
    return `against parquet-wasm: arrow-rs ${ratio('arrowRs', 'Decode')}, ${ratio('arrowRs', 'Encode')}; polars ${ratio('polars', 'Decode')}, ${ratio('polars', 'Encode')} (table below)`;
  }
  if (scope === 'batch-size') return `process rows/s by message size: ${keyed(e, /^processRowsPerSec(\d+)MiB$/, (n, v) => `${n} MiB ${int(v)}`)}`;
  return '';
}

/** The extras whose key matches `pattern`, in the numeric order of its first group. */
function keyed(e: Readonly<Record<string, number>>, pattern: RegExp, show: (n: string, v: number) => string): string {
  return Object.entries(e).flatMap(([k, v]) => { const n = pattern.exec(k)?.[1]; return n === undefined ? [] : [[n, v] as const]; })
    .sort(([a], [b]) => Number(a) - Number(b)).map(([n, v]) => show(n, v)).join(', ');
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
    `taxi commands run as the container image runs them: \`${r.taxiCommand}\` over ${r.taxiCode}`,
  ];
}

function failures(r: Results): string[] {
  return Object.entries(r.scopes).flatMap(([scope, s]) => (s.status === 'failed' ? [`${scope} failed: ${s.error}`] : []));
}

const orNa = (v: number | null, show: (v: number) => string): string => (v === null ? 'not measured' : show(v));
const secs = (v: number): string => `${fixed(v, 1)} s`;
const times = (v: number): string => `${fixed(v, 2)}×`;

/** [figure, value] pairs of the headline. */
function headlineRows(r: Results): [string, string][] {
  const baseline = (name: string, seconds: number | null, over: number | null): [string, string] =>
    [name, seconds === null ? 'not measured' : `${secs(seconds)}; ${name.split(' ')[0]}/ours = ${orNa(over, times)}${over !== null && over < 1 ? ` (taxi run takes ${fixed(1 / over, 1)} times as long)` : ''}`];
  return [
    ['e2e: taxi ingest -> Kafka -> taxi process -> Parquet + DuckDB', r.e2eRowsPerSec === null ? 'not measured' : `${int(r.e2eRowsPerSec)} rows/s (${secs(r.e2eSeconds ?? Number.NaN)})`],
    ['ours: embedded taxi run', r.embeddedRowsPerSec === null ? 'not measured' : `${int(r.embeddedRowsPerSec)} rows/s (${secs(r.ourSeconds ?? Number.NaN)})`],
    baseline('Pandas (the old job)', r.pandasSeconds, r.ratios.pandasOverOurs),
    baseline('Pandas (the old job, Total_squared vectorised)', r.pandasVectorisedSeconds, r.ratios.pandasVectorisedOverOurs),
    baseline('DuckDB (the same cleaning)', r.duckdbSeconds, r.ratios.duckdbOverOurs),
    baseline('DuckDB (taxi run\'s whole job: the cleaning, Parquet, the warehouse\'s table, the dead letters)', r.duckdbEmbeddedSeconds, r.ratios.duckdbEmbeddedOverOurs),
    baseline('Polars (the same cleaning)', r.polarsSeconds, r.ratios.polarsOverOurs),
    ['processor peak RSS, 1 month', r.peakRssBytes === null ? 'not measured' : `${mb(r.peakRssBytes)} (${r.peakRssFrom ?? '?'})`],
    ['processor peak RSS by input size', r.rssBytesByScale === null ? 'not measured' : Object.entries(r.rssBytesByScale).map(([k, v]) => `${k}× ${mb(v)}`).join(', ')],
  ];
}

const met = (m: boolean | null): string => (m === null ? 'not measured' : m ? 'met' : 'NOT met');

export function pretty(r: Results): string {
  const body = rows(r);
  const width = (c: keyof Row): number => Math.max(...[HEAD, ...body].map((row) => row[c].length));
  const cell = (row: Row, c: keyof Row): string => (c === 'note' ? row[c] : RIGHT.has(c) ? row[c].padStart(width(c)) : row[c].padEnd(width(c)));
  const line = (row: Row): string => COLUMNS.map((c) => cell(row, c)).join('  ').trimEnd();
  const figures = headlineRows(r);
  const w = Math.max(...figures.map(([f]) => f.length));
  return [
    ...header(r), '',
    line(HEAD), COLUMNS.map((c) => '-'.repeat(c === 'note' ? 4 : width(c))).join('  '), ...body.map(line), '',
    ...figures.map(([f, v]) => `${f.padEnd(w)}  ${v}`), '',
    ...r.targets.map((t) => `target ${met(t.met).padEnd(12)} ${t.goal}: ${t.measured}`), '',
    ...r.keptRows.notes.map((n) => `rows: ${n}`), ...(r.plots.length > 0 ? [`plots: ${r.plots.map((p) => `bench/results/${p.file}`).join(', ')}`] : []), '',
    ...Object.entries(r.scopes).flatMap(([scope, s]) => s.status === 'ok' ? s.notes.map((n) => `${scope}: ${n}`) : []),
    ...failures(r), '',
  ].join('\n');
}

const esc = (s: string): string => s.replaceAll('|', '\\|');

function mdHeadline(r: Results): string[] {
  return [
    '## Headline', '',
    '| figure | value |', '| --- | --- |', ...headlineRows(r).map(([f, v]) => `| ${esc(f)} | ${esc(v)} |`), '',
    'Ratios are a baseline\'s wall time over ours (the embedded `taxi run` wall on the same month): above 1, we are faster. '
      + 'The other baselines write one Parquet file and count the rejects; `taxi run` also loads the DuckDB warehouse and writes each reject with its values to a DLQ file, '
      + 'which the DuckDB baseline of taxi run\'s whole job does too (into a table created by the warehouse adapter\'s own CREATE TABLE).', '',
    '## Targets', '',
    'Computed from the figures above by bench/lib/summary.ts.', '',
    '| target | measured | met? |', '| --- | --- | --- |', ...r.targets.map((t) => `| ${esc(t.goal)} | ${esc(t.measured)} | ${met(t.met)} |`), '',
  ];
}

function mdStages(r: Results): string[] {
  return [
    '## Where the time goes, stage by stage', '',
    ...(r.stages.length === 0 ? ['Not measured in this run (the e2e, decode and sinks scopes give it).'] : [
      '| stage | seconds | share of e2e | measured by |', '| --- | ---: | ---: | --- |',
      ...r.stages.map((st) => `| ${esc(st.stage.replace(/^ {2}/, '&nbsp;&nbsp;'))} | ${fixed(st.seconds, 2)} | ${st.share === null ? '' : `${fixed(100 * st.share, 0)}%`} | ${esc(st.from)} |`),
      '', 'Rows inside the e2e path come from its own two children; the pieces marked "of which" were measured alone by other scopes. In the processor the two sinks run side by side, each on threads of its own, beside the transform workers, so the times they take alone overlap within its wall and may add up to more than it: the rest (consume, IPC decode, transform, dead letters, commits) cannot be had by difference.',
    ]), '',
  ];
}

/** What each thread named in the CPU by thread does. */
const THREAD_ROLES: Readonly<Record<string, string>> = {
  [THREAD_NAMES.duckdb]: 'the DuckDB warehouse: chunks from Arrow, appends, commits (its own thread)',
  [THREAD_NAMES.transform]: 'the transform pool: validate, derive, zone join, processed Arrow IPC',
  [THREAD_NAMES.parquetEncode]: 'Parquet encode of the processed files',
  [THREAD_NAMES.parquetDecode]: 'Parquet decode of the source row groups',
  MainThread: 'main thread: bus (Kafka client or in-process), routing, sinks\' bookkeeping, dead letters',
  V8Worker: 'V8\'s helper threads: garbage collection (concurrent marking, sweeping) and compiling, for every thread\'s heap',
  'libuv-worker': 'libuv\'s pool: file writes and reads, DuckDB\'s async queries',
};

/**
 * The children whose CPU by thread is reported: the scope, the extras' prefix that holds it, and
 * the extra holding that child's whole CPU (undefined: the scope's own figure).
 */
const THREAD_COLUMNS: readonly (readonly [scope: string, prefix: string, label: string, cpuKey?: string])[] = [
  ['embedded', 'cpu.', 'embedded `taxi run`'], ['ingest', 'cpu.', '`taxi ingest`'], ['process-2', 'cpu.', '`taxi process`, 2 workers'], ['replay', 'cpu.', '`taxi replay`'],
  ['e2e', 'ingestCpu.', 'e2e: its `taxi ingest`', 'ingestCpuSeconds'], ['e2e', 'cpu.', 'e2e: its `taxi process`', 'processCpuSeconds'],
];

function mdThreads(r: Results): string[] {
  const columns = THREAD_COLUMNS.flatMap(([scope, prefix, label, cpuKey]) => {
    const s = r.scopes[scope];
    if (s?.status !== 'ok') return [];
    const byThread = new Map(Object.entries(s.extra).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v] as const] : [])));
    return byThread.size === 0 ? [] : [{ label, cpu: cpuKey === undefined ? s.cpuSeconds : (s.extra[cpuKey] ?? Number.NaN), byThread }];
  });
  if (columns.length === 0) return [];
  // Threads that used no measurable CPU in any child (Node's signal and task-scheduler threads) are left out of the rows.
  const names = [...new Set(columns.flatMap((c) => [...c.byThread.keys()]))].filter((n) => columns.some((c) => (c.byThread.get(n) ?? 0) >= 0.01))
    .sort((a, b) => Math.max(...columns.map((c) => c.byThread.get(b) ?? 0)) - Math.max(...columns.map((c) => c.byThread.get(a) ?? 0)));
  const cell = (v: number | undefined): string => (v === undefined ? '' : fixed(v, 2));
  const sum = (c: (typeof columns)[number]): number => [...c.byThread.values()].reduce((a, b) => a + b, 0);
  return [
    '## Where the CPU goes, by thread', '',
    'CPU seconds of each child\'s threads, summed by thread name (medians of the runs), polled from /proc (bench/lib/threads.ts). The service names its worker threads (libs/workers/src/thread-name.ts); Node names its own.', '',
    `| thread | what it does | ${columns.map((c) => c.label).join(' | ')} |`, `| --- | --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...names.map((n) => `| ${esc(n)} | ${esc(THREAD_ROLES[n] ?? '')} | ${columns.map((c) => cell(c.byThread.get(n))).join(' | ')} |`),
    `| all threads polled | | ${columns.map((c) => fixed(sum(c), 2)).join(' | ')} |`,
    `| the child's CPU (user + sys) | | ${columns.map((c) => fixed(c.cpu, 2)).join(' | ')} |`, '',
  ];
}

function mdBaselines(r: Results): string[] {
  const env = r.baselineEnv;
  return [
    '## Do the baselines keep the rows we keep?', '',
    `Kept rows: ours (taxi run) ${orNa(r.keptRows.ours, int)}, Pandas ${orNa(r.keptRows.pandas, int)}, DuckDB ${orNa(r.keptRows.duckdb, int)} (taxi run's whole job in DuckDB: ${orNa(r.keptRows.duckdbEmbedded, int)}), Polars ${orNa(r.keptRows.polars, int)}.`, '',
    ...r.keptRows.notes.map((n) => `- ${n}`), ...(r.keptRows.notes.length > 0 ? [''] : []),
    ...(env ? [`Baselines ran in ${env.venv} (Python ${env.pythonVersion}${env.cached ? ', cached' : `, installed by this run in ${fixed(env.installSeconds ?? Number.NaN, 0)} s`}): ${Object.entries(env.packages).map(([p, v]) => `${p} ${v}`).join(', ')}.`, ''] : []),
    ...(r.plots.length === 0 ? [] : ['## Plots', '', ...r.plots.flatMap((p) => [`![${esc(p.title)}](results/${p.file})`, ''])]),
  ];
}

const CODEC_LABELS: Readonly<Record<string, string>> = { wasm: 'parquet-wasm', arrowRs: 'arrow-rs (native)', polars: 'polars', polars1t: 'polars, POLARS_MAX_THREADS=1' };

/** The codecs scope's figures, one row per codec and operation. */
function mdCodecs(r: Results): string[] {
  const s = r.scopes.codecs;
  if (s?.status !== 'ok') return [];
  const e = s.extra;
  const keys = Object.keys(e).flatMap((k) => /^([a-z0-9]+)DecodeRowsPerSec$/i.exec(k)?.[1] ?? []).sort((a, b) => Number(b === 'wasm') - Number(a === 'wasm'));
  const row = (key: string, op: 'Decode' | 'Encode'): string => {
    const k = `${key}${op}`;
    const vs = (metric: string): string => (key === 'wasm' ? '1' : fixed((e[`${k}${metric}`] ?? Number.NaN) / (e[`wasm${op}${metric}`] ?? Number.NaN), 2));
    return `| ${CODEC_LABELS[key] ?? key} | ${op.toLowerCase()} | ${fixed(e[`${k}Seconds`] ?? Number.NaN, 2)} | ${fixed(e[`${k}WallSeconds`] ?? Number.NaN, 2)} | ${fixed(e[`${k}CpuSeconds`] ?? Number.NaN, 2)} | ${int(e[`${k}RowsPerSec`] ?? Number.NaN)} | ${mb(e[`${k}PeakRssBytes`] ?? Number.NaN)} | ${vs('Seconds')}× / ${vs('PeakRssBytes')}× |`;
  };
  return [
    '## Parquet codecs', '',
    `Decode: every row group of the month (${int(e.sourceRows ?? 0)} rows). Encode: the processed month (${int(e.processedRows ?? 0)} rows) in the Parquet sink's files. Each line is a child process of its own, run back to back; medians of ${s.runs} run${s.runs === 1 ? '' : 's'}.`, '',
    '| codec | operation | loop s | child wall s | child CPU s | rows/s (loop) | child peak RSS | loop time / RSS against parquet-wasm |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...(['Decode', 'Encode'] as const).flatMap((op) => keys.map((key) => row(key, op))), '',
  ];
}

function mdScopes(r: Results): string[] {
  const align = COLUMNS.map((c) => (RIGHT.has(c) ? '---:' : '---'));
  return [
    '## Every scope', '',
    `| ${COLUMNS.map((c) => HEAD[c]).join(' | ')} |`, `| ${align.join(' | ')} |`,
    ...rows(r).map((row) => `| ${COLUMNS.map((c) => esc(row[c])).join(' | ')} |`), '',
    '## What each scope runs', '',
    ...Object.entries(r.scopes).map(([scope, s]) => `- **${scope}**: ${s.what}`), '',
    '## How the figures are computed', '',
    ...Object.entries(r.scopes).flatMap(([scope, s]) => s.status === 'ok' ? s.notes.map((n) => `- ${scope}: ${n}`) : []),
    '- peak RSS is the child\'s high-water resident set (GNU time %M, or /proc VmHWM); the Kafka broker\'s memory is not counted',
    ...(failures(r).length > 0 ? ['', '## Failures', '', ...failures(r).map((f) => `    ${f.replaceAll('\n', '\n    ')}`)] : []),
  ];
}

export function markdown(r: Results): string {
  return [
    '# Benchmark results', '',
    `Produced by \`${r.command}\` (bench/index.ts; JSON in bench/results/latest.json).`, '',
    ...header(r).map((l) => `- ${l}`), '',
    ...mdHeadline(r), ...mdStages(r), ...mdThreads(r), ...mdCodecs(r), ...mdBaselines(r), ...mdScopes(r),
    '',
  ].join('\n');
}
