// Test helpers: this process's threads' CPU priorities, read from /proc as Linux keeps them (a nice
// value per thread), and the value the piscina pools' threads should have (pool-priority.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { POOL_NICE_INCREMENT } from '../src/pool-priority.js';

/** Whether threads' priorities can be read here (Linux). */
export const canReadThreadPriorities = existsSync('/proc/self/task');

/** This process's threads: id -> nice value (the 19th field of /proc/<pid>/task/<tid>/stat). */
export function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch { /* the thread ended meanwhile */ }
  }
  return nices;
}

/** The nice values of the threads started since `before` was read. */
export function startedSince(before: Map<number, number>): number[] {
  return [...threadNices()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
}

/** The main thread's nice value, and the one a pool thread started from it should have (19 at most). */
export function poolNice(): { main: number; lowered: number } {
  const main = canReadThreadPriorities ? threadNices().get(process.pid) ?? 0 : 0;
  return { main, lowered: Math.min(19, main + POOL_NICE_INCREMENT) };
}
