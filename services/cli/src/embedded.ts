// The embedded all-in-one: ingest into the in-process bus, process in the worker pool, write the
// local object store and the DuckDB warehouse. `taxi run` composes it.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { memoryBus } from '../../../libs/bus/src/memory.js';
import { AppError } from '../../../libs/errors/src/index.js';
import { defaultTopics, ingestMonth } from '../../../libs/ingest/src/index.js';
import type { IngestProgress } from '../../../libs/ingest/src/index.js';
import { localDirObjectStore } from '../../../libs/objectstore/src/local-dir.js';
import { parquetCodec } from '../../../libs/parquet/src/index.js';
import type { ParquetOptions } from '../../../libs/parquet/src/index.js';
import { checkConservation, fileDeadLetters, Pipeline } from '../../../libs/processor/src/index.js';
import { monthKey } from '../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../libs/schema/src/month.js';
import { ParquetSink } from '../../../libs/sinks/src/index.js';
import { localFileSource } from '../../../libs/source/src/index.js';
import { duckDbWarehouseOnThread } from '../../../libs/warehouse/src/duckdb-thread.js';

export interface EmbeddedRunOptions {
  readonly ref: MonthRef;
  readonly source: string;
  readonly outDir: string;
  readonly poolSize?: number;
  /** The Parquet decoder and encoder (config `parquet`); the defaults when absent. */
  readonly parquet?: Readonly<ParquetOptions>;
  readonly log: Logger;
  readonly onProgress?: (p: { phase: 'ingest' | 'process'; rows: number; total: number }) => void;
}

export interface EmbeddedRunResult {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsRejected: Record<string, number>;
  readonly seconds: number;
  readonly outputs: { readonly raw: string; readonly processed: string; readonly warehouse: string; readonly rejects: string };
  readonly processedFiles: number;
}

/** Most raw message bytes the embedded bus holds between the ingest and the pipeline. */
const EMBEDDED_BUFFER_BYTES = 64 * 1024 * 1024;

export async function runEmbedded(options: EmbeddedRunOptions): Promise<EmbeddedRunResult> {
  const started = performance.now();
  const { ref, log } = options;
  const out = resolve(options.outDir);
  const month = monthKey(ref);
  const topics = defaultTopics();
  const bus = memoryBus({ maxBufferedBytes: EMBEDDED_BUFFER_BYTES });
  await bus.ensureTopics([{ name: topics.raw, partitions: options.poolSize ?? 2 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const store = localDirObjectStore({ root: join(out, 'objects') });
  await store.connect();
  const codec = parquetCodec(options.parquet);
  const warehouse = duckDbWarehouseOnThread({ path: join(out, 'taxi.duckdb') });
  const rejectsPath = join(out, 'dlq', `${ref.service}-${month}.jsonl`);
  const processedPrefix = `processed/${ref.service}/year=${ref.year}/month=${String(ref.month).padStart(2, '0')}/`;
  let files = 0;
  const parquet = new ParquetSink(store, codec, {}, log.child({ component: 'parquet-sink' }), () => { files++; });
  // Each run starts a new in-process bus, whose offsets start at 0: the month's outputs are
  // replaced (and removed again should the run fail half way).
  const clearMonth = async (): Promise<void> => {
    await warehouse.query(`DELETE FROM trips WHERE service = '${ref.service}' AND source_month = '${month}'`);
    await warehouse.query('DELETE FROM _taxi_batches');
    await store.deletePrefix(processedPrefix);
    await rm(rejectsPath, { force: true });
  };
  try {
    await warehouse.connect();
    await clearMonth();
    let produced = 0;
    let done = 0;
    const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(rejectsPath), log, ...(options.poolSize ? { poolSize: options.poolSize } : {}),
      onDone: (m, c) => {
        // Durable in every sink: the bus may forget it (messages of a partition finish in offset order).
        bus.deleteRecords(m.topic, m.partition, String(BigInt(m.offset) + 1n));
        done += c.rowsIn;
        options.onProgress?.({ phase: 'process', rows: done, total: produced });
      } });
    // Ingest and process at once: the pipeline reads the month's messages as the ingest sends
    // them (read_uncommitted), and the ingest waits while the bus holds EMBEDDED_BUFFER_BYTES.
    const stopIngest = new AbortController();
    const ingesting = ingestMonth(ref, { source: localFileSource({ path: options.source }), store, bus, codec, log }, {
      topics, signal: stopIngest.signal, onProgress: (p: IngestProgress) => { produced = p.rows; options.onProgress?.({ phase: done > 0 ? 'process' : 'ingest', rows: done > 0 ? done : p.rows, total: produced }); },
    });
    let ingested: Awaited<typeof ingesting>;
    try {
      try {
        const inFlight = new Set<Promise<void>>();
        const limit = 2 * (options.poolSize ?? 2);
        for await (const message of bus.follow(topics.raw, ingesting)) {
          const p = pipeline.handle(message).finally(() => inFlight.delete(p));
          inFlight.add(p);
          if (inFlight.size >= limit) await Promise.race(inFlight);
        }
        await pipeline.drain();
        ingested = await ingesting;
        await parquet.close();
      } finally {
        ingesting.catch(() => undefined); // awaited above, or the run failed first
        await pipeline.close();
      }
    } catch (error) {
      // The pipeline or the ingest failed: stop the other, then remove what the run wrote.
      stopIngest.abort(error);
      await bus.close();
      await ingesting.catch(() => undefined);
      await pipeline.drain().catch(() => undefined);
      await parquet.settled().catch(() => undefined);
      await clearMonth().catch((e: unknown) => { log.error({ err: e }, 'could not remove the failed run\'s partial outputs'); });
      throw error;
    }
    const counts = pipeline.counts.get(`${ref.service}/${month}`) ?? { rowsIn: 0, rowsOut: 0, rejected: {}, badMessages: 0 };
    checkConservation(`${ref.service} ${month}`, counts);
    if (counts.rowsIn !== ingested.manifest.rows) {
      throw new AppError('TAXI_ERR_PROCESSOR_CONSERVATION', `${ref.service} ${month}: ${ingested.manifest.rows} rows ingested but ${counts.rowsIn} processed`);
    }
    return {
      rowsRead: counts.rowsIn, rowsWritten: counts.rowsOut, rowsRejected: counts.rejected, seconds: (performance.now() - started) / 1000,
      outputs: { raw: join(out, 'objects', ingested.rawKey ?? ''), processed: join(out, 'objects', processedPrefix), warehouse: join(out, 'taxi.duckdb'), rejects: rejectsPath },
      processedFiles: files,
    };
  } finally {
    await warehouse.close();
    await codec.destroy();
    await store.close();
  }
}
