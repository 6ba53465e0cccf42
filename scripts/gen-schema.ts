// Writes the processed table's BigQuery schema, from libs/schema/src/processed.ts, to
// terraform/modules/bigquery/schemas/trips.json. `npm run gen:schema`; a test checks the file is current.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigQuerySchema } from '../libs/schema/src/processed.js';

export const TERRAFORM_SCHEMA_PATH = fileURLToPath(new URL('../terraform/modules/bigquery/schemas/trips.json', import.meta.url));

export function renderSchema(): string {
  return `${JSON.stringify(bigQuerySchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(TERRAFORM_SCHEMA_PATH), { recursive: true });
  writeFileSync(TERRAFORM_SCHEMA_PATH, renderSchema());
  process.stdout.write(`wrote ${TERRAFORM_SCHEMA_PATH}\n`);
}
