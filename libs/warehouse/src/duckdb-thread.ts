import { Worker } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { AppError } from '../../errors/src/index.js';
import { workerModule } from '../../workers/src/worker-module.js';
import { duckDbLocation, duckDbWarehouseOptions } from './duckdb.js';
import type { DuckDbWarehouseInput } from './duckdb.js';
import type { ThreadError, ThreadReply, ThreadRequest } from './duckdb-thread-protocol.js';
import type { Warehouse, WarehouseBatch, WriteOutcome } from './types.js';

type Call = ThreadRequest extends infer R ? R extends ThreadRequest ? Omit<R, 'id' | 'table'> : never : never;

/**
 * The DuckDB warehouse on a thread of its own: the same adapter (duckdb.ts), its calls sent to a
 * worker thread that owns the database. Appending a batch (copying it into DuckDB's vectors,
 * compressing full row groups, COMMIT) then runs beside the thread that consumes and routes
 * messages instead of on it. On a month's `taxi run` (2 cores, group commit on in both): the main
 * thread's CPU 9.5 s -> 2.7 s, the run 17.6 s -> 17.0 s. Its cost is memory: a second V8 isolate
 * with the adapter's modules, and batches alive until both threads let go of them: `taxi process`
 * on a month peaks 130-200 MiB higher with it (process.ts has the figures).
 * A batch crosses as Arrow IPC bytes (its `ipc` when the caller has them, else encoded here),
 * copied once. Errors come back as the AppErrors they were (code, retryable, context).
 */
export function duckDbWarehouseOnThread(input: DuckDbWarehouseInput): Warehouse {
  const options = duckDbWarehouseOptions(input);
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  // pendingFrom per partition key as the thread's latest reply gave it: a batch's reply comes
  // before its caller sees it written, so a batch counted written is in it until it is durable.
  let held = new Map<string, string>();

  const ended = (why: string): void => {
    worker = undefined;
    const error = new AppError('TAXI_ERR_WAREHOUSE_UNAVAILABLE', `DuckDB thread for ${options.path} ended: ${why}`, { retryable: true });
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function start(): Worker {
    const { filename, execArgv } = workerModule(new URL('./duckdb-thread-worker.ts', import.meta.url));
    const w = new Worker(filename, { execArgv, workerData: options });
    w.on('message', (reply: ThreadReply) => {
      held = new Map(reply.pending);
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(rebuild(reply.error));
    });
    w.on('error', (error: Error) => { if (worker === w) ended(error.message); });
    w.on('exit', (code) => { if (worker === w) ended(`exit code ${code}`); });
    w.unref();
    return w;
  }

  function call<T>(table: string, request: Call, transfer: ArrayBuffer[] = []): Promise<T> {
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (pending.size === 1) w.ref();
      w.postMessage({ ...request, id, table }, transfer);
    });
  }

  const tableWarehouse = (name: string): Warehouse => {
    const table = name === options.table ? '' : name;
    return {
      name: 'duckdb',
      location: duckDbLocation(options, name),
      connect: () => call(table, { op: 'connect' }),
      ping: () => call(table, { op: 'ping' }),
      async restore() { /* markers in the database make checkpoints unnecessary */ },
      writeBatch(batch: WarehouseBatch): Promise<WriteOutcome> {
        // The caller's bytes are shared when they are in a SharedArrayBuffer (the transform's output),
        // else copied (the caller's table may be a view of them); bytes encoded here move.
        if (batch.ipc?.buffer instanceof SharedArrayBuffer) {
          return call(table, { op: 'writeBatch', partitionKey: batch.partitionKey, offset: batch.offset, ipc: batch.ipc });
        }
        const ipc = batch.ipc ? batch.ipc.slice() : ownBytes(tableToIPC(batch.table));
        return call(table, { op: 'writeBatch', partitionKey: batch.partitionKey, offset: batch.offset, ipc }, [ipc.buffer]);
      },
      sync: () => call(table, { op: 'sync' }),
      checkpoint: () => '',
      pendingFrom: (partitionKey) => held.get(partitionKey),
      query: (sql) => call(table, { op: 'query', sql }),
      async staging(stagingName) {
        await call(table, { op: 'staging', name: stagingName });
        return tableWarehouse(stagingName);
      },
      replaceMonth: (service, month, staging) => call(table, { op: 'replaceMonth', service, month, staging }),
      async close() {
        const w = worker;
        if (!w) return;
        try {
          await call(table, { op: 'close' });
        } finally {
          if (table === '') {
            worker = undefined;
            await w.terminate();
          }
        }
      },
    };
  };
  return tableWarehouse(options.table);
}

/** The bytes in an ArrayBuffer of their own, to be moved to the thread (copied if a view into a larger one). */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes as Uint8Array<ArrayBuffer>;
  return bytes.slice();
}

function rebuild(error: ThreadError): Error {
  const rebuilt = error.code
    ? new AppError(error.code, error.message, { retryable: error.retryable ?? false, ...(error.context ? { context: error.context } : {}) })
    : new Error(error.message);
  if (error.stack) rebuilt.stack = `${rebuilt.stack ?? ''}\n    on the DuckDB thread: ${error.stack}`;
  return rebuilt;
}
