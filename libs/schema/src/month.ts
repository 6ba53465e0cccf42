import { AppError } from '../../errors/src/index.js';

/** The TLC's trip-record services, as they name their files. */
export const SERVICES = ['yellow', 'green', 'fhv', 'fhvhv'] as const;
export type Service = (typeof SERVICES)[number];

/** A month of one service: the unit of ingestion, manifest and replay. */
export interface MonthRef {
  readonly service: Service;
  /** Four-digit year. */
  readonly year: number;
  /** 1-12. */
  readonly month: number;
}

export function isService(value: string): value is Service {
  return (SERVICES as readonly string[]).includes(value);
}

/** "2024-01" for January 2024. */
export function monthKey(ref: Pick<MonthRef, 'year' | 'month'>): string {
  return `${ref.year}-${String(ref.month).padStart(2, '0')}`;
}

/** The TLC's own file name: green_tripdata_2024-01.parquet. */
export function tlcFileName(ref: MonthRef): string {
  return `${ref.service}_tripdata_${monthKey(ref)}.parquet`;
}

/** Parses "--service green --month 2024-01"; a bad value is a TAXI_ERR_CLI_USAGE naming it. */
export function parseMonthRef(service: string, month: string): MonthRef {
  if (!isService(service)) {
    throw new AppError('TAXI_ERR_CLI_USAGE', `--service should be one of ${SERVICES.join(', ')}, got '${service}'`);
  }
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(match?.[1]);
  const monthNumber = Number(match?.[2]);
  if (!match || year < 2009 || monthNumber < 1 || monthNumber > 12) {
    throw new AppError('TAXI_ERR_CLI_USAGE', `--month should be YYYY-MM from 2009-01 on, got '${month}'`);
  }
  return { service, year, month: monthNumber };
}

/** Recognises a TLC file name (any directory) and returns its month, or undefined. */
export function monthRefFromFileName(path: string): MonthRef | undefined {
  const match = /(?:^|\/)(yellow|green|fhv|fhvhv)_tripdata_(\d{4})-(\d{2})\.parquet$/.exec(path);
  if (!match) return undefined;
  const [, service = '', year = '', month = ''] = match;
  return isService(service) ? { service, year: Number(year), month: Number(month) } : undefined;
}
