import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const taxi = fileURLToPath(new URL('../../../bin/taxi.js', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [taxi, ...args], { cwd: root });
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

t.test('taxi run with no flags reads the shipped real month', async (t) => {
  const { code, stdout } = await run('run');
  t.equal(code, 0);
  t.match(stdout, /green 2024-01/);
  t.match(stdout, /rows read\s+56551/);
});

t.test('taxi run --json ends stdout with one JSON object', async (t) => {
  const { code, stdout } = await run('run', '--service', 'green', '--month', '2022-02', '--json');
  t.equal(code, 0);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { rowsRead: number; month: string; rowsOutsideMonth: number };
  t.equal(summary.rowsRead, 69_399);
  t.equal(summary.month, '2022-02');
  t.ok(summary.rowsOutsideMonth > 0, 'the real month holds pickups outside it, counted');
});

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
  const unknown = await run('frobnicate');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
});
