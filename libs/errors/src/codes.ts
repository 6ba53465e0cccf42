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
  'TAXI_ERR_SOURCE_NOT_ALLOWED',
  'TAXI_ERR_SOURCE_SIZE_MISMATCH',
  'TAXI_ERR_PARQUET_CORRUPT',
  'TAXI_ERR_PARQUET_EMPTY',
  'TAXI_ERR_SCHEMA_UNKNOWN',
  'TAXI_ERR_SCHEMA_CONVERSION',
  'TAXI_ERR_BUS_UNAVAILABLE',
  'TAXI_ERR_BUS_TOPIC_MISSING',
  'TAXI_ERR_BUS_OFFSET_GONE',
  'TAXI_ERR_ENVELOPE_INVALID',
  'TAXI_ERR_MANIFEST_INVALID',
  'TAXI_ERR_OBJECT_KEY_INVALID',
  'TAXI_ERR_OBJECT_NOT_FOUND',
  'TAXI_ERR_OBJECT_UNAVAILABLE',
  'TAXI_ERR_OBJECT_FORBIDDEN',
  'TAXI_ERR_OBJECT_BUCKET_NOT_FOUND',
  'TAXI_ERR_OBJECT_REQUEST_FAILED',
  'TAXI_ERR_OBJECT_UPLOAD_FILE_UNREADABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
