// Endpoints of the real servers test/servers/up.sh started, and unique resource names so test
// files can share one server while running in parallel. Endpoints come from the environment,
// else from the endpoints.env that up.sh writes (so servers on non-default ports are found),
// else the scripts' defaults.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function endpointsFile(): Record<string, string> {
  const dir = process.env.TAXI_SERVERS_DIR ?? fileURLToPath(new URL('../../.servers', import.meta.url));
  const path = `${dir}/endpoints.env`;
  if (!existsSync(path)) return {};
  return Object.fromEntries(readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
}

const file = endpointsFile();
const endpoint = (name: string, fallback: string): string => process.env[name] ?? file[name] ?? fallback;

export const servers = {
  kafkaBrokers: endpoint('KAFKA_BROKERS', '127.0.0.1:19092').split(','),
  gcsEndpoint: endpoint('GCS_ENDPOINT', 'http://127.0.0.1:4443'),
  bigqueryEndpoint: endpoint('BQ_ENDPOINT', 'http://127.0.0.1:9050'),
  bigqueryGrpc: endpoint('BQ_GRPC_ENDPOINT', '127.0.0.1:9060'),
  bigqueryProject: endpoint('BQ_PROJECT', 'test'),
} as const;

/** A name no other test (or earlier run) uses: `prefix-<8 hex>`; `sep` for BigQuery's `_`. */
export function uniqueName(prefix: string, sep = '-'): string {
  return `${prefix}${sep}${randomBytes(4).toString('hex')}`;
}

/**
 * Runs a read against the BigQuery emulator, once more (up to 3 attempts) when the emulator's
 * DuckDB refuses it with "Attempting to execute an unsuccessful or closed pending query result".
 * That is the emulator's race, not a refusal of the query: bqemulator 1.4.0 runs every statement
 * on one DuckDB connection (storage/engine.py), its Storage Write handlers on grpc.aio's thread
 * pool and REST queries without the write lock, so a query job running while a processor appends
 * can find its pending result replaced (seen once in six CI runs, in the replay test). Only reads
 * go through here: repeating them changes nothing. Any other error is thrown as it is.
 */
export async function readEmulator<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error && /unsuccessful or closed pending query result/.test(error.message))) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
