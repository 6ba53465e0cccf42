// The headline figures of a run, computed from the scopes' medians: our time against the
// baselines, e2e rows/s, the processor's memory by input size, the targets (met or not, from
// these figures only), whether the baselines kept the rows we kept, and where the time goes.
import { DEFAULT_PARQUET_OPTIONS } from '../../libs/parquet/src/options.js';
import type { ScopeFigures, ScopeOutcome } from './report.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
export const RSS_TARGET_BYTES = 1.5 * GIB;
export const LEAN_RSS_TARGET_BYTES = 512 * MIB;

export interface Target {
  readonly goal: string;
  readonly measured: string;
  /** null: a figure it needs was not measured in this run. */
  readonly met: boolean | null;
}

export interface KeptRowsCheck {
  readonly ours: number | null;
  readonly pandas: number | null;
  readonly duckdb: number | null;
  readonly duckdbEmbedded: number | null;
  readonly polars: number | null;
  readonly notes: readonly string[];
}

export interface Headline {
  readonly e2eRowsPerSec: number | null;
  readonly e2eSeconds: number | null;
  /** The embedded `taxi run` wall on the same month. */
  readonly ourSeconds: number | null;
  /** The old flow's Pandas job as it ran (the targets' baseline). */
  readonly pandasSeconds: number | null;
  /** The same job with its list comprehension vectorised: not the old flow, shown beside it. */
  readonly pandasVectorisedSeconds: number | null;
  readonly duckdbSeconds: number | null;
  /** DuckDB doing the whole of `taxi run`'s job (the cleaning, Parquet, the warehouse's table, the dead letters). */
  readonly duckdbEmbeddedSeconds: number | null;
  readonly polarsSeconds: number | null;
  /** A baseline's seconds / ours: above 1, we are faster. */
  readonly ratios: {
    readonly pandasOverOurs: number | null; readonly pandasVectorisedOverOurs: number | null; readonly duckdbOverOurs: number | null;
    readonly duckdbEmbeddedOverOurs: number | null; readonly polarsOverOurs: number | null;
  };
  /** The processor (`taxi process`, 2 workers) on one month. */
  readonly peakRssBytes: number | null;
  readonly peakRssFrom: string | null;
  readonly rssBytesByScale: Readonly<Record<string, number>> | null;
  readonly keptRows: KeptRowsCheck;
  readonly targets: readonly Target[];
}

const ok = (o: ScopeOutcome | undefined): ScopeFigures | undefined => (o?.status === 'ok' ? o : undefined);
const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);
const s = (v: number): string => `${v.toFixed(1)} s`;
const mib = (v: number): string => `${Math.round(v / MIB).toLocaleString('en-US')} MiB`;

function rejectedByReason(f: ScopeFigures): Map<string, number> {
  return new Map(Object.entries(f.extra).filter(([k]) => k.startsWith('rejected.')).map(([k, v]) => [k.slice('rejected.'.length), v]));
}

function keptRows(scopes: Readonly<Record<string, ScopeOutcome>>): KeptRowsCheck {
  const embedded = ok(scopes.embedded);
  const ours = embedded?.extra.rowsWritten ?? null;
  const kept = (name: string): number | null => ok(scopes[`baseline-${name}`])?.extra.rowsKept ?? null;
  const notes: string[] = [];
  if (kept('pandas') !== null) notes.push('Pandas keeps every row: the old job validated nothing (it added Load_dt and Total_squared only)');
  for (const engine of ['duckdb', 'duckdb-embedded', 'polars']) {
    const f = ok(scopes[`baseline-${engine}`]);
    if (!f || !embedded || ours === null) continue;
    const theirs = rejectedByReason(f);
    const mine = rejectedByReason(embedded);
    const reasons = [...new Set([...theirs.keys(), ...mine.keys()])].sort();
    const differ = reasons.filter((r) => (theirs.get(r) ?? 0) !== (mine.get(r) ?? 0));
    const diff = (f.extra.rowsKept ?? 0) - ours;
    notes.push(differ.length === 0 && diff === 0
      ? `${engine}: the same kept rows as taxi run (${ours.toLocaleString('en-US')}) and the same rejects, reason by reason`
      : `${engine}: ${diff >= 0 ? '+' : ''}${diff.toLocaleString('en-US')} kept rows against taxi run (${(100 * diff / ours).toFixed(3)}%); rejects differ for ${differ.map((r) => `${r} (${theirs.get(r) ?? 0} vs ours ${mine.get(r) ?? 0})`).join(', ') || 'no reason'}`);
  }
  return { ours, pandas: kept('pandas'), duckdb: kept('duckdb'), duckdbEmbedded: kept('duckdb-embedded'), polars: kept('polars'), notes };
}

function targets(h: Omit<Headline, 'targets' | 'keptRows'>, embeddedRss: number | null): Target[] {
  const { ourSeconds: ours, pandasSeconds: pandas, polarsSeconds: polars, e2eSeconds: e2e, rssBytesByScale: byScale, duckdbEmbeddedSeconds: native } = h;
  const scales = byScale ? Object.entries(byScale) : [];
  // What the same job costs natively: not a target, but it says whether the target can be met here.
  const nativeJob = native !== null ? `; DuckDB doing taxi run's whole job ${s(native)}` : '';
  return [
    {
      goal: 'embedded (taxi run) no slower than the old Pandas job',
      measured: ours !== null && pandas !== null ? `taxi run ${s(ours)}, Pandas ${s(pandas)}${nativeJob}` : 'not measured in this run',
      met: ours !== null && pandas !== null ? ours <= pandas : null,
    },
    {
      goal: 'end to end through Kafka no slower than twice the Pandas job',
      measured: e2e !== null && pandas !== null ? `e2e ${s(e2e)}, 2 × Pandas ${s(2 * pandas)}` : 'not measured in this run',
      met: e2e !== null && pandas !== null ? e2e <= 2 * pandas : null,
    },
    {
      goal: 'processor peak RSS under 1.5 GiB at 1×, 2× and 4× a month',
      measured: scales.length > 0 ? scales.map(([k, v]) => `${k}× ${mib(v)}`).join(', ') : 'not measured in this run',
      met: scales.length === 3 ? scales.every(([, v]) => v < RSS_TARGET_BYTES) : null,
    },
    {
      goal: 'harder: taxi run faster than Polars, in under 512 MiB peak RSS',
      measured: ours !== null && polars !== null && embeddedRss !== null ? `taxi run ${s(ours)} in ${mib(embeddedRss)}, Polars ${s(polars)}` : 'not measured in this run',
      met: ours !== null && polars !== null && embeddedRss !== null ? ours < polars && embeddedRss < LEAN_RSS_TARGET_BYTES : null,
    },
  ];
}

export function headline(scopes: Readonly<Record<string, ScopeOutcome>>): Headline {
  const embedded = ok(scopes.embedded);
  const e2e = ok(scopes.e2e);
  const memory = ok(scopes.memory);
  const process2 = ok(scopes['process-2']);
  const wall = (name: string): number | null => ok(scopes[name])?.wallSeconds ?? null;
  const ourSeconds = embedded?.wallSeconds ?? null;
  const [pandasSeconds, pandasVectorisedSeconds] = [wall('baseline-pandas'), wall('baseline-pandas-vectorised')];
  const [duckdbSeconds, duckdbEmbeddedSeconds, polarsSeconds] = [wall('baseline-duckdb'), wall('baseline-duckdb-embedded'), wall('baseline-polars')];
  const byScale = memory ? Object.fromEntries(Object.entries(memory.extra).flatMap(([k, v]) => {
    const m = /^rssBytes(\d+)x$/.exec(k);
    return m ? [[m[1]!, v]] : [];
  })) : null;
  const peak = byScale?.['1'] !== undefined ? { bytes: byScale['1'], from: 'memory scope, 1×' }
    : process2 ? { bytes: process2.peakRssBytes, from: 'process-2 scope' } : undefined;
  const base = {
    e2eRowsPerSec: e2e?.rowsPerSec ?? null, e2eSeconds: e2e?.wallSeconds ?? null, ourSeconds, pandasSeconds, pandasVectorisedSeconds, duckdbSeconds, duckdbEmbeddedSeconds, polarsSeconds,
    ratios: {
      pandasOverOurs: ratio(pandasSeconds, ourSeconds), pandasVectorisedOverOurs: ratio(pandasVectorisedSeconds, ourSeconds), duckdbOverOurs: ratio(duckdbSeconds, ourSeconds),
      duckdbEmbeddedOverOurs: ratio(duckdbEmbeddedSeconds, ourSeconds), polarsOverOurs: ratio(polarsSeconds, ourSeconds),
    },
    peakRssBytes: peak?.bytes ?? null, peakRssFrom: peak?.from ?? null, rssBytesByScale: byScale,
  };
  return { ...base, keptRows: keptRows(scopes), targets: targets(base, embedded?.peakRssBytes ?? null) };
}

export interface StageRow { readonly stage: string; readonly from: string; readonly seconds: number; readonly share: number | null }

/** Where the time of the e2e path goes: its two children, and the pieces measured alone. */
export function stages(scopes: Readonly<Record<string, ScopeOutcome>>, rows: number): StageRow[] {
  const e2e = ok(scopes.e2e);
  if (!e2e) return [];
  const total = e2e.wallSeconds;
  const share = (v: number): number | null => (total > 0 ? v / total : null);
  const out: StageRow[] = [];
  const add = (stage: string, from: string, seconds: number | undefined): void => {
    if (seconds !== undefined && Number.isFinite(seconds)) out.push({ stage, from, seconds, share: share(seconds) });
  };
  const decode = ok(scopes.decode);
  const sinks = ok(scopes.sinks);
  const sinkSeconds = (name: string): number | undefined => {
    const perSec = sinks?.extra[`${name}RowsPerSec`];
    const n = sinks?.extra[`${name}Rows`];
    return perSec && n ? n / perSec : undefined;
  };
  add('ingest: fetch, raw copy, decode, normalise, produce, commit', 'e2e (the ingest child\'s wall)', e2e.extra.ingestSeconds);
  add(`  of which: Parquet decode (${DEFAULT_PARQUET_OPTIONS.decoder})`, 'decode scope (its decode loop)', decode?.extra.decodeSeconds);
  add('process: consume, transform, both sinks, commits', 'e2e (the processor child\'s wall - idle wait)', e2e.extra.processSeconds);
  const parquet = sinkSeconds('parquet-local');
  const duck = sinkSeconds('duckdb');
  add('  of which: the Parquet sink alone (local store)', 'sinks scope', parquet);
  add('  of which: the DuckDB sink alone', 'sinks scope', duck);
  // No "the rest" by difference: in the processor the two sinks run side by side, each on threads
  // of its own, beside the transform, so their times alone overlap and can add up to more than
  // its wall (a difference of 0 s on 1dfe940's run, which meant nothing).
  add('e2e: ingest then process', 'e2e scope', total);
  add(`for reference: taxi run, embedded (no Kafka), ${rows.toLocaleString('en-US')} rows`, 'embedded scope (wall)', ok(scopes.embedded)?.wallSeconds);
  return out;
}
