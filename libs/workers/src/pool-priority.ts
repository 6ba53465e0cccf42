/**
 * How far below the main thread's the CPU priority of the piscina pools' threads (transforms,
 * Parquet decode and encode) is set: piscina's `niceIncrement`, which each worker applies to
 * itself at start (@napi-rs/nice; on Linux a nice value is per thread), so the threads that pace a
 * run, the main thread and the DuckDB thread, get a core before a pool thread does. It matters
 * only when the threads outnumber the cores. worker-module.ts's poolWorkerModule applies it.
 *
 * On a 2-core machine a month's `taxi run` is paced by the DuckDB thread, which was ready to run
 * but waiting for a core for 1.8 s of its 9 s (/proc schedstat) while the pools' threads ran;
 * 0.8 s with them at 19 (the rest behind V8's collector threads and the main thread).
 * The pools keep up at the lowest priority: they run whenever the pacing threads wait, and a
 * pool thread that falls behind starves those threads of work, which then wait and leave it
 * the cores. A nice value can only be raised without privileges, so it stays for the thread's life.
 */
export const POOL_NICE_INCREMENT = 19;
