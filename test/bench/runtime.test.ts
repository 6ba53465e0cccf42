// The benchmark runs the taxi command as the image does: compiled dist/ under bin/taxi.js (bench/lib/runtime.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { taxiNodeFlags } from '../../bench/lib/env.js';
import { layOutRuntime } from '../../bench/lib/runtime.js';

const root = new URL('../..', import.meta.url).pathname;

t.test('the compiled layout runs taxi run on the shipped month, and is removed after', async (t) => {
  const { dir, remove } = layOutRuntime(root);
  t.teardown(remove);
  t.ok(existsSync(join(dir, 'dist', 'services', 'cli', 'src', 'main.js')), 'dist/ compiled');
  t.ok(existsSync(join(dir, 'dist', 'libs', 'parquet', 'native', 'taxi-parquet.node')), 'the native codec where the compiled code loads it');
  t.notOk(existsSync(join(dir, 'services', 'cli', 'src', 'main.ts')), 'no TypeScript sources, so bin/taxi.js runs dist/');
  const out = mkdtempSync(join(tmpdir(), 'taxi-bench-runtime-out-'));
  t.teardown(() => { rmSync(out, { recursive: true, force: true }); });
  // NODE_OPTIONS cleared: tap's own loader must not put tsx back in.
  const stdout = execFileSync(process.execPath, [...taxiNodeFlags(root), join(dir, 'bin', 'taxi.js'), 'run', '--json', '--out', out],
    { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: out, TAXI__OBJECT_STORE__LOCAL__ROOT: join(out, 'objects') }, encoding: 'utf8' });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { rowsRead?: number; rowsWritten?: number };
  t.equal(summary.rowsRead, 56_551, 'green 2024-01 read');
  t.equal(summary.rowsWritten, 53_375, 'and written, as from the sources');
  remove();
  t.notOk(existsSync(dir), 'remove() deletes the layout');
});
