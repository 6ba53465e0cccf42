import type { ErrorCode } from './codes.js';

/** Context fields an error may carry; every field names where the problem is. */
export interface ErrorContext {
  readonly file?: string;
  readonly rowGroup?: number;
  readonly column?: string;
  readonly offset?: number;
  readonly topic?: string;
  readonly partition?: number;
  readonly month?: string;
  readonly key?: string;
}

export interface AppErrorOptions {
  /** True when repeating the same call may succeed (timeouts, 5xx, broker unavailable). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  readonly context?: ErrorContext;
}

/**
 * The one error type the project throws across module boundaries. Callers decide retries from
 * `retryable`, never from the message; a dependency's error is kept as `cause`.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, ...this.context };
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The message of any thrown value, for wrapping a dependency's error into an AppError. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
