// A Kafka broker of the test's own (test/servers/kafka.sh with its own ports and state dir), for
// tests that stop and start the broker: the shared one keeps serving tests running in parallel.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Test } from 'tap';

const script = fileURLToPath(new URL('../servers/kafka.sh', import.meta.url));
const run = promisify(execFile);

export interface DedicatedKafka {
  readonly brokers: string[];
  /** kafka.sh start: formats the data dir the first time, waits until the broker serves. */
  start(): Promise<void>;
  /** kafka.sh stop: controlled shutdown; the data dir is kept, so start() brings the same cluster back. */
  stop(): Promise<void>;
}

/** Starts a broker on free ports with state under a temp dir; stopped and deleted at teardown. */
export async function dedicatedKafka(t: Test): Promise<DedicatedKafka> {
  const [port, controllerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'taxi-kafka-'));
  const env = { ...process.env, TAXI_SERVERS_DIR: dir, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
  // Asynchronous on purpose: the test's child processes keep writing to pipes meanwhile.
  const kafka = async (command: string): Promise<void> => { await run('bash', [script, command], { env }); };
  t.teardown(async () => {
    await kafka('stop');
    rmSync(dir, { recursive: true, force: true });
  });
  await kafka('start');
  return { brokers: [`127.0.0.1:${port}`], start: () => kafka('start'), stop: () => kafka('stop') };
}

/** Ports the OS says are free now (held together, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { resolve(server); });
  })));
  const ports = servers.map((s) => { const a = s.address(); return typeof a === 'object' && a ? a.port : 0; });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
