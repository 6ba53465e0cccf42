import { AppError } from '../../errors/src/index.js';

/** A staging table is a plain identifier and never the main table. */
export function checkStagingName(staging: string, main: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(staging) || staging === main) {
    throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `staging table '${staging}' is not a valid table name other than '${main}'`);
  }
}
