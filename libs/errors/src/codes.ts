/**
 * Every error code the project raises, once. Codes are never reused: retire one by leaving it here
 * with `retired: true`. docs/errors.md carries, for each code, what it means and how to solve it
 * (a test checks both lists agree).
 */
export const ERROR_CODES = [
  'TAXI_ERR_CLI_USAGE',
  'TAXI_ERR_CONFIG_INVALID',
  'TAXI_ERR_SOURCE_NOT_FOUND',
  'TAXI_ERR_SOURCE_UNREADABLE',
  'TAXI_ERR_PARQUET_CORRUPT',
  'TAXI_ERR_PARQUET_EMPTY',
  'TAXI_ERR_SCHEMA_UNKNOWN',
  'TAXI_ERR_SCHEMA_CONVERSION',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
