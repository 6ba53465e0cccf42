import type { ErrorCode, ErrorContext } from '../../errors/src/index.js';

/**
 * A call from duckdb-thread.ts to the DuckDB thread: one Warehouse method on the main table
 * (`table` '') or on a staging table (its name).
 */
export type ThreadRequest = { readonly id: number; readonly table: string } & (
  | { readonly op: 'connect' | 'ping' | 'sync' | 'close' }
  | { readonly op: 'writeBatch'; readonly partitionKey: string; readonly offset: string; readonly ipc: Uint8Array }
  | { readonly op: 'query'; readonly sql: string }
  | { readonly op: 'staging'; readonly name: string }
  | { readonly op: 'replaceMonth'; readonly service: string; readonly month: string; readonly staging: string }
);

/** An error thrown on the DuckDB thread, as it crosses back (an AppError keeps its code). */
export interface ThreadError {
  readonly message: string;
  readonly code?: ErrorCode;
  readonly retryable?: boolean;
  readonly context?: ErrorContext;
  readonly stack?: string | undefined;
}

/**
 * The reply to a request, in the order of the requests, with the adapter's pendingFrom of every
 * partition key after it (duckdb.ts pending()): the batches acknowledged so far and not durable.
 */
export type ThreadReply = { readonly id: number; readonly pending: readonly (readonly [string, string])[] }
  & ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ThreadError });
