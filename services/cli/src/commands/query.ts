import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../../libs/errors/src/index.js';
import { duckDbWarehouse } from '../../../../libs/warehouse/src/duckdb.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../args.js';

const usage = `Usage: taxi query "SELECT …" [--out DIR] [--json]

Runs SQL (DuckDB dialect) on the embedded warehouse that \`taxi run\` writes (DIR/taxi.duckdb).
The processed trips are in table trips.

  --out DIR   the run's output folder (default: out)
  --json      one JSON object per row`;

export const queryCommand: Command = {
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs('query', args, {
      out: { type: 'string', default: 'out' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    }, true);
    if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
    const sql = positionals.join(' ').trim();
    if (sql === '') throw new AppError('TAXI_ERR_CLI_USAGE', 'taxi query: give the SQL as an argument, e.g. taxi query "SELECT count(*) FROM trips"');
    const path = join(values.out, 'taxi.duckdb');
    if (!existsSync(path)) throw new AppError('TAXI_ERR_SOURCE_NOT_FOUND', `${path} does not exist: run \`npx taxi run\` first (or give --out)`);
    const warehouse = duckDbWarehouse({ path });
    try {
      await warehouse.connect();
      const rows = await warehouse.query(sql).catch((error: unknown) => {
        throw new AppError('TAXI_ERR_CLI_USAGE', `taxi query: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      process.stdout.write(values.json ? rows.map((r) => `${JSON.stringify(r)}\n`).join('') : table(rows));
      return 0;
    } finally {
      await warehouse.close();
    }
  },
};

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c] as string | number))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
