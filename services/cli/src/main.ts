import { isAppError, messageOf } from '../../../libs/errors/src/index.js';
import type { Command } from './args.js';
import { ingestCommand } from './commands/ingest.js';
import { processCommand } from './commands/process.js';
import { queryCommand } from './commands/query.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { serveIngestorCommand } from './commands/serve-ingestor.js';

const COMMANDS: readonly Command[] = [runCommand, ingestCommand, serveIngestorCommand, processCommand, replayCommand, queryCommand];

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
  return command.run(rest);
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
