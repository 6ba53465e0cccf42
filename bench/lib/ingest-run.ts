// One `taxi ingest` of the cached month into fresh topics: shared by the ingest scope (timed) and
// the processor scopes (which need the month in Kafka when the ingest scope is not run); the e2e,
// memory and batch-size scopes also ingest other months, into shared topics or with another
// message size.
import { defaultTopics } from '../../libs/ingest/src/index.js';
import { runMeasured } from './child.js';
import type { Measured } from './child.js';
import { cleanEnv } from './env.js';
import { taxiCommand } from './runtime.js';
import { createTopics } from './kafka.js';
import type { Ingested, ScopeContext, SourceMonth } from './types.js';

export interface IngestRun {
  readonly measured: Measured;
  readonly ingested: Ingested;
  /** Arrow IPC bytes produced, from the command's summary (printed to 0.1 MB). */
  readonly producedBytes: number;
  /** The command's own timing of the month (fetch to commit, without start-up). */
  readonly reportedSeconds: number;
}

export interface IngestOptions {
  /** The month file (default: the benchmark's month, ctx.source). */
  readonly source?: SourceMonth;
  /** Topics an earlier call made, to add this month to them (default: fresh topics). */
  readonly topics?: Ingested['topics'];
  /** The command's topics.maxMessageBytes (default: its own, 4 MiB); fresh topics are made to match. */
  readonly maxMessageBytes?: number;
}

/** One `taxi ingest`; only a run with every option at its default becomes the month the processor scopes read. */
export async function runIngest(ctx: ScopeContext, options: IngestOptions = {}): Promise<IngestRun> {
  if (!ctx.kafka.up) throw new Error('runIngest without a broker');
  const source = options.source ?? ctx.source;
  const id = ctx.uniqueId();
  const settings = defaultTopics();
  const maxMessageBytes = options.maxMessageBytes ?? settings.maxMessageBytes;
  const topics = options.topics ?? { raw: `bench.raw.${id}`, manifest: `bench.manifest.${id}`, dlq: `bench.dlq.${id}` };
  if (!options.topics) {
    ctx.noteTopics([topics.raw, topics.manifest, topics.dlq]);
    await createTopics(ctx.kafka.brokers, [
      { name: topics.raw, partitions: ctx.rawPartitions, maxMessageBytes: maxMessageBytes + 65_536, retentionMs: settings.rawRetentionMs },
      { name: topics.manifest, partitions: 1, compacted: true },
      { name: topics.dlq, partitions: ctx.rawPartitions },
    ]);
  }
  const dir = ctx.tempDir('ingest');
  const measured = await runMeasured({
    label: `taxi ingest (${source.month})`, cwd: ctx.root, dir,
    args: [...taxiCommand(ctx.root), 'ingest', '--service', source.service, '--month', source.month, '--source', source.path, '--brokers', ctx.kafka.brokers, '--force'],
    env: cleanEnv({
      TAXI__TOPICS__RAW: topics.raw, TAXI__TOPICS__MANIFEST: topics.manifest, TAXI__TOPICS__DLQ: topics.dlq,
      TAXI__TOPICS__RAW_PARTITIONS: String(ctx.rawPartitions), TAXI__OBJECT_STORE__LOCAL__ROOT: `${dir}/objects`,
      TAXI__BUS__KAFKA__TRANSACTIONAL_ID: `bench-ingest-${id}`, TAXI__LOG__LEVEL: 'info',
      ...(options.maxMessageBytes === undefined ? {} : { TAXI__TOPICS__MAX_MESSAGE_BYTES: String(options.maxMessageBytes) }),
    }),
  });
  const head = /ingested ([\d,]+) rows in ([\d,]+) messages to (\S+) \(([\d.]+) s/.exec(measured.stdout);
  const produced = /produced\s+([\d.]+) MB of Arrow IPC/.exec(measured.stdout);
  if (!head || !produced) throw new Error(`taxi ingest printed a summary the benchmark cannot read:\n${measured.stdout}`);
  const rows = Number(head[1]!.replaceAll(',', ''));
  if (rows !== source.rows) throw new Error(`taxi ingest reported ${rows} rows; the source has ${source.rows}`);
  const ingested: Ingested = { topics, partitions: ctx.rawPartitions, rows, messages: Number(head[2]!.replaceAll(',', '')) };
  if (options.source === undefined && options.topics === undefined && options.maxMessageBytes === undefined) ctx.noteIngested(ingested);
  return { measured, ingested, producedBytes: Number(produced[1]) * 1e6, reportedSeconds: Number(head[4]) };
}
