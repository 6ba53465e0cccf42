import { fileURLToPath } from 'node:url';
import { POOL_NICE_INCREMENT } from './pool-priority.js';

/**
 * Where a worker task module lives and how to start it: the compiled .js when running from dist/,
 * the .ts source (with tsx, which maps the sources' .js import specifiers to .ts) in a checkout.
 */
export function workerModule(tsUrl: URL): { filename: string; execArgv: string[] } {
  const running = fileURLToPath(import.meta.url);
  if (running.endsWith('.js')) {
    return { filename: fileURLToPath(tsUrl).replace(/\.ts$/, '.js'), execArgv: [] };
  }
  return { filename: fileURLToPath(tsUrl), execArgv: ['--import', 'tsx'] };
}

/**
 * How a piscina pool starts its workers: workerModule's module and flags, at the pools' lowered
 * CPU priority (pool-priority.ts). A thread that paces a run (the DuckDB thread) starts with
 * workerModule alone, at the main thread's priority.
 */
export function poolWorkerModule(tsUrl: URL): { filename: string; execArgv: string[]; niceIncrement: number } {
  return { ...workerModule(tsUrl), niceIncrement: POOL_NICE_INCREMENT };
}
