import { isAppError, messageOf } from '../../../libs/errors/src/index.js';
import type { Command } from './args.js';

/**
 * The commands, each module loaded only when it runs: a command's imports reach the adapters it
 * may wire (kafkajs, the Google Cloud clients and their protobufs, fastify), and loading them all
 * took about 0.4 s of every start, `taxi run` and `taxi --help` included.
 */
const COMMANDS: readonly { name: string; summary: string; load(): Promise<Command> }[] = [
  { name: 'run', summary: 'run the whole pipeline embedded on one month (default: the shipped real month)', load: async () => (await import('./commands/run.js')).runCommand },
  { name: 'ingest', summary: 'ingest one month into Kafka with its manifest record', load: async () => (await import('./commands/ingest.js')).ingestCommand },
  { name: 'serve-ingestor', summary: 'run the ingestor service: discover published months on a schedule and ingest them', load: async () => (await import('./commands/serve-ingestor.js')).serveIngestorCommand },
  { name: 'process', summary: 'run a processor: raw topic -> worker pool -> Parquet + warehouse', load: async () => (await import('./commands/process.js')).processCommand },
  { name: 'replay', summary: 'replay a month by topic offset and replace its outputs', load: async () => (await import('./commands/replay.js')).replayCommand },
  { name: 'query', summary: 'run SQL on the embedded warehouse (table trips)', load: async () => (await import('./commands/query.js')).queryCommand },
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: taxi <command> [flags]',
    '',
    'Stream NYC TLC trip records: Parquet -> Kafka -> worker pool -> Parquet in object storage + warehouse.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'npx taxi <command> --help' for a command's flags. Error codes: docs/errors.md.",
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`taxi: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (isAppError(error)) {
    process.stderr.write(`taxi: ${error.code}: ${error.message}\n`);
    process.exitCode = error.code === 'TAXI_ERR_CLI_USAGE' ? 2 : 1;
  } else {
    process.stderr.write(`taxi: unexpected error: ${messageOf(error)}\n${error instanceof Error ? error.stack ?? '' : ''}\n`);
    process.exitCode = 70;
  }
}
