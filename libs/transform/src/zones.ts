import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError, messageOf } from '../../errors/src/index.js';

/** The TLC taxi zone lookup, indexed by LocationID (1-265; 264/265 are Unknown / Outside of NYC). */
export interface Zones {
  readonly borough: readonly (string | undefined)[];
  readonly zone: readonly (string | undefined)[];
  readonly maxId: number;
}

export const SHIPPED_ZONES_CSV = fileURLToPath(new URL('../../../data/samples/taxi_zone_lookup.csv', import.meta.url));

/** Parses taxi_zone_lookup.csv (LocationID,Borough,Zone,service_zone; the TLC's file has no quoting). */
export function parseZones(csv: string): Zones {
  const borough: (string | undefined)[] = [];
  const zone: (string | undefined)[] = [];
  const [header = '', ...lines] = csv.trim().split(/\r?\n/);
  if (!/^"?LocationID"?,"?Borough"?,"?Zone"?/.test(header)) throw new Error(`taxi zone lookup: unexpected header '${header}'`);
  let maxId = 0;
  for (const line of lines) {
    const [id, b, z] = line.split(',').map((v) => v.replace(/^"|"$/g, ''));
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1) throw new Error(`taxi zone lookup: bad LocationID in '${line}'`);
    borough[n] = b;
    zone[n] = z;
    maxId = Math.max(maxId, n);
  }
  return { borough, zone, maxId };
}

/**
 * The lookup file, read and parsed: its text (for a thread that parses it again) and its zones.
 * Errors: TAXI_ERR_ZONES_UNREADABLE (the file cannot be read, or is not the TLC's zone lookup), naming the file.
 */
export function readZones(path = SHIPPED_ZONES_CSV): { csv: string; zones: Zones } {
  let csv: string;
  try {
    csv = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AppError('TAXI_ERR_ZONES_UNREADABLE', `the taxi zone lookup ${path} cannot be read: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
  try {
    return { csv, zones: parseZones(csv) };
  } catch (error) {
    throw new AppError('TAXI_ERR_ZONES_UNREADABLE', `${path} is not the TLC taxi zone lookup: ${messageOf(error)}`, { cause: error, context: { file: path } });
  }
}

export function loadZones(path = SHIPPED_ZONES_CSV): Zones {
  return readZones(path).zones;
}
