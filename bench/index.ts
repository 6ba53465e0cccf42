// The benchmark: `npm run bench -- [--rows N] [--scope a,b] [--runs N] [--warmup] [--reporter pretty|json]`.
// It generates (once, cached in bench/cache/) a synthetic yellow month, runs each chosen scope as a
// real child process (ours, and the Pandas, DuckDB and Polars baselines in a Python venv it
// installs on first use), and writes bench/results/latest.json, a dated copy, the plots
// (bench/results/*.svg) and bench/RESULTS.md with the headline figures and the targets.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gnuTimeAvailable, runningChildren } from './lib/child.js';
import { taxiNodeFlags } from './lib/env.js';
import { codeFingerprint, git } from './lib/git.js';
import { runIngest } from './lib/ingest-run.js';
import { deleteStaleBenchTopics, deleteTopics, kafkaScriptVersion, probeKafka } from './lib/kafka.js';
import type { KafkaState } from './lib/kafka.js';
import { writePlots } from './lib/plots.js';
import { baselineVenvUsed } from './lib/python-venv.js';
import { markdown, pretty } from './lib/report.js';
import type { Results, ScopeFigures, ScopeOutcome } from './lib/report.js';
import { TAXI_CODE } from './lib/runtime.js';
import { FULL_MONTH_ROWS, syntheticMonth } from './lib/source.js';
import { headline, stages } from './lib/summary.js';
import type { Ingested, RunResult, Scope, ScopeContext, SourceMonth } from './lib/types.js';
import { baselineDuckdbScope } from './scopes/baseline-duckdb.js';
import { baselineDuckdbEmbeddedScope } from './scopes/baseline-duckdb-embedded.js';
import { baselinePandasScope } from './scopes/baseline-pandas.js';
import { baselinePandasVectorisedScope } from './scopes/baseline-pandas-vectorised.js';
import { baselinePolarsScope } from './scopes/baseline-polars.js';
import { batchSizeScope } from './scopes/batch-size.js';
import { codecsScope } from './scopes/codecs.js';
import { decodeScope } from './scopes/decode.js';
import { e2eScope } from './scopes/e2e.js';
import { embeddedScope } from './scopes/embedded.js';
import { ingestScope } from './scopes/ingest.js';
import { memoryScope } from './scopes/memory.js';
import { process1Scope } from './scopes/process-1.js';
import { process2Scope } from './scopes/process-2.js';
import { replayScope } from './scopes/replay.js';
import { sinksScope } from './scopes/sinks.js';

/** In the order they run: the baselines right after embedded, so that load on the machine is alike. */
const SCOPES: readonly Scope[] = [
  decodeScope, codecsScope, ingestScope, process1Scope, process2Scope, replayScope, embeddedScope,
  baselinePandasScope, baselinePandasVectorisedScope, baselineDuckdbScope, baselineDuckdbEmbeddedScope, baselinePolarsScope, sinksScope, e2eScope, memoryScope, batchSizeScope,
];
const IDLE_SECONDS = 3;
const RAW_PARTITIONS = 6;
/** Benchmark topics older than this were left by a run that did not finish (a whole run takes about half an hour); deleted at start. */
const STALE_TOPIC_AGE_MS = 12 * 3_600_000;
/** Free space below which the harness warns at start (a run once lost its broker to a full disk). */
const LOW_DISK_GIB = 10;

function freeSpaceGiB(dir: string): number {
  const s = statfsSync(dir);
  return (s.bavail * s.bsize) / 2 ** 30;
}

const usage = `Usage: npm run bench -- [options]

  --rows N                 rows of the synthetic yellow month (default ${FULL_MONTH_ROWS.toLocaleString('en-US')}, the real Jan 2024)
  --seed N                 generator seed (default 42)
  --scope a,b              scopes to run (default all): ${SCOPES.map((s) => s.name).join(', ')}
  --runs N                 measured runs per scope; the medians are reported (default 1)
  --warmup                 one unmeasured run of each scope first
  --reporter pretty|json   what is printed on stdout (default pretty); files are written either way
  --brokers LIST           Kafka (default: KAFKA_BROKERS, .servers/endpoints.env, else 127.0.0.1:19092)
                           (the baselines install their Python venv on first use: Python >= 3.11, or BENCH_PYTHON)
  --keep                   keep the temporary directories (their path is printed)
  -h, --help               this text`;

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (message: string): void => { process.stderr.write(`[bench] ${message}\n`); };

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} should be a positive integer, got '${raw}'`);
  return n;
}

class UsageError extends Error {}

function defaultBrokers(): string {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const file = join(root, '.servers', 'endpoints.env');
  const line = existsSync(file) ? readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('KAFKA_BROKERS=')) : undefined;
  return line?.slice('KAFKA_BROKERS='.length).trim() || '127.0.0.1:19092';
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summarise(scope: Scope, ctx: ScopeContext, samples: readonly RunResult[]): ScopeFigures {
  const of = (pick: (r: RunResult) => number | undefined): number | undefined => {
    const values = samples.map(pick).filter((v): v is number => v !== undefined);
    return values.length === samples.length ? median(values) : undefined;
  };
  const extraKeys = [...new Set(samples.flatMap((s) => Object.keys(s.extra)))];
  const mbPerSec = of((r) => r.mbPerSec);
  return {
    status: 'ok', what: scope.what, runs: samples.length,
    wallSeconds: of((r) => r.wallSeconds)!, cpuSeconds: of((r) => r.cpuSeconds)!, rowsPerSec: of((r) => r.rowsPerSec)!,
    ...(mbPerSec === undefined ? {} : { mbPerSec }), peakRssBytes: of((r) => r.peakRssBytes)!,
    extra: Object.fromEntries(extraKeys.map((k) => [k, of((r) => r.extra[k])!])),
    notes: scope.notes(ctx),
    samples: samples.map((s) => ({ wallSeconds: s.wallSeconds, cpuSeconds: s.cpuSeconds, rowsPerSec: s.rowsPerSec, peakRssBytes: s.peakRssBytes, ...(s.mbPerSec === undefined ? {} : { mbPerSec: s.mbPerSec }), ...s.extra })),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2), allowPositionals: false, strict: true,
    options: {
      rows: { type: 'string' }, seed: { type: 'string' }, scope: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'boolean', default: false },
      reporter: { type: 'string', default: 'pretty' }, brokers: { type: 'string' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
  const rowCount = positive('rows', values.rows, FULL_MONTH_ROWS);
  const seed = positive('seed', values.seed, 42);
  const runs = positive('runs', values.runs, 1);
  const reporter = values.reporter;
  if (reporter !== 'pretty' && reporter !== 'json') throw new UsageError(`--reporter should be pretty or json, got '${reporter}'`);
  const wanted = values.scope === undefined ? SCOPES.map((s) => s.name) : values.scope.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !SCOPES.some((s) => s.name === w));
  if (unknown.length > 0 || wanted.length === 0) throw new UsageError(`unknown scope ${unknown.join(', ') || '(none given)'}; the scopes are ${SCOPES.map((s) => s.name).join(', ')}`);
  const scopes = SCOPES.filter((s) => wanted.includes(s.name));
  const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
  const loadAverageAtStart = loadavg();
  const commitAtStart = git(root, ['rev-parse', 'HEAD']);
  const codeAtStart = codeFingerprint(root);
  const date = new Date();

  const work = mkdtempSync(join(tmpdir(), 'taxi-bench-'));
  const freeGiB = freeSpaceGiB(work);
  if (freeGiB < LOW_DISK_GIB) {
    say(`only ${freeGiB.toFixed(1)} GiB free on the disk of ${work}: the scopes write a few GB of outputs there at a time, and a local Kafka broker on the same disk needs room for the run's topics; a scope whose child finds the disk full fails (the broker may stop)`);
  }
  const topics = new Set<string>();
  let kafka: KafkaState | undefined;
  const signal = { interrupted: false };
  const interrupted = (): boolean => signal.interrupted;
  process.once('SIGINT', () => { signal.interrupted = true; say('interrupted: stopping after the running child, then cleaning up'); });
  try {
    say(`preparing ${rowCount.toLocaleString('en-US')} rows of synthetic yellow 2024-01 (cached in bench/cache/)`);
    const prepared = await syntheticMonth(root, rowCount, seed, work);
    const { source } = prepared;
    say(prepared.generated ? `generated ${source.path} in ${prepared.generated.wallSeconds.toFixed(1)} s (peak RSS ${Math.round(prepared.generated.peakRssBytes / 2 ** 20)} MiB)` : `cached: ${source.path}`);
    const brokers = values.brokers ?? defaultBrokers();
    kafka = scopes.some((s) => s.needsKafka) ? await probeKafka(brokers) : { up: false, brokers, reason: 'not probed (no scope needs it)' };
    if (!kafka.up && scopes.some((s) => s.needsKafka)) say(`Kafka is not up at ${brokers}: ${kafka.reason}; the scopes that need it are skipped`);
    if (kafka.up) {
      const stale = await deleteStaleBenchTopics(kafka.brokers, STALE_TOPIC_AGE_MS);
      if (stale.deleted.length > 0) say(`deleted ${stale.deleted.length} topics left by benchmark runs that did not finish (over ${STALE_TOPIC_AGE_MS / 3_600_000} h old)`);
      if (stale.problem) say(stale.problem);
    }

    let dirs = 0;
    let lastIngest: Ingested | undefined;
    const otherMonths = new Map<string, Promise<SourceMonth>>();
    const kafkaState = kafka;
    const ctx: ScopeContext = {
      root, source, kafka: kafkaState, idleSeconds: IDLE_SECONDS, rawPartitions: RAW_PARTITIONS, say,
      tempDir(prefix) { const dir = join(work, `${prefix}-${++dirs}`); mkdirSync(dir, { recursive: true }); return dir; },
      uniqueId: () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      noteTopics(names) { for (const n of names) topics.add(n); },
      noteIngested(i) { lastIngest = i; },
      syntheticMonth(month, rows) {
        if (month === 1 && rows === rowCount) return Promise.resolve(source);
        const key = `${month}/${rows}`;
        let pending = otherMonths.get(key);
        if (!pending) {
          pending = syntheticMonth(root, rows, seed, work, month).then((p) => {
            if (p.generated) say(`generated ${p.source.path} in ${p.generated.wallSeconds.toFixed(1)} s (cached for later runs)`);
            return p.source;
          });
          otherMonths.set(key, pending);
        }
        return pending;
      },
      async ingested() {
        if (lastIngest) return lastIngest;
        say('the processor scopes need the month in Kafka: ingesting it once, untimed');
        return (await runIngest(ctx)).ingested;
      },
    };

    const outcomes: Record<string, ScopeOutcome> = {};
    let failed = false;
    for (const scope of scopes) {
      if (interrupted()) break;
      if (scope.needsKafka && !kafkaState.up) {
        outcomes[scope.name] = { status: 'skipped', what: scope.what, reason: `Kafka not up at ${kafkaState.brokers}: ${kafkaState.reason}` };
        continue;
      }
      try {
        if (values.warmup) { say(`${scope.name}: warm-up run`); await scope.run(ctx); }
        const samples: RunResult[] = [];
        for (let i = 1; i <= runs && !interrupted(); i++) {
          say(`${scope.name}: run ${i}/${runs}`);
          const r = await scope.run(ctx);
          say(`${scope.name}: ${r.wallSeconds.toFixed(2)} s wall, ${Math.round(r.rowsPerSec).toLocaleString('en-US')} rows/s, peak RSS ${Math.round(r.peakRssBytes / 2 ** 20)} MiB`);
          samples.push(r);
        }
        if (samples.length < runs) break;
        outcomes[scope.name] = summarise(scope, ctx, samples);
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? error.message : String(error);
        say(`${scope.name} FAILED: ${message}`);
        outcomes[scope.name] = { status: 'failed', what: scope.what, error: message };
      }
    }
    if (interrupted()) { say('interrupted: no results written'); return 130; }

    const embedded = outcomes.embedded;
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const results: Results = {
      benchmark: 'taxi-stream', schemaVersion: 2, date: date.toISOString(), command, rows: rowCount, source, runs, warmup: values.warmup,
      commit: commitAtStart || 'unknown', dirty: git(root, ['status', '--porcelain', '--untracked-files=no']) !== '', codeChangedDuringRun: codeFingerprint(root) !== codeAtStart,
      node: process.version, taxiCommand: ['node', ...taxiNodeFlags(root), 'bin/taxi.js'].join(' '), taxiCode: TAXI_CODE, kafka: kafkaScriptVersion(join(root, 'test', 'servers', 'kafka.sh')) ?? null, kafkaBrokers: brokers,
      machine: { cpus: availableParallelism(), model: cpus()[0]?.model.trim() ?? 'unknown', totalmem: totalmem(), platform: platform(), arch: arch(), release: release(), loadAverageAtStart, loadAverageAtEnd: loadavg() },
      measuredWith: gnuTimeAvailable() ? 'GNU time (/usr/bin/time -f)' : '/proc polling (VmHWM, utime+stime)',
      generator: prepared.generated
        ? { cached: false, wallSeconds: prepared.generated.wallSeconds, cpuSeconds: prepared.generated.cpuSeconds, peakRssBytes: prepared.generated.peakRssBytes }
        : { cached: true },
      scopes: outcomes,
      embeddedRowsPerSec: embedded?.status === 'ok' ? embedded.rowsPerSec : null,
      ...headline(outcomes),
      baselineEnv: baselineVenvUsed() ?? null,
      stages: stages(outcomes, rowCount),
      plots: writePlots(dir, outcomes, rowCount),
    };
    const json = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(join(dir, 'latest.json'), json);
    writeFileSync(join(dir, `${date.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}.json`), json);
    writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown(results));
    process.stdout.write(reporter === 'json' ? json : pretty(results));
    say(`wrote bench/results/latest.json, a dated copy, ${results.plots.length > 0 ? `${results.plots.map((p) => p.file).join(', ')}, ` : ''}and bench/RESULTS.md`);
    return failed ? 1 : 0;
  } finally {
    for (const pid of runningChildren()) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
    if (kafka?.up && topics.size > 0) {
      const problem = await deleteTopics(kafka.brokers, [...topics]);
      if (problem) say(problem);
    }
    if (values.keep) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
