export { AppError, isAppError, messageOf } from './app-error.js';
export type { AppErrorOptions, ErrorContext } from './app-error.js';
export { ERROR_CODES } from './codes.js';
export type { ErrorCode } from './codes.js';
