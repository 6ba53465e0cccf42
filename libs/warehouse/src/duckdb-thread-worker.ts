// The DuckDB warehouse's own thread (duckdb-thread.ts starts it): the database, its appends and
// COMMITs run here, so that copying batches into DuckDB and compressing them never holds up the
// thread that consumes and routes messages.
import { parentPort, workerData } from 'node:worker_threads';
import { tableFromIPC } from 'apache-arrow';
import { AppError, messageOf } from '../../errors/src/index.js';
import { duckDbWarehouse } from './duckdb.js';
import type { DuckDbWarehouseInput } from './duckdb.js';
import type { Warehouse } from './types.js';
import type { ThreadError, ThreadReply, ThreadRequest } from './duckdb-thread-protocol.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';
import { collectGarbage } from '../../workers/src/worker-gc.js';

nameThisThread(THREAD_NAMES.duckdb);

if (!parentPort) throw new Error('duckdb-thread-worker.ts runs as a worker thread (see duckdb-thread.ts)');
const port = parentPort;
const root = duckDbWarehouse(workerData as DuckDbWarehouseInput);
/** The main table's warehouse under '', staging tables' under their names. */
const tables = new Map<string, Warehouse>([['', root]]);

function tableOf(name: string): Warehouse {
  const table = tables.get(name);
  if (!table) throw new Error(`no staging table ${name} on the DuckDB thread`);
  return table;
}

async function run(request: ThreadRequest): Promise<unknown> {
  if (request.op === 'close') {
    // A staging table's close is a no-op in the adapter (its table may be gone: replaceMonth drops it).
    await tables.get(request.table)?.close();
    if (request.table !== '') tables.delete(request.table);
    return undefined;
  }
  const w = tableOf(request.table);
  switch (request.op) {
    case 'connect': return w.connect();
    case 'ping': return w.ping();
    case 'writeBatch': return w.writeBatch({ partitionKey: request.partitionKey, offset: request.offset, table: tableFromIPC(request.ipc) });
    case 'sync': return w.sync();
    case 'query': return w.query(request.sql);
    case 'staging': {
      tables.set(request.name, await w.staging(request.name));
      return undefined;
    }
    case 'replaceMonth': return w.replaceMonth(request.service, request.month, request.staging);
  }
}

function describe(error: unknown): ThreadError {
  if (error instanceof AppError) {
    return { message: error.message, code: error.code, retryable: error.retryable, context: error.context, stack: error.stack };
  }
  return { message: messageOf(error), stack: error instanceof Error ? error.stack : undefined };
}

// Batches mostly arrive in SharedArrayBuffers (the transform's replies, shared, not copied). This
// thread's handles on them keep their memory until it collects garbage, which a thread allocating
// next to no JavaScript seldom does. So after every so many bytes of batches, a full collection.
// Measured by hand on `taxi run` of the month (GNU time, 3 runs each): with no collection here,
// peak RSS 2,075-2,176 MiB; collecting every 32 MiB, 1,473-1,479 MiB, but V8's helper threads
// 0.5-0.9 s busier (a full collection marks the whole heap); every 128 MiB, 1,470-1,525 MiB and
// 15.5-15.7 s of CPU, against 1,607-1,659 MiB and 15.6-16.6 s with the copies this thread made
// before (duckdb-vectors.ts), whose garbage made V8 collect.
const COLLECT_AFTER_BYTES = 128 * 1024 * 1024;
let bytesSinceCollected = 0;

function written(request: ThreadRequest): void {
  if (request.op !== 'writeBatch') return;
  bytesSinceCollected += request.ipc.byteLength;
  if (bytesSinceCollected < COLLECT_AFTER_BYTES) return;
  bytesSinceCollected = 0;
  setImmediate(collectGarbage); // once this request's own handles are gone
}

port.on('message', (request: ThreadRequest) => {
  run(request).then(
    (value) => { port.postMessage({ id: request.id, pending: [...root.pending()], ok: true, value } satisfies ThreadReply); },
    (error: unknown) => { port.postMessage({ id: request.id, pending: [...root.pending()], ok: false, error: describe(error) } satisfies ThreadReply); },
  ).finally(() => { written(request); });
});
