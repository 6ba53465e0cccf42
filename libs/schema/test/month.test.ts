import t from 'tap';
import { AppError } from '../../errors/src/index.js';
import { monthKey, monthRefFromFileName, parseMonthRef, tlcFileName } from '../src/month.js';

t.test('parses and names months as the TLC does', async (t) => {
  const ref = parseMonthRef('yellow', '2024-01');
  t.same(ref, { service: 'yellow', year: 2024, month: 1 });
  t.equal(monthKey(ref), '2024-01');
  t.equal(tlcFileName(ref), 'yellow_tripdata_2024-01.parquet');
  t.same(monthRefFromFileName('/x/y/fhvhv_tripdata_2023-12.parquet'), { service: 'fhvhv', year: 2023, month: 12 });
  t.equal(monthRefFromFileName('/x/taxi_zone_lookup.csv'), undefined);
});

t.test('bad service or month names the flag and the value', async (t) => {
  const usage = (service: string, month: string, message: RegExp) => {
    const err = t.throws(() => parseMonthRef(service, month)) as unknown;
    t.type(err, AppError);
    t.equal((err as AppError).code, 'TAXI_ERR_CLI_USAGE');
    t.match((err as AppError).message, message);
  };
  usage('blue', '2024-01', /--service should be one of yellow, green, fhv, fhvhv, got 'blue'/);
  usage('green', '2024-13', /--month should be YYYY-MM.*got '2024-13'/);
  usage('green', '2024-1', /got '2024-1'/);
  usage('green', '2008-12', /from 2009-01/);
});
