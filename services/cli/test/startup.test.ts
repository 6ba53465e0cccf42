// What a command loads before it runs: the embedded commands never load the cloud clients or
// Kafka's (about 0.4 s of every start when they did), the Kafka commands load the Google Cloud
// clients only when the config names GCS or BigQuery (wiring.ts imports those adapters lazily).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { cliEnv } from '../../../test/helpers/cli-env.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The packages under node_modules that importing `module` (and running `then`, if given) loads, by name. */
async function loadedPackages(module: string, then = ''): Promise<Set<string>> {
  const script = `
    const { createRequire } = await import('node:module');
    await import(${JSON.stringify(new URL(module, import.meta.url).href)});
    ${then}
    const names = Object.keys(createRequire(import.meta.url).cache).map((f) => f.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  // Coverage off in the child (cliEnv): its tsx output would garble the report's ranges.
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: cliEnv() });
  return new Set(JSON.parse(stdout) as string[]);
}

const CLOUD = ['@google-cloud/storage', '@google-cloud/bigquery', '@google-cloud/bigquery-storage', 'google-gax', 'google-auth-library'];

t.test('taxi run and taxi query load neither the cloud clients, nor kafkajs, nor the HTTP server', async (t) => {
  for (const command of ['../src/commands/run.ts', '../src/commands/query.ts']) {
    const loaded = await loadedPackages(command);
    t.ok(loaded.has('@duckdb/node-api') || loaded.has('@duckdb/node-bindings'), `${command}: the check sees CommonJS packages (DuckDB's)`);
    for (const name of [...CLOUD, 'kafkajs', 'fastify']) t.notOk(loaded.has(name), `${command} does not load ${name}`);
  }
});

t.test('the adapters wiring builds: the cloud ones load when configured, and only then', async (t) => {
  const build = (kind: 'local' | 'cloud'): string => `
    const { buildStore, buildWarehouse } = await import(${JSON.stringify(new URL('../src/wiring.ts', import.meta.url).href)});
    const { loadConfig } = await import(${JSON.stringify(new URL('../../../libs/config/src/index.ts', import.meta.url).href)});
    const config = loadConfig({ overrides: ${kind === 'cloud'
    ? "{ objectStore: { kind: 'gcs', gcs: { bucket: 'bucket' } }, warehouse: { kind: 'bigquery', bigquery: { projectId: 'p', dataset: 'd' } } }"
    : '{}'} });
    await buildStore(config);
    await buildWarehouse(config);`;
  const local = await loadedPackages('../src/wiring.ts', build('local'));
  for (const name of CLOUD) t.notOk(local.has(name), `local store and DuckDB: ${name} not loaded`);
  const cloud = await loadedPackages('../src/wiring.ts', build('cloud'));
  for (const name of ['@google-cloud/storage', '@google-cloud/bigquery-storage']) t.ok(cloud.has(name), `GCS and BigQuery configured: ${name} loaded`);
});
