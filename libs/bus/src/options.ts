import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const kafkaBusOptionsSchema = z.object({
  brokers: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((b) => b.trim()) : v), z.array(z.string().min(1)).min(1))
    .describe('bootstrap brokers, host:port (a comma-separated string is split)'),
  clientId: z.string().default('taxi-stream').describe('Kafka client id, in broker logs and quotas'),
  transactionalId: z.string().default('taxi-ingestor').describe('transactional.id: one per producing instance; a restarted instance with the same id fences its predecessor'),
  connectionTimeoutMs: z.number().int().positive().default(3_000).describe('TCP connect timeout, in milliseconds'),
  requestTimeoutMs: z.number().int().positive().default(30_000).describe('broker request timeout, in milliseconds'),
  transactionTimeoutMs: z.number().int().positive().default(600_000).describe('a transaction not committed within this many milliseconds is aborted by the broker (at most transaction.max.timeout.ms, 15 min by default)'),
  retries: z.number().int().min(0).default(5).describe('retries of a failed request, with exponential backoff'),
  tls: z.strictObject({
    caFile: z.string().min(1).describe('PEM file of the CA that signed the brokers\' certificates (Strimzi: <cluster>-cluster-ca-cert ca.crt)'),
    certFile: z.string().min(1).optional().describe('client certificate PEM for TLS authentication (Strimzi KafkaUser secret user.crt)'),
    keyFile: z.string().min(1).optional().describe('client private key PEM (user.key); a secret, never logged'),
  }).optional().describe('TLS to the brokers; unset: plaintext'),
  readIdleTimeoutMs: z.number().int().positive().default(30_000).describe('a range read with no progress for this many milliseconds fails'),
}).strict();

export type KafkaBusOptions = z.input<typeof kafkaBusOptionsSchema>;

/** kafkajs `ssl` options from the tls block: files read once at start-up. */
export function kafkaSsl(tls: z.output<typeof kafkaBusOptionsSchema>['tls']): { ca: string[]; cert?: string; key?: string } | undefined {
  if (!tls) return undefined;
  const read = (path: string): string => readFileSync(path, 'utf8');
  return { ca: [read(tls.caFile)], ...(tls.certFile ? { cert: read(tls.certFile) } : {}), ...(tls.keyFile ? { key: read(tls.keyFile) } : {}) };
}
