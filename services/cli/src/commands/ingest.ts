import { AppError } from '../../../../libs/errors/src/index.js';
import { ingestMonth } from '../../../../libs/ingest/src/index.js';
import type { IngestProgress, IngestResult } from '../../../../libs/ingest/src/index.js';
import { parquetCodec } from '../../../../libs/parquet/src/index.js';
import { parseMonthRef } from '../../../../libs/schema/src/month.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { formatRate, progressLine } from '../progress.js';
import { buildBus, buildSource, buildStore, loadKafkaConfig } from '../wiring.js';
import { cliLogger } from '../logging.js';

const usage = `Usage: taxi ingest --service S --month YYYY-MM [--source URL|PATH] [--force] [--brokers LIST] [--config FILE] [--json]

Ingests one month into Kafka: raw copy to the object store, then every row group normalised to the
service's canonical schema and produced to the raw topic with the month's manifest record, in one
transaction (all of the month, or none of it).

  --service S        yellow | green | fhv | fhvhv
  --month YYYY-MM    the month
  --source URL|PATH  a local file, or a URL on an allowed host (default: the TLC's trip-data URL)
  --force            ingest again a month already in the manifest
  --brokers LIST     Kafka bootstrap brokers (sets bus.kind=kafka; or TAXI__BUS__KIND / TAXI__BUS__KAFKA__BROKERS)
  --config FILE      JSON config file (or TAXI_CONFIG); environment TAXI__<PATH> and flags override it
  --json             print the month's manifest record as one JSON line on stdout
  -h, --help         this text`;

export const ingestCommand: Command = {
  usage,
  async run(args) {
    const { values } = parseCommandArgs('ingest', args, {
      service: { type: 'string' }, month: { type: 'string' }, source: { type: 'string' }, force: { type: 'boolean', default: false },
      brokers: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    if (values.service === undefined || values.month === undefined) throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi ingest: --service and --month are required');
    const ref = parseMonthRef(values.service, values.month);
    const config = loadKafkaConfig('ingest', values, 'writes to Kafka', '`taxi run` runs the whole pipeline in-process');
    const log = cliLogger(config);
    const bus = buildBus(config, log);
    const store = await buildStore(config);
    const codec = parquetCodec(config.parquet);
    const bar = progressLine(process.stderr.isTTY);
    const started = performance.now();
    try {
      await bus.connect();
      await store.connect();
      await bus.ensureTopics([
        { name: config.topics.raw, partitions: config.topics.rawPartitions, maxMessageBytes: config.topics.maxMessageBytes + 65_536, retentionMs: config.topics.rawRetentionMs },
        { name: config.topics.manifest, partitions: 1, compacted: true },
      ]);
      const result = await ingestMonth(ref, { source: buildSource(config, ref, values.source), store, bus, codec, log }, {
        topics: config.topics, force: values.force,
        onProgress: (p) => { bar.update(describe(p, (performance.now() - started) / 1000)); },
      });
      bar.done();
      process.stdout.write(values.json ? `${JSON.stringify(result.manifest)}\n` : summary(result));
      return 0;
    } finally {
      bar.done();
      await codec.destroy();
      await bus.close();
      await store.close();
    }
  },
};

function describe(p: IngestProgress, seconds: number): string {
  if (p.phase === 'fetch') return `fetching ${(p.bytes / 1e6).toFixed(1)} MB`;
  if (p.phase === 'raw-copy') return `storing the raw copy (${(p.bytes / 1e6).toFixed(1)} MB)`;
  return `${p.phase}: row groups ${p.rowGroupsDone}/${p.rowGroups}  ${p.rows.toLocaleString('en-US')} rows  ${formatRate(p.bytes, seconds)}`;
}

function summary(result: IngestResult): string {
  const m = result.manifest;
  if (result.status === 'skipped') return `${m.service} ${m.month}: already ingested at ${m.ingestedAt}; nothing done (--force ingests it again)\n`;
  const ranges = m.partitions.map((p) => `${p.partition}:[${p.firstOffset}..${p.lastOffset}]`).join(' ');
  return [
    `${m.service} ${m.month}: ingested ${m.rows.toLocaleString('en-US')} rows in ${m.messages} messages to ${m.topic} (${result.seconds.toFixed(2)} s, ${Math.round(m.rows / result.seconds).toLocaleString('en-US')} rows/s)`,
    `  produced    ${((result.producedBytes ?? 0) / 1e6).toFixed(1)} MB of Arrow IPC (${formatRate(result.producedBytes ?? 0, result.seconds)}); source read at ${formatRate(m.sizeBytes, result.seconds)}`,
    `  partitions  ${ranges}`,
    `  source      ${m.source} (${(m.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${m.sha256.slice(0, 16)}…)`,
    `  raw copy    ${result.rawKey ?? ''}`,
    ...(m.unknownColumns.length > 0 ? [`  unknown columns (dropped): ${m.unknownColumns.join(', ')}`] : []),
    '',
  ].join('\n');
}
