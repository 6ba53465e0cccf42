// Endpoints of the real servers test/servers/up.sh started (defaults match its defaults), and
// unique resource names so test files can share one server while running in parallel.
import { randomBytes } from 'node:crypto';

export const servers = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
  gcsEndpoint: process.env.GCS_ENDPOINT ?? 'http://127.0.0.1:4443',
  bigqueryEndpoint: process.env.BQ_ENDPOINT ?? 'http://127.0.0.1:9050',
  bigqueryGrpc: process.env.BQ_GRPC_ENDPOINT ?? '127.0.0.1:9060',
  bigqueryProject: process.env.BQ_PROJECT ?? 'test',
} as const;

/** A name no other test (or earlier run) uses: `prefix-<8 hex>`; `sep` for BigQuery's `_`. */
export function uniqueName(prefix: string, sep = '-'): string {
  return `${prefix}${sep}${randomBytes(4).toString('hex')}`;
}
