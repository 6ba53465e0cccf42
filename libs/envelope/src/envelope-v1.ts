import { crc32 } from 'node:zlib';
import { AppError } from '../../errors/src/index.js';
import { isService } from '../../schema/src/month.js';
import type { Service } from '../../schema/src/month.js';

/**
 * Envelope v1: the headers of every message on taxi.trips.raw. The value is one Arrow IPC stream
 * (schema + one record batch) holding rows [firstRow, firstRow + rowCount) of the source file, in
 * the service's canonical schema (fingerprint `schema`).
 *
 *   taxi-envelope  "1"
 *   source         URI the month was read from (https://… or file:///…)
 *   service        yellow | green | fhv | fhvhv
 *   month          YYYY-MM
 *   row-group      row group index in the source file
 *   first-row      index in the source file of the first row (0-based, across row groups)
 *   row-count      rows in this message
 *   schema         canonical schema fingerprint (libs/schema/src/canonical.ts)
 *   ingested-at    when the month's ingest began (ISO 8601), the same for all its messages and its
 *                  manifest record: the processed rows' Load_dt, so a replay writes the same value
 *   checksum       "crc32:" + CRC-32 (zlib) of the value, 8 hex digits
 */
export const ENVELOPE_VERSION = '1';

export interface EnvelopeV1 {
  readonly source: string;
  readonly service: Service;
  readonly month: string;
  readonly rowGroup: number;
  readonly firstRow: number;
  readonly rowCount: number;
  readonly schema: string;
  readonly ingestedAt: string;
  readonly checksum: string;
}

export function checksumOf(value: Uint8Array): string {
  return `crc32:${crc32(value).toString(16).padStart(8, '0')}`;
}

export function encodeEnvelope(envelope: EnvelopeV1): Record<string, string> {
  return {
    'taxi-envelope': ENVELOPE_VERSION, source: envelope.source, service: envelope.service, month: envelope.month,
    'row-group': String(envelope.rowGroup), 'first-row': String(envelope.firstRow), 'row-count': String(envelope.rowCount),
    schema: envelope.schema, 'ingested-at': envelope.ingestedAt, checksum: envelope.checksum,
  };
}

function invalid(why: string): AppError {
  return new AppError('TAXI_ERR_ENVELOPE_INVALID', `message envelope is invalid: ${why}`);
}

function count(headers: Readonly<Record<string, string>>, name: string): number {
  const raw = headers[name];
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isSafeInteger(value) || value < 0) throw invalid(`header '${name}' should be a non-negative integer, got '${raw ?? '(missing)'}'`);
  return value;
}

/**
 * Reads the headers back, checking the version and, when `value` is given, the checksum.
 * Errors: TAXI_ERR_ENVELOPE_INVALID naming the header (not retryable: the message goes to the DLQ whole).
 */
export function decodeEnvelope(headers: Readonly<Record<string, string>>, value?: Uint8Array): EnvelopeV1 {
  if (headers['taxi-envelope'] !== ENVELOPE_VERSION) throw invalid(`header 'taxi-envelope' should be '${ENVELOPE_VERSION}', got '${headers['taxi-envelope'] ?? '(missing)'}'`);
  const service = headers.service ?? '';
  if (!isService(service)) throw invalid(`header 'service' should be a TLC service, got '${service}'`);
  const month = headers.month ?? '';
  if (!/^\d{4}-\d{2}$/.test(month)) throw invalid(`header 'month' should be YYYY-MM, got '${month}'`);
  const envelope: EnvelopeV1 = {
    source: headers.source ?? '', service, month, rowGroup: count(headers, 'row-group'), firstRow: count(headers, 'first-row'),
    rowCount: count(headers, 'row-count'), schema: headers.schema ?? '', ingestedAt: headers['ingested-at'] ?? '',
    checksum: headers.checksum ?? '',
  };
  if (Number.isNaN(Date.parse(envelope.ingestedAt))) throw invalid(`header 'ingested-at' should be an ISO 8601 time, got '${envelope.ingestedAt || '(missing)'}'`);
  if (value && checksumOf(value) !== envelope.checksum) {
    throw invalid(`checksum ${checksumOf(value)} of the value does not match header 'checksum' ${envelope.checksum || '(missing)'}`);
  }
  return envelope;
}
