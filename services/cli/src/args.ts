import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { AppError, messageOf } from '../../../libs/errors/src/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, its errors turned into TAXI_ERR_CLI_USAGE naming the command. */
export function parseCommandArgs<T extends Options>(command: string, args: readonly string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    throw new AppError('TAXI_ERR_CLI_USAGE', `taxi ${command}: ${messageOf(error)}; see 'npx taxi ${command} --help'`, { cause: error });
  }
}

/** A command of the `taxi` CLI (main.ts holds its name and summary): `run` returns the process exit code. */
export interface Command {
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}
