import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

export function loadZones(path = SHIPPED_ZONES_CSV): Zones {
  return parseZones(readFileSync(path, 'utf8'));
}
