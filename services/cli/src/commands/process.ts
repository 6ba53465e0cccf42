import { hostname } from 'node:os';
import { kafkaGroupConsumer } from '../../../../libs/bus/src/index.js';
import { parquetCodec } from '../../../../libs/parquet/src/index.js';
import { busDeadLetters, DEAD_LETTER_TRANSACTION_TIMEOUT_MS, CheckpointStore, KafkaProcessor, Pipeline } from '../../../../libs/processor/src/index.js';
import { ParquetSink } from '../../../../libs/sinks/src/index.js';
import { buildHttpApp, processorMetrics, registerDashboard, serviceRegistry, sumRejected } from '../../../../libs/telemetry/src/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { processorHealth } from '../processor-health.js';
import { buildBus, buildStore, buildWarehouse, loadKafkaConfig } from '../wiring.js';
import { cliLogger } from '../logging.js';

const usage = `Usage: taxi process [--brokers LIST] [--config FILE] [--exit-when-idle SECONDS]

Runs a processor: a member of the consumer group on the raw topic that transforms each batch in a
worker pool and writes processed Parquet to the object store and rows to the warehouse, committing
offsets only after both hold them. Rejected rows and undecodable messages go to the DLQ topic.
SIGTERM/SIGINT: stop fetching, drain, write open files, commit, exit 0.

  --brokers LIST            Kafka bootstrap brokers (or TAXI__BUS__KAFKA__BROKERS)
  --config FILE             JSON config file (or TAXI_CONFIG)
  --exit-when-idle SECONDS  stop gracefully after SECONDS with nothing left to read (batch use, tests)`;

export const processCommand: Command = {
  usage,
  async run(args) {
    const { values } = parseCommandArgs('process', args, {
      brokers: { type: 'string' }, config: { type: 'string' }, 'exit-when-idle': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    const config = loadKafkaConfig('process', values, 'reads Kafka');
    const idleSeconds = values['exit-when-idle'] === undefined ? undefined : Number(values['exit-when-idle']);
    const log = cliLogger(config).child({ component: 'processor' });
    const { groupId } = config.processor;
    const bus = buildBus({ ...config, bus: { ...config.bus, kafka: { ...config.bus.kafka, transactionalId: `${groupId}-dlq-${hostname()}-${process.pid}`, transactionTimeoutMs: DEAD_LETTER_TRANSACTION_TIMEOUT_MS } } }, log);
    const store = await buildStore(config);
    const codec = parquetCodec(config.parquet);
    // DuckDB runs on a thread of its own (duckdb-thread.ts), as in taxi run and replay: it paces
    // the processor on this one. Measured on a month (bench, compiled, 2 runs each): process-1
    // 16.4 / 15.4 s against 18.0 / 18.8 / 18.0 s in this thread, e2e 19.1 / 19.3 s against
    // 22.9 / 22.1 s; its price is memory, peak RSS 1,239 / 1,288 / 1,370 MiB at 1× / 2× / 4× a month
    // (bench --scope memory) against 1,108 / 1,140 / 1,170 MiB in this thread (the harness on b742a42),
    // under the 1.5 GiB it must stay below.
    const warehouse = await buildWarehouse(config);
    await Promise.all([bus.connect(), store.connect(), warehouse.connect()]);
    await bus.ensureTopics([{ name: config.topics.dlq, partitions: config.topics.rawPartitions }]);
    const parquet = new ParquetSink(store, codec, config.sinks.parquet, log.child({ component: 'parquet-sink' }),
      (file) => {
        if (file.topic !== config.topics.raw) return;
        // Committed at the next interval (processor.commitIntervalMs), as far as the warehouse has
        // made the file's messages durable too (Warehouse.pendingFrom).
        processor.noteFlushed(file.partition, file.lastOffset);
      });
    const registry = serviceRegistry('taxi_processor_');
    const consumer = kafkaGroupConsumer(config.bus.kafka, { groupId, partitionsConcurrently: config.topics.rawPartitions });
    // The gauges read the pipeline and the processor, which are built with the metrics: a holder breaks the cycle.
    const live: { pipeline?: Pipeline; processor?: KafkaProcessor } = {};
    const metrics = processorMetrics(registry, { poolUtilization: () => live.pipeline?.utilization ?? 0, inFlight: () => live.processor?.inFlight ?? 0, consumerLag: () => consumer.lag() });
    const pipeline = new Pipeline({ parquet, warehouse, deadLetters: busDeadLetters(bus, config.topics.dlq), log, metrics, ...(config.processor.poolSize ? { poolSize: config.processor.poolSize } : {}) });
    live.pipeline = pipeline;
    const processor = new KafkaProcessor({ consumer, pipeline, parquet, warehouse, store, checkpoints: new CheckpointStore(store, groupId), log,
      topic: config.topics.raw, processedPrefix: config.sinks.parquet.prefix, maxInFlight: config.processor.maxInFlight, commitIntervalMs: config.processor.commitIntervalMs });
    live.processor = processor;

    let stopping: Promise<number> | undefined;
    let started = false;
    const health = processorHealth({ bus, store, warehouse, pipeline, processor, consumer, groupId, topic: config.topics.raw,
      started: () => started, draining: () => stopping !== undefined, readiness: config.http.readiness });
    await health.start();
    const app = buildHttpApp(registry, health.health);
    // Rejects never reach the warehouse: the dashboard shows this processor's counts since it started.
    registerDashboard(app, { warehouse, rejects: () => sumRejected(pipeline.counts.values()) });
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    log.info({ address }, 'http: /healthz /readyz /metrics /status /dashboard');
    const stop = (why: string): Promise<number> => {
      stopping ??= (async () => {
        log.info({ why }, 'stopping: drain, flush, commit');
        const deadline = setTimeout(() => { log.error('shutdown deadline passed'); process.exit(1); }, config.processor.shutdownDeadlineMs);
        try {
          await processor.stop();
          health.stop();
          await pipeline.close();
          await parquet.close();
          await Promise.all([warehouse.close(), bus.close(), store.close(), codec.destroy(), app.close()]);
        } finally { clearTimeout(deadline); }
        for (const [month, c] of pipeline.counts) log.info({ month, rows: c.rowsIn, rowsOut: c.rowsOut, rejected: c.rejected, badMessages: c.badMessages }, 'month counts');
        return processor.failure ? 1 : 0;
      })();
      return stopping;
    };
    process.once('SIGTERM', () => { void stop('SIGTERM').then((code) => process.exit(code)); });
    process.once('SIGINT', () => { void stop('SIGINT').then((code) => process.exit(code)); });
    await processor.start();
    started = true;
    log.info({ topic: config.topics.raw, groupId }, 'processor running');
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (stopping) return stopping;
      if (processor.failure) return stop('failure');
      if (idleSeconds !== undefined && processor.idleMs >= idleSeconds * 1000) return stop(`idle for ${idleSeconds} s`);
    }
  },
};
