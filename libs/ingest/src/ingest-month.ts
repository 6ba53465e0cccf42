import type { Table } from 'apache-arrow';
import type { Logger } from 'pino';
import type { Bus, BusTransaction, MessagePosition } from '../../bus/src/index.js';
import { checksumOf, encodeEnvelope, iterateSlices } from '../../envelope/src/index.js';
import type { Slice } from '../../envelope/src/index.js';
import type { ObjectStore } from '../../objectstore/src/index.js';
import type { ParquetCodec, ParquetFileReader, RowGroupInfo, RowRange } from '../../parquet/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { monthKey } from '../../schema/src/month.js';
import type { MonthRef } from '../../schema/src/month.js';
import { normalizeRowGroup } from '../../schema/src/normalize.js';
import type { FetchedFile, Source } from '../../source/src/index.js';
import { encodeManifest, loadManifests, manifestKey } from './manifest-v1.js';
import type { ManifestV1, PartitionRange } from './manifest-v1.js';
import type { Topics } from './settings.js';

export interface IngestDeps {
  readonly source: Source;
  readonly store: ObjectStore;
  readonly bus: Bus;
  readonly codec: ParquetCodec;
  readonly log: Logger;
}

export interface IngestProgress {
  readonly phase: 'fetch' | 'raw-copy' | 'produce' | 'commit';
  readonly rowGroupsDone: number;
  readonly rowGroups: number;
  readonly rows: number;
  readonly bytes: number;
}

export interface IngestResult {
  readonly status: 'ingested' | 'skipped';
  readonly manifest: ManifestV1;
  readonly seconds: number;
  readonly rawKey?: string;
  /** Arrow IPC bytes produced (message values). */
  readonly producedBytes?: number;
}

export interface IngestOptions {
  readonly topics: Topics;
  readonly force?: boolean;
  readonly onProgress?: (progress: IngestProgress) => void;
  /**
   * Aborts the month: the download stops (its `.part` is kept for a resume) or the transaction is
   * aborted before the next row group, and the promise rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** raw/{service}/{yyyy}/{mm}/{original file name} */
export function rawKey(ref: MonthRef, fileName: string): string {
  return `raw/${ref.service}/${ref.year}/${String(ref.month).padStart(2, '0')}/${fileName}`;
}

/**
 * Ingests one month: fetch, raw copy, then every row group normalised, sliced and produced to the
 * raw topic inside one transaction that also writes the month's manifest record. Either the whole
 * month becomes visible with its manifest, or (on any error) nothing does. A month already in the
 * manifest is skipped unless `force`.
 */
export async function ingestMonth(ref: MonthRef, deps: IngestDeps, options: IngestOptions): Promise<IngestResult> {
  const started = performance.now();
  const ingestedAt = new Date().toISOString();
  const { topics } = options;
  const key = manifestKey(ref);
  const log = deps.log.child({ month: monthKey(ref), service: ref.service });
  const known = (await loadManifests(deps.bus, topics.manifest)).get(key);
  if (known && !options.force) {
    log.info({ ingestedAt: known.ingestedAt }, 'month already in the manifest; skipped (use --force to ingest again)');
    return { status: 'skipped', manifest: known, seconds: (performance.now() - started) / 1000 };
  }
  const report = (p: Omit<IngestProgress, 'rowGroups'> & { rowGroups?: number }): void => options.onProgress?.({ rowGroups: 0, ...p });

  report({ phase: 'fetch', rowGroupsDone: 0, rows: 0, bytes: 0 });
  const file = await deps.source.fetch(ref, {
    onProgress: (bytes) => { report({ phase: 'fetch', rowGroupsDone: 0, rows: 0, bytes }); },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.signal?.throwIfAborted();
  report({ phase: 'raw-copy', rowGroupsDone: 0, rows: 0, bytes: file.sizeBytes });
  const raw = rawKey(ref, file.fileName);
  await deps.store.putFile(raw, file.path, { contentType: 'application/vnd.apache.parquet', metadata: { sha256: file.sha256, source: file.uri } });
  log.info({ key: raw, bytes: file.sizeBytes, store: deps.store.location }, 'raw copy stored');

  const reader = await deps.codec.open(file.path);
  const txn = await deps.bus.transaction();
  try {
    const produced = await produceMonth(ref, file, reader, txn, deps.bus, { ...options, ingestedAt }, (done, rows, bytes) => {
      report({ phase: 'produce', rowGroupsDone: done, rowGroups: reader.info.rowGroups.length, rows, bytes });
    });
    const manifest: ManifestV1 = {
      version: 1, service: ref.service, month: monthKey(ref), source: file.uri, fileName: file.fileName, sizeBytes: file.sizeBytes,
      sha256: file.sha256, rows: produced.rows, rowGroups: reader.info.rowGroups.length, schema: canonicalSchema(ref.service).fingerprint,
      unknownColumns: produced.unknownColumns, topic: topics.raw, partitions: produced.partitions, messages: produced.messages,
      ingestedAt,
    };
    report({ phase: 'commit', rowGroupsDone: reader.info.rowGroups.length, rowGroups: reader.info.rowGroups.length, rows: produced.rows, bytes: produced.bytes });
    await txn.send(topics.manifest, [{ key, value: encodeManifest(manifest), headers: { 'taxi-manifest': '1' }, partition: 0 }]);
    await txn.commit();
    const seconds = (performance.now() - started) / 1000;
    log.info({ rows: manifest.rows, messages: manifest.messages, bytes: produced.bytes, durationMs: Math.round(seconds * 1000) }, 'month ingested');
    return { status: 'ingested', manifest, seconds, rawKey: raw, producedBytes: produced.bytes };
  } catch (error) {
    await txn.abort();
    throw error;
  } finally {
    reader.close();
  }
}

interface Produced {
  readonly rows: number;
  readonly messages: number;
  readonly bytes: number;
  readonly partitions: PartitionRange[];
  readonly unknownColumns: string[];
}

/**
 * Rows of the first row group decoded on their own before the rest of it. Nothing is produced
 * before a decode ends, and the TLC writes row groups of about a million rows (in `taxi run` of
 * the synthetic month the decode thread was busy a second with the first one, its own start
 * included), so the first message would wait for a whole row group; with a head of this
 * many rows it waits for them only, and the rest of the row group decodes while they are produced.
 * Later row groups decode while the one before them is produced, so they are read whole.
 */
export const HEAD_ROWS = 131_072;

/** What is decoded at a time: a row group, or a range of its rows. */
interface Part { readonly group: number; readonly rows?: RowRange }

/** The row groups in order, the first split into its head and the rest when it is large. */
function partsOf(groups: readonly RowGroupInfo[]): Part[] {
  return groups.flatMap((g): Part[] => (g.index === 0 && g.numRows >= 2 * HEAD_ROWS
    ? [{ group: 0, rows: { offset: 0, count: HEAD_ROWS } }, { group: 0, rows: { offset: HEAD_ROWS, count: g.numRows - HEAD_ROWS } }]
    : [{ group: g.index }]));
}

/** Produces every row group; decodes the next part while the current one is sent. */
async function produceMonth(
  ref: MonthRef, file: FetchedFile, reader: ParquetFileReader, txn: BusTransaction, bus: Bus, options: IngestOptions & { ingestedAt: string },
  progress: (rowGroupsDone: number, rows: number, bytes: number) => void,
): Promise<Produced> {
  const schema = canonicalSchema(ref.service);
  const partitions = await bus.partitionCount(options.topics.raw);
  const ranges = new Map<number, { first: string; last: string; messages: number; rows: number }>();
  const unknown = new Set<string>();
  let rows = 0; let messages = 0; let bytes = 0; let firstRowOfGroup = 0;
  const parts = partsOf(reader.info.rowGroups);
  const read = (part: Part): Promise<Table> => reader.readRowGroup(part.group, part.rows);
  let next: Promise<Table> | undefined = parts[0] ? read(parts[0]) : undefined;
  for (let p = 0; p < parts.length; p++) {
    const { group: g, rows: range } = parts[p] as Part;
    const decoded = await (next as Promise<Table>);
    const following = parts[p + 1];
    next = following ? read(following) : undefined;
    next?.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection meanwhile
    options.signal?.throwIfAborted();
    // Index in the file of the part's first row.
    const firstRowOfPart = firstRowOfGroup + (range?.offset ?? 0);
    const { table, unknownColumns } = normalizeRowGroup({ table: decoded, schema, file: file.fileName, rowGroup: g, firstRow: range?.offset ?? 0 });
    unknownColumns.forEach((c) => unknown.add(c));
    const round: { slice: Slice; partition: number }[] = [];
    const flush = async (): Promise<void> => {
      const positions = await txn.send(options.topics.raw, round.map(({ slice, partition }) => ({
        key: `${manifestKey(ref)}/${g}/${firstRowOfPart + slice.offset}`, value: slice.ipc, partition,
        headers: encodeEnvelope({ source: file.uri, service: ref.service, month: monthKey(ref), rowGroup: g,
          firstRow: firstRowOfPart + slice.offset, rowCount: slice.rowCount, schema: schema.fingerprint, ingestedAt: options.ingestedAt, checksum: checksumOf(slice.ipc) }),
      })));
      positions.forEach((p, i) => { record(ranges, p, round[i]?.slice.rowCount ?? 0); });
      round.length = 0;
    };
    // Kafka limits a partition's record batch per request, so each send carries one slice per partition.
    for (const slice of iterateSlices(table, options.topics.maxMessageBytes)) {
      round.push({ slice, partition: messages % partitions });
      messages++; rows += slice.rowCount; bytes += slice.ipc.byteLength;
      if (round.length === partitions) await flush();
    }
    if (round.length > 0) await flush();
    // The row group is done when its last part is.
    if (parts[p + 1]?.group !== g) {
      firstRowOfGroup += reader.info.rowGroups[g]?.numRows ?? 0;
      progress(g + 1, rows, bytes);
    }
  }
  checkRowCount(reader, rows, file);
  return {
    rows, messages, bytes, unknownColumns: [...unknown],
    partitions: [...ranges].sort(([a], [b]) => a - b).map(([partition, r]) => ({ partition, firstOffset: r.first, lastOffset: r.last, messages: r.messages, rows: r.rows })),
  };
}

function record(ranges: Map<number, { first: string; last: string; messages: number; rows: number }>, p: MessagePosition, rows: number): void {
  const range = ranges.get(p.partition);
  if (!range) ranges.set(p.partition, { first: p.offset, last: p.offset, messages: 1, rows });
  else { range.last = p.offset; range.messages++; range.rows += rows; }
}

function checkRowCount(reader: ParquetFileReader, rows: number, file: FetchedFile): void {
  if (rows !== reader.info.numRows) {
    throw new Error(`${file.fileName}: produced ${rows} rows but the footer declares ${reader.info.numRows}`);
  }
}

