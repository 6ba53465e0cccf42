// A garbage collection a worker asks for, when it knows a task left large memory that only a
// collection frees and V8 would not collect soon: V8 collects when its own heap grows, and a piscina
// worker waits between tasks in Atomics.wait, its event loop stopped, so a worker that allocates
// little JavaScript keeps a task's garbage (and whatever memory it holds) until some later task.
// --expose-gc is set at run time and gc() taken from a new context, as Jest does for
// --logHeapUsage (V8 flags are process-wide; this adds a gc() global to contexts made afterwards
// and changes nothing else).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

/** A full collection of this thread's heap, now. */
export const collectGarbage = runInNewContext('gc') as () => void;
