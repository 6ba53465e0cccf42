import { ContinuousIngestor } from '../../../../libs/ingest/src/index.js';
import { parquetCodec } from '../../../../libs/parquet/src/index.js';
import { httpSource } from '../../../../libs/source/src/index.js';
import { buildHttpApp, ingestorMetrics, serviceRegistry } from '../../../../libs/telemetry/src/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { ingestorHealth } from '../ingestor-health.js';
import { buildBus, buildStore, loadKafkaConfig } from '../wiring.js';
import { cliLogger } from '../logging.js';

/** Beyond ingestor.drainTimeoutMs, the time an aborted month and the connections get to close. */
const CLOSE_GRACE_MS = 30_000;

const usage = `Usage: taxi serve-ingestor [--once] [--brokers LIST] [--config FILE]

Runs the ingestor service. Every ingestor.intervalMs (default 24 h) it reads the manifest topic,
asks the source (HEAD at source.http.baseUrl) which months of ingestor.services in the last
ingestor.lookBackMonths months are published and not yet in the manifest, and ingests those
oldest first, each in one Kafka transaction with its manifest record (as 'taxi ingest' does).
A month that fails is listed in /status with its error code and tried again next cycle; the
others go on. The manifest is its state: a restart ingests nothing twice.
Serves /healthz /readyz /metrics /status on http.port (9464).
SIGTERM/SIGINT: start no other month, let the one in progress finish (its transaction is aborted
after ingestor.drainTimeoutMs), exit 0.

  --once          run one cycle, then exit: 0 when every published month was ingested, else 1 (CronJob use, tests)
  --brokers LIST  Kafka bootstrap brokers (sets bus.kind=kafka; or TAXI__BUS__KIND / TAXI__BUS__KAFKA__BROKERS)
  --config FILE   JSON config file (or TAXI_CONFIG); environment TAXI__<PATH> and flags override it
  -h, --help      this text`;

export const serveIngestorCommand: Command = {
  usage,
  async run(args) {
    const { values } = parseCommandArgs('serve-ingestor', args, {
      once: { type: 'boolean', default: false }, brokers: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    const config = loadKafkaConfig('serve-ingestor', values, 'writes to Kafka');
    const log = cliLogger(config);
    const bus = buildBus(config, log);
    const store = await buildStore(config);
    const codec = parquetCodec(config.parquet);
    const registry = serviceRegistry('taxi_ingestor_');
    const ingestor = new ContinuousIngestor({ bus, store, codec, log, source: httpSource(config.source.http), metrics: ingestorMetrics(registry) },
      { ...config.ingestor, topics: config.topics });

    let stopping: Promise<number> | undefined;
    const health = ingestorHealth({ bus, store, ingestor, sourceUrl: config.source.http.baseUrl, draining: () => stopping !== undefined, readiness: config.http.readiness });
    const app = buildHttpApp(registry, health.health);
    // Listening before the connections: /healthz answers the startup probe while Kafka is slow to come.
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    log.info({ address }, 'http: /healthz /readyz /metrics /status');
    const stop = (why: string, code = 0): Promise<number> => {
      stopping ??= (async () => {
        log.info({ why }, 'stopping: no new month; the one in progress finishes or is aborted');
        const deadline = setTimeout(() => { log.error('shutdown deadline passed'); process.exit(1); }, config.ingestor.drainTimeoutMs + CLOSE_GRACE_MS);
        try {
          await ingestor.stop();
          health.stop();
          await Promise.all([bus.close(), store.close(), codec.destroy(), app.close()]);
        } finally { clearTimeout(deadline); }
        return code;
      })();
      return stopping;
    };
    process.once('SIGTERM', () => { void stop('SIGTERM').then((code) => process.exit(code)); });
    process.once('SIGINT', () => { void stop('SIGINT').then((code) => process.exit(code)); });

    try {
      await Promise.all([bus.connect(), store.connect()]);
      await bus.ensureTopics([
        { name: config.topics.raw, partitions: config.topics.rawPartitions, maxMessageBytes: config.topics.maxMessageBytes + 65_536, retentionMs: config.topics.rawRetentionMs },
        { name: config.topics.manifest, partitions: 1, compacted: true },
      ]);
      await health.start();
    } catch (error) {
      await stop('start-up failed', 1);
      throw error;
    }
    const { services, lookBackMonths, intervalMs } = config.ingestor;
    log.info({ services, lookBackMonths, intervalMs, source: config.source.http.baseUrl, topic: config.topics.raw, manifest: config.topics.manifest }, 'ingestor running');
    if (values.once) {
      const report = await ingestor.runCycle();
      return stop('--once: the cycle is done', report.outcome === 'ok' ? 0 : 1);
    }
    ingestor.start();
    // Resolves only on SIGTERM/SIGINT, whose handlers exit the process.
    return new Promise<number>(() => undefined);
  },
};
