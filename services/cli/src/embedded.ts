// The embedded all-in-one: ingest into the in-process bus, process in the worker pool, write the
// local object store and the DuckDB warehouse. `taxi run` composes it.
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { memoryBus } from '../../../libs/bus/src/index.js';
import { defaultTopics, ingestMonth } from '../../../libs/ingest/src/index.js';
import type { IngestProgress } from '../../../libs/ingest/src/index.js';
import { localDirObjectStore } from '../../../libs/objectstore/src/index.js';
import { parquetWasmCodec } from '../../../libs/parquet/src/index.js';
import { checkConservation, fileDeadLetters, Pipeline } from '../../../libs/processor/src/index.js';
import { monthKey } from '../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../libs/schema/src/month.js';
import { ParquetSink } from '../../../libs/sinks/src/index.js';
import { localFileSource } from '../../../libs/source/src/index.js';
import { duckDbWarehouse } from '../../../libs/warehouse/src/index.js';

export interface EmbeddedRunOptions {
  readonly ref: MonthRef;
  readonly source: string;
  readonly outDir: string;
  readonly poolSize?: number;
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

export async function runEmbedded(options: EmbeddedRunOptions): Promise<EmbeddedRunResult> {
  const started = performance.now();
  const { ref, log } = options;
  const out = resolve(options.outDir);
  const month = monthKey(ref);
  const topics = defaultTopics();
  const bus = memoryBus();
  await bus.ensureTopics([{ name: topics.raw, partitions: options.poolSize ?? 2 }, { name: topics.manifest, partitions: 1, compacted: true }]);
  const store = localDirObjectStore({ root: join(out, 'objects') });
  await store.connect();
  const codec = parquetWasmCodec();
  const warehouse = duckDbWarehouse({ path: join(out, 'taxi.duckdb') });
  const rejectsPath = join(out, 'dlq', `${ref.service}-${month}.jsonl`);
  const processedPrefix = `processed/${ref.service}/year=${ref.year}/month=${String(ref.month).padStart(2, '0')}/`;
  let files = 0;
  const parquet = new ParquetSink(store, codec, {}, log.child({ component: 'parquet-sink' }), () => { files++; });
  try {
    await warehouse.connect();
    // Each run starts a new in-process bus, whose offsets start at 0: replace the month's outputs.
    await warehouse.query(`DELETE FROM trips WHERE service = '${ref.service}' AND source_month = '${month}'`);
    await warehouse.query('DELETE FROM _taxi_batches');
    await store.deletePrefix(processedPrefix);
    await rm(rejectsPath, { force: true });

    const ingested = await ingestMonth(ref, { source: localFileSource({ path: options.source }), store, bus, codec, log }, {
      topics, onProgress: (p: IngestProgress) => options.onProgress?.({ phase: 'ingest', rows: p.rows, total: 0 }),
    });
    const total = ingested.manifest.rows;
    let done = 0;
    const pipeline = new Pipeline({ parquet, warehouse, deadLetters: fileDeadLetters(rejectsPath), log, ...(options.poolSize ? { poolSize: options.poolSize } : {}),
      onDone: (_m, c) => { done += c.rowsIn; options.onProgress?.({ phase: 'process', rows: done, total }); } });
    try {
      const inFlight = new Set<Promise<void>>();
      const limit = 2 * (options.poolSize ?? 2);
      for await (const message of bus.readAll(topics.raw)) {
        const p = pipeline.handle(message).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
      await pipeline.drain();
      await parquet.close();
    } finally {
      await pipeline.close();
    }
    const counts = pipeline.counts.get(`${ref.service}/${month}`) ?? { rowsIn: 0, rowsOut: 0, rejected: {}, badMessages: 0 };
    checkConservation(`${ref.service} ${month}`, counts);
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
