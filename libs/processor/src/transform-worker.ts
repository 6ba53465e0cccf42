// Piscina task module: one raw message (envelope v1 + canonical Arrow IPC) -> processed Arrow IPC
// plus its rejected rows. Pure CPU, no I/O: the zone lookup comes with the pool's workerData, read
// and checked by the Pipeline on its own thread. Errors come back as data: an Error's own fields
// (code) do not survive the trip between threads.
import { RecordBatchStreamWriter, tableFromIPC } from 'apache-arrow';
import type { Table } from 'apache-arrow';
import { Piscina } from 'piscina';
import { AppError, messageOf } from '../../errors/src/index.js';
import { decodeEnvelope } from '../../envelope/src/index.js';
import type { EnvelopeV1 } from '../../envelope/src/index.js';
import { canonicalSchema } from '../../schema/src/canonical.js';
import { parseZones, transformTable } from '../../transform/src/index.js';
import type { RejectReason, Zones } from '../../transform/src/index.js';
import { nameThisThread, THREAD_NAMES } from '../../workers/src/thread-name.js';

nameThisThread(THREAD_NAMES.transform);

export interface TransformTask {
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RejectedRow {
  readonly row: number;
  readonly reason: RejectReason;
  /** The canonical row's values, JSON-safe (int64 as string, timestamps as ISO). */
  readonly values: Record<string, unknown>;
}

export type TransformTaskResult =
  | { readonly ok: true; readonly envelope: EnvelopeV1; readonly processed: Uint8Array; readonly rowsOut: number; readonly rejects: RejectedRow[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

type Meta = Omit<Extract<TransformTaskResult, { ok: true }>, 'processed'> | Extract<TransformTaskResult, { ok: false }>;

/**
 * Where the processed stream starts in a reply: after the meta, at a multiple of 64 bytes. Arrow
 * readers take a column's buffer as it lies only when it is aligned (apache-arrow copies a
 * misaligned one, 10-20 times slower on a batch; arrow-rs too), and IPC aligns buffers relative to
 * the stream's start.
 */
const ipcStart = (metaBytes: number): number => Math.ceil((4 + metaBytes) / 64) * 64;

/**
 * The worker's reply as ONE buffer: [u32 little-endian length of the JSON meta][meta JSON][zeros to
 * a multiple of 64 bytes][processed Arrow IPC stream, given as the writer's chunks, copied here
 * once]. It is a SharedArrayBuffer, so neither the reply nor the warehouse's thread (which gets the
 * processed bytes while the main thread keeps them for the Parquet sink) copies it.
 */
export function packResult(meta: Meta, processed: readonly Uint8Array[] = []): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const start = ipcStart(json.byteLength);
  const out = new Uint8Array(new SharedArrayBuffer(start + processed.reduce((n, c) => n + c.byteLength, 0)));
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 4);
  let at = start;
  for (const chunk of processed) { out.set(chunk, at); at += chunk.byteLength; }
  return out;
}

/** The table as Arrow IPC stream chunks, as the writer makes them: not joined (tableToIPC's copy). */
async function ipcChunks(table: Table): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of RecordBatchStreamWriter.writeAll(table)) chunks.push(chunk as Uint8Array); // typed any by apache-arrow
  return chunks;
}

export function unpackResult(packed: Uint8Array): TransformTaskResult {
  const length = new DataView(packed.buffer, packed.byteOffset, packed.byteLength).getUint32(0, true);
  const meta = JSON.parse(new TextDecoder().decode(packed.subarray(4, 4 + length))) as Meta;
  return meta.ok ? { ...meta, processed: packed.subarray(ipcStart(length)) } : meta;
}

/** What the Pipeline hands its pool's workers. */
export interface TransformWorkerData {
  /** The taxi zone lookup's text, checked to parse (readZones). */
  readonly zonesCsv: string;
}

/**
 * The zone lookup, parsed once when the worker loads (this module also loads in the Pipeline's
 * thread, for unpackResult, which has no workerData). A worker without it fails to load, which
 * rejects every task: the pipeline stops rather than sending messages to the DLQ for it.
 */
function workerZones(): Zones | undefined {
  // Piscina's getters, read now: its module-level copies are taken whenever it first loads.
  if (!Piscina.isWorkerThread) return undefined;
  const csv = (Piscina.workerData as Partial<TransformWorkerData> | undefined)?.zonesCsv;
  if (typeof csv !== 'string') throw new Error('the transform worker started without the zone lookup in its workerData (Pipeline passes it)');
  return parseZones(csv);
}
const zones = workerZones();

function jsonValue(value: unknown, isTimestamp: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (isTimestamp && typeof value === 'number') return new Date(value).toISOString().replace('Z', '');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function rowValues(table: Table, index: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of table.schema.fields) {
    const column = table.getChild(field.name);
    out[field.name] = column ? jsonValue(column.get(index), String(field.type).startsWith('Timestamp')) : null;
  }
  return out;
}

export default async function transformMessage(task: TransformTask): Promise<Uint8Array> {
  const [meta, processed] = transform(task);
  return packResult(meta, processed ? await ipcChunks(processed) : []);
}

function transform(task: TransformTask): [Meta, Table?] {
  try {
    const envelope = decodeEnvelope(task.headers, task.value);
    const schema = canonicalSchema(envelope.service);
    if (envelope.schema !== schema.fingerprint) {
      throw new AppError('TAXI_ERR_ENVELOPE_INVALID', `message schema ${envelope.schema} is not the ${envelope.service} canonical schema ${schema.fingerprint}`);
    }
    let table: Table;
    try { table = tableFromIPC(task.value); } catch (error) {
      throw new AppError('TAXI_ERR_ENVELOPE_INVALID', `message value is not an Arrow IPC stream: ${messageOf(error)}`, { cause: error });
    }
    if (table.numRows !== envelope.rowCount) throw new AppError('TAXI_ERR_ENVELOPE_INVALID', `message holds ${table.numRows} rows, header 'row-count' says ${envelope.rowCount}`);
    if (!zones) throw new Error('transformMessage runs in the Pipeline\'s worker threads only');
    const out = transformTable(table, { service: envelope.service, month: envelope.month, firstRow: envelope.firstRow, loadDtMicros: Date.parse(envelope.ingestedAt) * 1000, zones });
    const rejects = out.rejects.map((r) => ({ row: r.row, reason: r.reason, values: rowValues(table, r.row - envelope.firstRow) }));
    return [{ ok: true, envelope, rowsOut: out.table.numRows, rejects }, out.table];
  } catch (error) {
    if (error instanceof AppError) return [{ ok: false, code: error.code, message: messageOf(error) }];
    // Anything else is a fault of the transform's own (a bug, or a worker set up wrong), not of the
    // message: named so, with where it was thrown, so that the DLQ does not call it bad input.
    return [{ ok: false, code: 'TAXI_ERR_TRANSFORM_FAILED', message: faultOf(error) }];
  }
}

/** An unexpected error, as its name, message and the frame that threw it. */
function faultOf(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error thrown: ${String(error)}`;
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '))?.trim();
  return `${error.name}: ${error.message}${frame ? ` (${frame})` : ''}`;
}
