import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { writeSyntheticYellowMonth } from '../../../test/helpers/synthetic-month.js';
import { cliEnv } from '../../../test/helpers/cli-env.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const taxi = fileURLToPath(new URL('../../../bin/taxi.js', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [taxi, ...args], { cwd: root, env: cliEnv() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('taxi --help lists the commands', async (t) => {
  const { code, stdout } = await run('--help');
  t.equal(code, 0);
  t.match(stdout, /Usage: taxi <command>/);
  t.match(stdout, /\brun\b/);
});

const out = mkdtempSync(join(tmpdir(), 'taxi-cli-'));
t.teardown(() => { rmSync(out, { recursive: true, force: true }); });

t.test('taxi run with no flags runs the shipped real month and prints the summary', async (t) => {
  const { code, stdout } = await run('run', '--out', out);
  t.equal(code, 0);
  t.match(stdout, /taxi run: green 2024-01/);
  t.match(stdout, /rows read\s+56,551/);
  t.match(stdout, /rows written\s+[\d,]+/);
  t.match(stdout, /zero_distance\s+[\d,]+/);
  t.match(stdout, /warehouse\s+\S+taxi\.duckdb/);
});

for (const [month, rows] of [['2024-01', 56_551], ['2022-02', 69_399]] as const) {
  t.test(`taxi run --json on green ${month}: rowsRead = rowsWritten + sum(rowsRejected)`, async (t) => {
    const { code, stdout } = await run('run', '--service', 'green', '--month', month, '--out', out, '--json');
    t.equal(code, 0);
    const s = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { rowsRead: number; rowsWritten: number; rowsRejected: Record<string, number>; seconds: number; outputs: Record<string, string> };
    t.equal(s.rowsRead, rows);
    t.equal(s.rowsRead, s.rowsWritten + Object.values(s.rowsRejected).reduce((a, b) => a + b, 0), 'conservation');
    t.ok(s.rowsRejected.pickup_outside_month! > 0, 'real pickups outside the month are counted, not dropped');
    t.ok(s.seconds > 0);
    t.same(Object.keys(s.outputs).sort(), ['processed', 'raw', 'rejects', 'warehouse']);
    const q = await run('query', '--out', out, '--json', `SELECT count(*) AS n FROM trips WHERE source_month = '${month}'`);
    t.equal(q.code, 0);
    t.equal(Number((JSON.parse(q.stdout.trim()) as { n: string }).n), s.rowsWritten, 'the warehouse holds the rows written, once');
  });
}

t.test('wrong flags and bad input exit non-zero with a clear message', async (t) => {
  const bogus = await run('run', '--bogus');
  t.equal(bogus.code, 2);
  t.match(bogus.stderr, /TAXI_ERR_CLI_USAGE: taxi run: Unknown option '--bogus'/);
  const missing = await run('run', '--source', '/nonexistent/green_tripdata_2024-01.parquet');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /TAXI_ERR_SOURCE_NOT_FOUND: \/nonexistent\/green_tripdata_2024-01.parquet does not exist/);
  const unnamed = await run('run', '--source', fileURLToPath(new URL('../../../package.json', import.meta.url)));
  t.equal(unnamed.code, 2);
  t.match(unnamed.stderr, /cannot tell the service and month/);
  const badSql = await run('query', '--out', out, 'SELEC nonsense');
  t.equal(badSql.code, 2);
  t.match(badSql.stderr, /taxi query: .*syntax error/i);
  const unknown = await run('frobnicate');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
});

t.test('the Kafka commands without brokers stop with a usage error saying how to give them', async (t) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAXI_')));
  const cases: [string[], RegExp][] = [
    [['ingest', '--service', 'green', '--month', '2024-01'], /taxi ingest writes to Kafka: give --brokers .*; `taxi run` runs the whole pipeline in-process/],
    [['process'], /taxi process reads Kafka: give --brokers \(or TAXI__BUS__KIND=kafka and TAXI__BUS__KAFKA__BROKERS\)\n/],
    [['replay', '--service', 'green', '--month', '2024-01'], /taxi replay reads the month from Kafka: give --brokers .*; an embedded month is replaced by running `taxi run` again/],
    [['serve-ingestor'], /taxi serve-ingestor writes to Kafka: give --brokers/],
  ];
  for (const [args, message] of cases) {
    const result = await exec(process.execPath, [taxi, ...args], { cwd: root, env: cliEnv(env) }).then(() => ({ code: 0, stderr: '' }), (e: unknown) => e as { code: number; stderr: string });
    t.equal(result.code, 2, `taxi ${args[0] ?? ''} exits 2`);
    t.match(result.stderr, new RegExp(`TAXI_ERR_CLI_USAGE: ${message.source}`), `taxi ${args[0] ?? ''} names the problem`);
  }
});

t.test('taxi run on a file whose last row group is corrupt fails naming it, and leaves none of the month behind', async (t) => {
  // Ingest and processing overlap in the embedded run, so rows of the good row groups may be
  // written before the bad one is read: the run removes them again.
  const dir = mkdtempSync(join(tmpdir(), 'taxi-cli-bad-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); });
  const path = writeSyntheticYellowMonth(join(dir, 'yellow_tripdata_2024-05.parquet'), { year: 2024, month: 5, rows: 100_000, rowGroupRows: 25_000, seed: 3 });
  const bytes = readFileSync(path);
  bytes.fill(0xff, Math.floor(bytes.length * 0.8), Math.floor(bytes.length * 0.95));
  writeFileSync(path, bytes);
  const runOut = join(dir, 'out');
  const bad = await run('run', '--source', path, '--out', runOut);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /TAXI_ERR_PARQUET_CORRUPT: .*yellow_tripdata_2024-05\.parquet row group 3 cannot be decoded/);
  const q = await run('query', '--out', runOut, '--json', "SELECT count(*) AS n FROM trips WHERE source_month = '2024-05'");
  t.equal(q.code, 0);
  t.equal(Number((JSON.parse(q.stdout.trim()) as { n: string }).n), 0, 'no row of the failed month in the warehouse');
  const processed = join(runOut, 'objects', 'processed', 'yellow', 'year=2024', 'month=05');
  t.same(existsSync(processed) ? readdirSync(processed) : [], [], 'no processed file of the failed month');
  t.notOk(existsSync(join(runOut, 'dlq', 'yellow-2024-05.jsonl')), 'no reject file of the failed month');
});
