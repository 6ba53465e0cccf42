import { fileURLToPath } from 'node:url';
import { AppError } from '../../../../libs/errors/src/index.js';
import { parquetWasmCodec } from '../../../../libs/parquet/src/index.js';
import { monthRefFromFileName, parseMonthRef, tlcFileName } from '../../../../libs/schema/src/month.js';
import type { MonthRef } from '../../../../libs/schema/src/month.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';
import { summarizeMonth } from '../month-summary.js';
import type { MonthSummary } from '../month-summary.js';

const SAMPLES_DIR = fileURLToPath(new URL('../../../../data/samples/', import.meta.url));
const DEFAULT_MONTH: MonthRef = { service: 'green', year: 2024, month: 1 };

const usage = `Usage: taxi run [--service S --month YYYY-MM] [--source FILE] [--json]

Runs the main job on the embedded default: with no flags, the shipped real month
(data/samples/${tlcFileName(DEFAULT_MONTH)}), read one row group at a time.

  --service S        yellow | green | fhv | fhvhv (with --month picks data/samples/<file>)
  --month YYYY-MM    the month to run
  --source FILE      a local TLC Parquet file (its name gives service and month)
  --json             print one JSON object as the last line of stdout
  -h, --help         this text`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the main job on the embedded default (the shipped real month)',
  usage,
  async run(args) {
    const { values } = parseCommandArgs('run', args, {
      service: { type: 'string' },
      month: { type: 'string' },
      source: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const { ref, path } = resolveSource(values.service, values.month, values.source);
    const codec = parquetWasmCodec();
    const summary = await summarizeMonth(codec, path, ref).finally(() => codec.destroy());
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return 0;
  },
};

function resolveSource(service: string | undefined, month: string | undefined, source: string | undefined): { ref: MonthRef; path: string } {
  if ((service === undefined) !== (month === undefined)) {
    throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi run: --service and --month go together');
  }
  const named = service !== undefined && month !== undefined ? parseMonthRef(service, month) : undefined;
  if (source !== undefined) {
    const ref = named ?? monthRefFromFileName(source);
    if (!ref) {
      throw new AppError('TAXI_ERR_CLI_USAGE',
        `taxi run: cannot tell the service and month of ${source} from its name; add --service and --month`);
    }
    return { ref, path: source };
  }
  const ref = named ?? DEFAULT_MONTH;
  return { ref, path: `${SAMPLES_DIR}${tlcFileName(ref)}` };
}

function formatSummary(s: MonthSummary): string {
  const lines = [
    `taxi run: ${s.service} ${s.month} from ${s.source}`,
    `  file         ${(s.sourceBytes / 1e6).toFixed(1)} MB, ${s.rowGroups.length} row group(s), ${s.columns.length} columns, written by ${s.createdBy ?? 'unknown'}`,
    ...s.rowGroups.map((g) => `  row group ${String(g.index).padEnd(3)} ${String(g.rows).padStart(10)} rows  ${g.decodeMs.toFixed(0).padStart(6)} ms`),
    `  rows read    ${s.rowsRead}`,
    `  pickups      ${s.pickupMin ?? '-'} .. ${s.pickupMax ?? '-'}`,
    `  outside month ${s.rowsOutsideMonth} rows (pickup not in ${s.month})`,
    `  wall         ${s.seconds.toFixed(2)} s (${Math.round(s.rowsRead / s.seconds)} rows/s)`,
  ];
  return `${lines.join('\n')}\n`;
}

