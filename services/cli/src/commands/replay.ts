import { hostname } from 'node:os';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { AppError } from '../../../../libs/errors/src/index.js';
import { parquetCodec } from '../../../../libs/parquet/src/index.js';
import { busDeadLetters, DEAD_LETTER_TRANSACTION_TIMEOUT_MS } from '../../../../libs/processor/src/index.js';
import { replayMonth } from '../../../../libs/replay/src/index.js';
import type { ReplayPhase, ReplayProgress, ReplayResult } from '../../../../libs/replay/src/index.js';
import { monthKey, parseMonthRef } from '../../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../../libs/schema/src/month.js';
import { buildHttpApp, readiness, serviceRegistry } from '../../../../libs/telemetry/src/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { progressLine } from '../progress.js';
import { buildBus, buildStore, buildWarehouse, loadKafkaConfig } from '../wiring.js';
import { cliLogger } from '../logging.js';

const usage = `Usage: taxi replay --service S --month YYYY-MM [--brokers LIST] [--config FILE] [--no-serve] [--json]

Replays a month by topic offset: reads the month's offset ranges from the manifest topic, reads
exactly those messages with its own reader (the live consumer group's offsets never move), applies
the current transform, and replaces the month's outputs: its processed Parquet objects and its rows
in the warehouse (staged first, then swapped; the warehouse swap is one transaction). Rejected rows
go to the DLQ topic again, tagged with the replay's run id. Run it after a transform fix or a sink
outage; run it again if it was interrupted. The live processors must have processed the month.

  --service S        yellow | green | fhv | fhvhv
  --month YYYY-MM    the month
  --brokers LIST     Kafka bootstrap brokers (or TAXI__BUS__KAFKA__BROKERS)
  --config FILE      JSON config file (or TAXI_CONFIG); environment TAXI__<PATH> and flags override it
  --no-serve         do not serve /healthz /readyz /metrics /status on http.host:http.port while running
  --json             print the result as one JSON line on stdout
  -h, --help         this text`;

export const replayCommand: Command = {
  usage,
  async run(args) {
    const { values } = parseCommandArgs('replay', args, {
      service: { type: 'string' }, month: { type: 'string' }, brokers: { type: 'string' }, config: { type: 'string' },
      'no-serve': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    if (values.service === undefined || values.month === undefined) throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi replay: --service and --month are required');
    const ref = parseMonthRef(values.service, values.month);
    const config = loadKafkaConfig('replay', values, 'reads the month from Kafka', 'an embedded month is replaced by running `taxi run` again');
    const log = cliLogger(config).child({ component: 'replay' });
    const month = monthKey(ref);
    const bus = buildBus({ ...config, bus: { ...config.bus, kafka: { ...config.bus.kafka, transactionalId: `taxi-replay-${ref.service}-${month}-${hostname()}-${process.pid}`, transactionTimeoutMs: DEAD_LETTER_TRANSACTION_TIMEOUT_MS } } }, log);
    const store = await buildStore(config);
    const codec = parquetCodec(config.parquet);
    const warehouse = await buildWarehouse(config);
    const registry = serviceRegistry('taxi_replay_');
    const metrics = replayMetrics(registry, ref);
    let last: ReplayProgress = { phase: 'check', rows: 0, total: 0 };
    let lastError: string | null = null;
    // /readyz: the bus, object store and warehouse answered their last background probe.
    const probes = readiness({ bus: () => bus.ping(), objectStore: () => store.head('health/ping'), warehouse: () => warehouse.ping() }, config.http.readiness);
    const app = buildHttpApp(registry, {
      live: () => true,
      ready: async () => ({ ok: probes.ok, checks: probes.checks() }),
      status: async () => ({ service: ref.service, month, phase: last.phase, rows: last.rows, total: last.total, lastError }),
    });
    if (!values['no-serve']) log.info({ address: await app.listen({ host: config.http.host, port: config.http.port }) }, 'http: /healthz /readyz /metrics /status');
    const bar = progressLine(process.stderr.isTTY);
    const started = performance.now();
    try {
      await Promise.all([bus.connect(), store.connect(), warehouse.connect()]);
      if (!values['no-serve']) await probes.start();
      await bus.ensureTopics([{ name: config.topics.dlq, partitions: config.topics.rawPartitions }]);
      const result = await replayMonth(ref, {
        bus, store, codec, warehouse, log, topics: config.topics, liveGroupId: config.processor.groupId, parquet: config.sinks.parquet,
        deadLetters: busDeadLetters(bus, config.topics.dlq), ...(config.processor.poolSize ? { poolSize: config.processor.poolSize } : {}),
      }, {
        onProgress: (p) => {
          last = p;
          metrics.update(p);
          bar.update(describe(p, (performance.now() - started) / 1000));
        },
      });
      bar.done();
      metrics.finish(result);
      process.stdout.write(values.json ? `${JSON.stringify(jsonResult(ref, result))}\n` : summary(ref, result));
      return 0;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      bar.done();
      probes.stop();
      await Promise.all([warehouse.close(), bus.close(), store.close(), codec.destroy(), app.close()]);
    }
  },
};

const PHASES: readonly ReplayPhase[] = ['check', 'read', 'publish', 'done'];

function replayMetrics(registry: Registry, ref: MonthRef): { update(p: ReplayProgress): void; finish(r: ReplayResult): void } {
  const labels = { service: ref.service, month: monthKey(ref) };
  const registers = [registry];
  const rows = new Gauge({ name: 'taxi_replay_rows_read', help: 'Rows of the month read and written to staging so far', labelNames: ['service', 'month'], registers });
  const expected = new Gauge({ name: 'taxi_replay_rows_expected', help: 'Rows of the month per its manifest record', labelNames: ['service', 'month'], registers });
  const phase = new Gauge({ name: 'taxi_replay_phase', help: 'The replay phase: 1 for the current one (check, read, publish, done)', labelNames: ['service', 'month', 'phase'], registers });
  const seconds = new Gauge({ name: 'taxi_replay_duration_seconds', help: 'Wall time of the finished replay', labelNames: ['service', 'month'], registers });
  const rejected = new Gauge({ name: 'taxi_replay_rows_rejected', help: 'Rows of the month rejected by the transform, by reason', labelNames: ['service', 'month', 'reason'], registers });
  return {
    update(p) {
      rows.set(labels, p.rows);
      expected.set(labels, p.total);
      for (const name of PHASES) phase.set({ ...labels, phase: name }, name === p.phase ? 1 : 0);
    },
    finish(r) {
      seconds.set(labels, r.seconds);
      for (const [reason, n] of Object.entries(r.rowsRejected)) rejected.set({ ...labels, reason }, n);
    },
  };
}

function describe(p: ReplayProgress, seconds: number): string {
  if (p.phase === 'check') return 'checking the manifest and offsets';
  if (p.phase === 'publish') return 'publishing: swapping the staged month in';
  const share = p.total > 0 ? Math.floor((20 * p.rows) / p.total) : 0;
  return `replaying [${'#'.repeat(share)}${'.'.repeat(20 - share)}] ${p.rows.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} rows  ${Math.round(p.rows / Math.max(seconds, 1e-9)).toLocaleString('en-US')} rows/s`;
}

function jsonResult(ref: MonthRef, r: ReplayResult): Record<string, unknown> {
  return { service: ref.service, month: monthKey(ref), runId: r.runId, rowsRead: r.rowsRead, rowsWritten: r.rowsWritten, rowsRejected: r.rowsRejected,
    badMessages: r.badMessages, files: r.files, warehouseRows: r.warehouseRows, seconds: Number(r.seconds.toFixed(3)), ranges: r.ranges, outputs: r.outputs };
}

function summary(ref: MonthRef, r: ReplayResult): string {
  const rejected = Object.values(r.rowsRejected).reduce((s, n) => s + n, 0);
  return [
    `${ref.service} ${monthKey(ref)}: replayed ${r.rowsRead.toLocaleString('en-US')} rows in ${r.seconds.toFixed(2)} s (${Math.round(r.rowsRead / Math.max(r.seconds, 1e-9)).toLocaleString('en-US')} rows/s), run ${r.runId}`,
    `  offsets     ${r.ranges.map((x) => `${x.partition}:[${x.fromOffset}..${x.toOffset}]`).join(' ')}`,
    `  written     ${r.rowsWritten.toLocaleString('en-US')} rows; rejected ${rejected.toLocaleString('en-US')}${rejected > 0 ? ` (${Object.entries(r.rowsRejected).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ')})` : ''}`,
    `  processed   ${r.outputs.processed} (${r.files} file(s))`,
    `  warehouse   ${r.outputs.warehouse} (${r.warehouseRows.toLocaleString('en-US')} rows of the month)`,
    `  rejects     ${r.outputs.deadLetters} (tagged replay=${r.runId})`,
    '',
  ].join('\n');
}
