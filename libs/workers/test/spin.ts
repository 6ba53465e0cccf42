// A worker thread that names itself and uses a set amount of CPU: it spins until its own thread's
// CPU time (process.threadCpuUsage) has grown by `ms`, however long a busy machine makes that take,
// so that tests can assert on the CPU it used without timing anything.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface Spinner {
  /** Resolves when the worker has spun `ms` of CPU under each name in turn (one call per name). */
  next(): Promise<void>;
  /** Lets the worker end; resolves once it has. */
  end(): Promise<void>;
}

/**
 * Starts a worker that, for each name in `names` ('' keeps the name it has), takes that name and
 * spins `ms` of CPU, then waits for next(); after the last it waits for end().
 */
export function spinningWorker(names: readonly string[], ms: number): Spinner {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const spin = (name) => {
      if (name) require('node:fs').writeFileSync('/proc/thread-self/comm', name);
      const start = process.threadCpuUsage();
      for (;;) { const u = process.threadCpuUsage(start); if (u.user + u.system >= workerData.ms * 1000) break; }
      parentPort.postMessage('spun');
    };
    let i = 0;
    parentPort.on('message', (m) => { if (m === 'next') spin(workerData.names[i++]); else parentPort.close(); });`;
  const worker = new Worker(code, { eval: true, workerData: { names, ms } });
  return {
    async next() {
      const spun = once(worker, 'message');
      worker.postMessage('next');
      await spun;
    },
    async end() {
      const exited = once(worker, 'exit');
      worker.postMessage('end');
      await exited;
    },
  };
}
