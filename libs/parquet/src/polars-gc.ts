// nodejs-polars frees a DataFrame's native memory (often hundreds of MB) only when V8 collects its
// JavaScript wrapper, which V8 sizes at a few bytes, and then only in a finalizer that runs on a
// later turn of the event loop. Left alone, V8 rarely collects, and a piscina worker (which waits
// between tasks in Atomics.wait, its event loop stopped) never runs those finalizers: decoding row
// group after row group grew by ~300 MB a row group, without bound. So each polars task ends by
// collecting garbage (worker-gc.ts) and letting the finalizers run.
import { Piscina } from 'piscina';
import { collectGarbage } from '../../workers/src/worker-gc.js';

/**
 * Frees the native memory of every polars object no longer referenced. Call it once the task's
 * frames are out of scope (returned from the function that made them).
 */
export async function releaseNativeMemory(): Promise<void> {
  collectGarbage();
  // Node drains the finalizers the collection queued before this immediate's callback runs.
  await new Promise<void>((resolve) => { setImmediate(resolve); });
}

/**
 * A polars task's result, moved (transferred) to the caller, with the native memory of the
 * frames `make` created released first, whether it succeeded or threw.
 */
export async function movedAfterRelease(make: () => Uint8Array): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = make();
  } finally {
    await releaseNativeMemory(); // the frames are out of scope once make() returns
  }
  // Transfer, not copy: the bytes are the largest thing a task makes.
  return Piscina.move(bytes) as Uint8Array;
}
