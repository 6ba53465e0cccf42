// Child process of the benchmark: writes the synthetic month (its own process, so the generator's
// memory is not the benchmark's). Arguments: path year month rows rowGroupRows seed.
import { writeSyntheticYellowMonth } from '../../test/helpers/synthetic-month.js';

const [path, year, month, rows, rowGroupRows, seed] = process.argv.slice(2);
if (path === undefined || seed === undefined) throw new Error('usage: generate.ts PATH YEAR MONTH ROWS ROW_GROUP_ROWS SEED');
writeSyntheticYellowMonth(path, { year: Number(year), month: Number(month), rows: Number(rows), rowGroupRows: Number(rowGroupRows), seed: Number(seed) });
