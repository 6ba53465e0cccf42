import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus, BusMessage, OffsetRange } from '../../bus/src/index.js';
import { AppError, isAppError, messageOf } from '../../errors/src/index.js';
import { loadManifests, manifestKey } from '../../ingest/src/index.js';
import type { ManifestV1, Topics } from '../../ingest/src/index.js';
import type { ObjectStore } from '../../objectstore/src/index.js';
import type { ParquetCodec } from '../../parquet/src/index.js';
import { checkConservation, Pipeline } from '../../processor/src/index.js';
import type { DeadLetterSink, MonthCounts } from '../../processor/src/index.js';
import { monthKey } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import { ParquetSink } from '../../sinks/src/index.js';
import type { ParquetSinkInput } from '../../sinks/src/index.js';
import type { Warehouse } from '../../warehouse/src/index.js';

export interface ReplayDeps {
  readonly bus: Bus;
  readonly store: ObjectStore;
  readonly codec: ParquetCodec;
  /** The live warehouse: the replay stages into a table beside it, then swaps the month in. */
  readonly warehouse: Warehouse;
  readonly deadLetters: DeadLetterSink;
  readonly log: Logger;
  readonly topics: Topics;
  /** The live processors' consumer group: the replay only reads its offsets, never moves them. */
  readonly liveGroupId: string;
  /** The live Parquet sink's options (prefix, compression, row groups, roll sizes). */
  readonly parquet?: ParquetSinkInput;
  readonly poolSize?: number;
}

export type ReplayPhase = 'check' | 'read' | 'publish' | 'done';

export interface ReplayProgress {
  readonly phase: ReplayPhase;
  readonly rows: number;
  readonly total: number;
}

export interface ReplayOptions {
  /** Raw messages transformed at once (default 2 per pool thread). */
  readonly maxInFlight?: number;
  readonly onProgress?: (p: ReplayProgress) => void;
}

export interface ReplayResult {
  readonly runId: string;
  readonly ranges: readonly OffsetRange[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: Record<string, number>;
  readonly badMessages: number;
  readonly files: number;
  /** The month's rows in the warehouse after the swap. */
  readonly warehouseRows: number;
  readonly seconds: number;
  readonly outputs: { readonly processed: string; readonly warehouse: string; readonly deadLetters: string };
}

/** Where a month's processed files live: `{prefix}/{service}/year=YYYY/month=MM/`. */
export function monthPrefix(prefix: string, ref: MonthRef): string {
  return `${prefix}/${ref.service}/year=${ref.year}/month=${String(ref.month).padStart(2, '0')}/`;
}

/** The staging area of a month's replay: one replay of a month at a time, cleared when it starts. */
export const stagingRoot = (ref: MonthRef): string => `staging/replay/${ref.service}/${monthKey(ref)}/`;
export const stagingTable = (ref: MonthRef): string => `replay_staging_${ref.service}_${monthKey(ref).replace('-', '_')}`;

/**
 * Replays a month by topic offset: reads exactly the manifest's offset ranges with its own reader
 * (the live group's offsets never move), applies the current transform, writes the month to a
 * staging prefix and a staging table, then swaps them in. The warehouse swap is one transaction;
 * the object store has no multi-object transaction, so files are copied over the month's keys
 * (each copy atomic) and stale ones deleted after: a reader listing the prefix during that step
 * may see both generations of files that do not share a name. A killed replay leaves the live
 * month as it was (or, killed while publishing, partly swapped) and is simply run again: it starts
 * from scratch and converges.
 */
export async function replayMonth(ref: MonthRef, deps: ReplayDeps, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const runId = `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const month = monthKey(ref);
  const what = `${ref.service} ${month}`;
  const log = deps.log.child({ replay: runId, service: ref.service, month });
  const progress = (phase: ReplayPhase, rows: number, total: number): void => options.onProgress?.({ phase, rows, total });

  progress('check', 0, 0);
  const manifest = (await loadManifests(deps.bus, deps.topics.manifest)).get(manifestKey(ref));
  if (!manifest) {
    throw new AppError('TAXI_ERR_REPLAY_MONTH_UNKNOWN', `${what} is not in the manifest topic ${deps.topics.manifest}: it was never ingested. Ingest it first: taxi ingest --service ${ref.service} --month ${month}`);
  }
  const ranges: OffsetRange[] = manifest.partitions.map((p) => ({ partition: p.partition, fromOffset: p.firstOffset, toOffset: p.lastOffset }));
  await checkReadable(deps.bus, manifest, ranges, ref);
  await checkLiveGroupPast(deps.bus, deps.liveGroupId, manifest, ranges, what);
  log.info({ ranges, rows: manifest.rows, messages: manifest.messages }, 'replay: reading the month');

  const processedPrefix = deps.parquet?.prefix ?? 'processed';
  const staging = stagingRoot(ref);
  await deps.store.deletePrefix(staging);
  const stagedWarehouse = await deps.warehouse.staging(stagingTable(ref));
  let files = 0;
  const parquet = new ParquetSink(deps.store, deps.codec, { ...deps.parquet, prefix: `${staging}${processedPrefix}` }, log.child({ component: 'parquet-sink' }), () => { files++; });
  const deadLetters: DeadLetterSink = {
    location: deps.deadLetters.location,
    write: (letters) => deps.deadLetters.write(letters.map((l) => ({ ...l, replay: runId }))),
  };
  let done = 0;
  const pipeline = new Pipeline({
    parquet, warehouse: stagedWarehouse, deadLetters, log, ...(deps.poolSize ? { poolSize: deps.poolSize } : {}),
    onDone: (_m, c) => { done += c.rowsIn; progress('read', done, manifest.rows); },
  });
  let counts: MonthCounts;
  try {
    await stagedWarehouse.connect();
    await readMonth(deps.bus, manifest, ranges, ref, pipeline, options.maxInFlight ?? 2 * (deps.poolSize ?? 2));
    await parquet.close();
    counts = pipeline.counts.get(`${ref.service}/${month}`) ?? { rowsIn: 0, rowsOut: 0, rejected: {}, badMessages: 0 };
  } finally {
    await pipeline.close();
    await stagedWarehouse.close();
  }
  checkConservation(what, counts);
  if (counts.badMessages === 0 && counts.rowsIn !== manifest.rows) {
    throw new AppError('TAXI_ERR_REPLAY_INCOMPLETE', `${what}: read ${counts.rowsIn} rows from offsets ${describeRanges(ranges)}, the manifest says ${manifest.rows}; nothing was replaced`);
  }

  progress('publish', counts.rowsIn, manifest.rows);
  const target = monthPrefix(processedPrefix, ref);
  const published = await swapObjects(deps.store, `${staging}${processedPrefix}/`, `${processedPrefix}/`, target);
  const warehouseRows = await deps.warehouse.replaceMonth(ref.service, month, stagingTable(ref));
  if (warehouseRows !== counts.rowsOut) {
    throw new AppError('TAXI_ERR_REPLAY_INCOMPLETE', `${what}: the warehouse holds ${warehouseRows} rows of the month after the swap, the replay wrote ${counts.rowsOut}`);
  }
  await deps.store.deletePrefix(staging);
  progress('done', counts.rowsIn, manifest.rows);
  const seconds = (performance.now() - started) / 1000;
  log.info({ rows: counts.rowsIn, rowsOut: counts.rowsOut, rejected: counts.rejected, files: published.copied, staleRemoved: published.removed, seconds }, 'replay: month replaced');
  return {
    runId, ranges, rowsRead: counts.rowsIn, rowsWritten: counts.rowsOut, rowsRejected: counts.rejected, badMessages: counts.badMessages,
    files, warehouseRows, seconds, outputs: { processed: `${deps.store.location}/${target}`, warehouse: deps.warehouse.location, deadLetters: deps.deadLetters.location },
  };
}

const describeRanges = (ranges: readonly OffsetRange[]): string => ranges.map((r) => `${r.partition}:${r.fromOffset}-${r.toOffset}`).join(', ');

function offsetsGone(ref: MonthRef, topic: string, partition: number, first: string, low: string): AppError {
  return new AppError('TAXI_ERR_REPLAY_OFFSETS_GONE',
    `${ref.service} ${monthKey(ref)}: offset ${first} of ${topic} partition ${partition} is gone (retention; the first readable offset is ${low}). Re-ingest the month from the source: taxi ingest --service ${ref.service} --month ${monthKey(ref)} --force`,
    { context: { topic, partition, offset: Number(first) } });
}

/** Every range must still be in the topic: fail before any work, naming the first missing offset. */
async function checkReadable(bus: Bus, manifest: ManifestV1, ranges: readonly OffsetRange[], ref: MonthRef): Promise<void> {
  const bounds = new Map((await bus.bounds(manifest.topic)).map((b) => [b.partition, b]));
  for (const r of ranges) {
    const b = bounds.get(r.partition);
    if (!b) throw offsetsGone(ref, manifest.topic, r.partition, r.fromOffset, 'none: the partition is missing');
    if (BigInt(r.fromOffset) < BigInt(b.low)) throw offsetsGone(ref, manifest.topic, r.partition, r.fromOffset, b.low);
    if (BigInt(r.toOffset) >= BigInt(b.high)) throw offsetsGone(ref, manifest.topic, r.partition, b.high, b.low);
  }
}

/** The live group must be past the month everywhere, or it would write the month after the replay. */
async function checkLiveGroupPast(bus: Bus, groupId: string, manifest: ManifestV1, ranges: readonly OffsetRange[], what: string): Promise<void> {
  if (bus.name === 'memory') return; // no consumer groups in-process
  const committed = new Map((await bus.groupOffsets(groupId, manifest.topic)).map((o) => [o.partition, o.offset]));
  const behind = ranges.filter((r) => { const c = committed.get(r.partition); return c === undefined || BigInt(c) <= BigInt(r.toOffset); });
  if (behind.length > 0) {
    throw new AppError('TAXI_ERR_REPLAY_MONTH_NOT_PROCESSED', `${what}: the live group ${groupId} has not processed the month yet on partition(s) ${behind.map((r) => `${r.partition} (committed ${committed.get(r.partition) ?? 'nothing'}, month ends at ${r.toOffset})`).join(', ')}; replay it once the processors have caught up`);
  }
}

async function readMonth(bus: Bus, manifest: ManifestV1, ranges: readonly OffsetRange[], ref: MonthRef, pipeline: Pipeline, maxInFlight: number): Promise<void> {
  const month = monthKey(ref);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const mine = (m: BusMessage): boolean => m.headers.service === ref.service && m.headers.month === month;
  try {
    for await (const message of bus.readRanges(manifest.topic, ranges)) {
      if (failure !== undefined) break;
      // Other months' messages may sit between the month's first and last offsets.
      if (!mine(message)) continue;
      const p = pipeline.handle(message).catch((error: unknown) => { failure ??= error; }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
  } catch (error) {
    if (isAppError(error) && error.code === 'TAXI_ERR_BUS_OFFSET_GONE') {
      const ctx = error.context as { partition?: number; offset?: number } | undefined;
      throw offsetsGone(ref, manifest.topic, ctx?.partition ?? -1, String(ctx?.offset ?? '?'), 'unknown');
    }
    throw error;
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(messageOf(failure));
}

/**
 * Publishes staged files: each is copied over its live key (same names: offsets decide them), then
 * live files of the month the replay did not produce are deleted. Returns what it did.
 */
async function swapObjects(store: ObjectStore, stagedPrefix: string, livePrefix: string, monthTarget: string): Promise<{ copied: number; removed: number }> {
  const fresh = new Set<string>();
  for await (const o of store.list(`${stagedPrefix}${monthTarget.slice(livePrefix.length)}`)) {
    const key = `${livePrefix}${o.key.slice(stagedPrefix.length)}`;
    await store.copy(o.key, key);
    fresh.add(key);
  }
  let removed = 0;
  for await (const o of store.list(monthTarget)) {
    if (!fresh.has(o.key)) { await store.delete(o.key); removed++; }
  }
  return { copied: fresh.size, removed };
}
