// The continuous ingestor: on a schedule, finds the months published at the source and not yet in
// the manifest, and ingests them oldest first. The manifest topic is its only state: it is read
// again at the start of every cycle, so a restart (or a `taxi ingest` run by hand) is seen.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { isAppError, messageOf } from '../../errors/src/index.js';
import { monthKey } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import type { FetchedFile, HttpSource, Source } from '../../source/src/index.js';
import type { IngestorMetrics } from '../../telemetry/src/ingestor-metrics.js';
import type { ContinuousIngestOptions } from './continuous-options.js';
import { ingestMonth } from './ingest-month.js';
import type { IngestDeps, IngestOptions, IngestResult } from './ingest-month.js';
import { loadManifests, manifestKey } from './manifest-v1.js';
import type { Topics } from './settings.js';

/** HEAD requests in flight at once during discovery. */
const HEAD_CONCURRENCY = 4;

export interface ContinuousIngestDeps extends Omit<IngestDeps, 'source'> {
  /** The HTTP source: `headMonth` discovers, `fetch` downloads. */
  readonly source: HttpSource;
  readonly metrics: IngestorMetrics;
  /** The clock that decides the current month and the timestamps in the status (default: the system's). */
  readonly now?: () => Date;
  /** Ingests one month (default ingestMonth; tests substitute it). */
  readonly ingest?: (ref: MonthRef, deps: IngestDeps, options: IngestOptions) => Promise<IngestResult>;
}

export interface ContinuousIngestSettings extends ContinuousIngestOptions {
  readonly topics: Topics;
}

/** A month whose last attempt failed: `month` is the manifest key, `service/YYYY-MM`. */
export interface MonthFailure {
  readonly month: string;
  readonly stage: 'head' | 'ingest';
  /** The error code (TAXI_ERR_…), or `unexpected` for an error without one. */
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** Failed attempts in this process, one per cycle. */
  readonly attempts: number;
  readonly at: string;
}

export interface IngestedMonth {
  readonly month: string;
  readonly rows: number;
  readonly messages: number;
  readonly sizeBytes: number;
  readonly durationMs: number;
  readonly at: string;
}

export interface CycleReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** ok: every published month ingested; partial: some failed; failed: the cycle itself failed (manifest unreadable); stopped: cut by stop(). */
  readonly outcome: 'ok' | 'partial' | 'failed' | 'stopped';
  /** Months of the window not in the manifest, whose publication was asked (HEAD). */
  readonly checked: number;
  readonly published: readonly string[];
  readonly ingested: readonly string[];
  readonly failed: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

export interface IngestorStatus {
  readonly state: 'idle' | 'running' | 'stopping' | 'stopped';
  readonly services: readonly string[];
  readonly lookBackMonths: number;
  readonly intervalMs: number;
  /** The window of the last cycle, oldest and newest month. */
  readonly window: { readonly from: string; readonly to: string } | null;
  /** Every month in the manifest as of the last cycle (and the months ingested since). */
  readonly manifest: { readonly months: number; readonly keys: readonly string[] };
  /** Published, not in the manifest, not yet attempted in the current cycle. */
  readonly pending: readonly string[];
  readonly current: string | null;
  /** Months of the window the source does not have yet (404). */
  readonly unpublished: readonly string[];
  readonly ingested: readonly IngestedMonth[];
  readonly failed: readonly MonthFailure[];
  readonly lastCycle: CycleReport | null;
  readonly nextCycleAt: string | null;
  readonly lastError: { readonly month?: string; readonly code: string; readonly message: string; readonly at: string } | null;
}

/** The `count` months ending with `now`'s month (UTC), oldest first; none before 2009-01, the TLC's first. */
export function monthsBack(now: Date, count: number): { year: number; month: number }[] {
  const last = now.getUTCFullYear() * 12 + now.getUTCMonth();
  const months: { year: number; month: number }[] = [];
  for (let i = last - count + 1; i <= last; i++) {
    const year = Math.floor(i / 12);
    if (year >= 2009) months.push({ year, month: (i % 12) + 1 });
  }
  return months;
}

/**
 * Every `intervalMs`, one cycle: read the manifest; for each month of the look-back window and
 * each service, oldest month first, a month not in the manifest is asked for (HEAD); the published
 * ones are ingested one at a time, each in its own transaction. A failing month is recorded with
 * its error code and retried on the next cycle; the others go on. Cycles never overlap.
 */
export class ContinuousIngestor {
  readonly #deps: ContinuousIngestDeps;
  readonly #settings: ContinuousIngestSettings;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #abort = new AbortController();
  #cycle: Promise<CycleReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped = false;
  #known = new Set<string>();
  #window: IngestorStatus['window'] = null;
  #pending: string[] = [];
  #current: string | null = null;
  #unpublished: string[] = [];
  readonly #ingested: IngestedMonth[] = [];
  readonly #failed = new Map<string, MonthFailure>();
  #lastCycle: CycleReport | null = null;
  #nextCycleAt: Date | undefined;
  #lastError: IngestorStatus['lastError'] = null;

  constructor(deps: ContinuousIngestDeps, settings: ContinuousIngestSettings) {
    this.#deps = deps;
    this.#settings = settings;
    this.#log = deps.log.child({ component: 'ingestor' });
    this.#now = deps.now ?? (() => new Date());
  }

  /** Schedules the cycles: the first now (runOnStart) or after one interval. */
  start(): void {
    if (this.#timer || this.#stopping) return;
    this.#schedule(this.#settings.runOnStart ? 0 : this.#settings.intervalMs);
  }

  /** Runs one cycle now; while one runs, returns that one. Never rejects: failures are in the report. */
  runCycle(): Promise<CycleReport> {
    this.#cycle ??= this.#run().finally(() => { this.#cycle = undefined; });
    return this.#cycle;
  }

  /**
   * Stops scheduling and waits for the cycle in progress: its current month may finish within
   * `drainTimeoutMs`, then it is aborted (its transaction too, so nothing of it becomes visible)
   * and ingested again by the next process. No month is started once stop() is called.
   */
  async stop(drainTimeoutMs = this.#settings.drainTimeoutMs): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextCycleAt = undefined;
    const cycle = this.#cycle;
    if (cycle) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late'); }, drainTimeoutMs); });
      const outcome = await Promise.race([cycle, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        this.#log.warn({ month: this.#current, durationMs: drainTimeoutMs }, 'the month in progress did not finish in time; aborting it');
        this.#abort.abort(new Error('the ingestor is stopping'));
        await cycle;
      }
    }
    this.#stopped = true;
  }

  status(): IngestorStatus {
    const state = this.#stopped ? 'stopped' : this.#stopping ? 'stopping' : this.#cycle ? 'running' : 'idle';
    const keys = [...this.#known].sort();
    return {
      state, services: this.#settings.services, lookBackMonths: this.#settings.lookBackMonths, intervalMs: this.#settings.intervalMs,
      window: this.#window, manifest: { months: keys.length, keys }, pending: [...this.#pending], current: this.#current,
      unpublished: [...this.#unpublished], ingested: [...this.#ingested], failed: [...this.#failed.values()],
      lastCycle: this.#lastCycle, nextCycleAt: this.#nextCycleAt?.toISOString() ?? null, lastError: this.#lastError,
    };
  }

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    this.#nextCycleAt = new Date(this.#now().getTime() + delayMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.runCycle().then((report) => { this.#schedule(Math.max(0, this.#settings.intervalMs - report.durationMs)); });
    }, delayMs);
  }

  async #run(): Promise<CycleReport> {
    const started = performance.now();
    const startedAt = this.#now();
    this.#nextCycleAt = undefined;
    const done = { published: [] as string[], ingested: [] as string[], failed: [] as string[], checked: 0 };
    let error: CycleReport['error'];
    try {
      const candidates = await this.#candidates(startedAt);
      done.checked = candidates.length;
      const published = await this.#discover(candidates, done.failed);
      done.published = published.map((ref) => manifestKey(ref));
      this.#pending = [...done.published];
      this.#deps.metrics.monthsPending.set(this.#pending.length);
      for (const ref of published) {
        if (this.#stopping) break;
        const key = manifestKey(ref);
        this.#pending.shift();
        const outcome = await this.#ingestOne(ref);
        if (outcome !== 'aborted') (outcome === 'ingested' ? done.ingested : done.failed).push(key);
        this.#deps.metrics.monthsPending.set(this.#pending.length);
      }
    } catch (cause) {
      error = { code: codeOf(cause), message: messageOf(cause) };
      this.#lastError = { ...error, at: this.#now().toISOString() };
      this.#log.error({ err: cause }, 'ingest cycle failed; the next cycle tries again');
    }
    const durationMs = performance.now() - started;
    // With no failure, a published month not ingested was cut by stop().
    const outcome = error ? 'failed' : done.failed.length > 0 ? 'partial' : done.ingested.length < done.published.length ? 'stopped' : 'ok';
    this.#deps.metrics.cycleSeconds.observe({ outcome }, durationMs / 1000);
    if (outcome === 'ok') this.#deps.metrics.lastSuccess.set(this.#now().getTime() / 1000);
    this.#lastCycle = { startedAt: startedAt.toISOString(), finishedAt: this.#now().toISOString(), durationMs: Math.round(durationMs), outcome, ...done, ...(error ? { error } : {}) };
    this.#log.info({ outcome, checked: done.checked, published: done.published.length, ingested: done.ingested.length, failed: done.failed.length, durationMs: Math.round(durationMs) }, 'ingest cycle done');
    return this.#lastCycle;
  }

  /** The window's months not in the manifest, oldest month first, then in the configured service order. */
  async #candidates(now: Date): Promise<MonthRef[]> {
    this.#known = new Set((await loadManifests(this.#deps.bus, this.#settings.topics.manifest)).keys());
    const months = monthsBack(now, this.#settings.lookBackMonths);
    const first = months[0];
    const last = months.at(-1);
    this.#window = first && last ? { from: monthKey(first), to: monthKey(last) } : null;
    const candidates = months.flatMap((m) => this.#settings.services.map((service): MonthRef => ({ service, ...m })))
      .filter((ref) => !this.#known.has(manifestKey(ref)));
    // A failure is current while its month is still a candidate (not ingested meanwhile, still in the window).
    const keys = new Set(candidates.map((ref) => manifestKey(ref)));
    for (const key of this.#failed.keys()) if (!keys.has(key)) this.#failed.delete(key);
    this.#deps.metrics.monthsFailing.set(this.#failed.size);
    return candidates;
  }

  /** HEAD each candidate; returns the published ones in the candidates' order. */
  async #discover(candidates: readonly MonthRef[], failed: string[]): Promise<MonthRef[]> {
    const unpublished: string[] = [];
    const answers = await mapLimit(candidates, HEAD_CONCURRENCY, async (ref) => {
      if (this.#stopping) return false;
      try {
        const head = await this.#deps.source.headMonth(ref, { signal: this.#abort.signal });
        if (!head.published) unpublished.push(manifestKey(ref));
        return head.published;
      } catch (cause) {
        if (!this.#abort.signal.aborted) { this.#fail(ref, 'head', cause); failed.push(manifestKey(ref)); }
        return false;
      }
    });
    this.#unpublished = unpublished.sort();
    return candidates.filter((_, i) => answers[i]);
  }

  /** Ingests one month: `ingested` when it is in the manifest afterwards (also when another process put it there). */
  async #ingestOne(ref: MonthRef): Promise<'ingested' | 'failed' | 'aborted'> {
    const key = manifestKey(ref);
    const started = performance.now();
    const fetched: FetchedFile[] = [];
    const source: Source = {
      name: this.#deps.source.name,
      fetch: async (r, options) => { const file = await this.#deps.source.fetch(r, options); fetched.push(file); return file; },
    };
    this.#current = key;
    let keepDownload = false;
    try {
      const result = await (this.#deps.ingest ?? ingestMonth)(ref, { ...this.#deps, log: this.#log, source }, { topics: this.#settings.topics, signal: this.#abort.signal });
      const { manifest } = result;
      const durationMs = Math.round(performance.now() - started);
      this.#known.add(key);
      this.#failed.delete(key);
      if (result.status === 'ingested') {
        this.#ingested.push({ month: key, rows: manifest.rows, messages: manifest.messages, sizeBytes: manifest.sizeBytes, durationMs, at: this.#now().toISOString() });
        this.#deps.metrics.monthsIngested.inc({ service: ref.service });
        this.#deps.metrics.rowsIngested.inc({ service: ref.service }, manifest.rows);
        this.#deps.metrics.sourceBytes.inc({ service: ref.service }, manifest.sizeBytes);
      }
      return 'ingested';
    } catch (cause) {
      if (this.#abort.signal.aborted) {
        this.#log.warn({ month: monthKey(ref), service: ref.service }, 'month aborted by shutdown; nothing of it is visible, the next start ingests it');
        keepDownload = true;
        return 'aborted';
      }
      this.#fail(ref, 'ingest', cause);
      // A retryable failure (a cut download, a broker outage) resumes from the kept file.
      keepDownload = isAppError(cause) && cause.retryable;
      return 'failed';
    } finally {
      this.#current = null;
      this.#deps.metrics.monthsFailing.set(this.#failed.size);
      if (!keepDownload) await this.#removeDownloads(fetched);
    }
  }

  #fail(ref: MonthRef, stage: MonthFailure['stage'], cause: unknown): void {
    const key = manifestKey(ref);
    const at = this.#now().toISOString();
    const code = codeOf(cause);
    const failure: MonthFailure = { month: key, stage, code, message: messageOf(cause), retryable: isAppError(cause) && cause.retryable,
      attempts: (this.#failed.get(key)?.attempts ?? 0) + 1, at };
    this.#failed.set(key, failure);
    this.#lastError = { month: key, code, message: failure.message, at };
    this.#deps.metrics.monthFailures.inc({ service: ref.service, reason: code });
    this.#log.error({ month: monthKey(ref), service: ref.service, stage, err: cause }, 'month failed; the next cycle tries again');
  }

  /** Downloads are deleted once used: a long-running ingestor would otherwise fill its disk. */
  async #removeDownloads(files: readonly FetchedFile[]): Promise<void> {
    for (const file of files) {
      if (!/^https?:/.test(file.uri)) continue; // a local source file is the user's, never deleted
      await rm(file.path, { force: true }).catch((error: unknown) => { this.#log.warn({ err: error, file: file.path }, 'could not delete a download'); });
    }
  }
}

function codeOf(error: unknown): string {
  return isAppError(error) ? error.code : 'unexpected';
}

/** Runs `fn` over `items` with at most `limit` calls at once; results in the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
