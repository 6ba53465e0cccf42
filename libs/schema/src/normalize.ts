import { RecordBatch, Table, makeData, Struct } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { AppError } from '../../errors/src/index.js';
import type { CanonicalField, CanonicalSchema } from './canonical.js';
import { allNull, convertChunk } from './convert.js';

export interface NormalizeInput {
  readonly table: Table;
  readonly schema: CanonicalSchema;
  /** Named in errors. */
  readonly file: string;
  readonly rowGroup: number;
  /** Index in the row group of the table's first row, when the table is a range of it (0 by default): errors name rows of the row group. */
  readonly firstRow?: number;
}

export interface NormalizeResult {
  /** The row group in the canonical schema, batch boundaries kept. */
  readonly table: Table;
  /** Source columns no canonical field matches: dropped here, reported by name. */
  readonly unknownColumns: readonly string[];
  /** Canonical optional columns the file lacks: filled with nulls. */
  readonly missingColumns: readonly string[];
}

/** Maps each canonical field to the source column it comes from (case-insensitive, aliases too). */
function matchColumns(sourceNames: readonly string[], schema: CanonicalSchema): Map<CanonicalField, string | undefined> {
  const byLower = new Map(sourceNames.map((name) => [name.toLowerCase(), name]));
  return new Map(schema.fields.map((field) => {
    const candidates = [field.name, ...(field.aliases ?? [])].map((n) => n.toLowerCase());
    const found = candidates.map((c) => byLower.get(c)).find((name) => name !== undefined);
    return [field, found];
  }));
}

/**
 * Normalises one decoded row group to its service's canonical schema (see canonical.ts): renames
 * drifted spellings, converts types losslessly, fills missing optional columns with nulls.
 * Errors: TAXI_ERR_SCHEMA_UNKNOWN naming the first missing required column (or an unconvertible
 * type); TAXI_ERR_SCHEMA_CONVERSION naming the value that does not fit.
 */
export function normalizeRowGroup(input: NormalizeInput): NormalizeResult {
  const { table, schema, file, rowGroup } = input;
  const sourceNames = table.schema.fields.map((field) => field.name);
  const matches = matchColumns(sourceNames, schema);
  const missingRequired = [...matches].filter(([field, source]) => field.required && source === undefined).map(([field]) => field.name);
  if (missingRequired.length > 0) {
    throw new AppError('TAXI_ERR_SCHEMA_UNKNOWN',
      `${file} is not a ${schema.service} trip file: required column${missingRequired.length > 1 ? 's' : ''} ${missingRequired.map((n) => `'${n}'`).join(', ')} missing (columns found: ${sourceNames.join(', ')})`,
      { context: { file, rowGroup, column: missingRequired[0] ?? '' } });
  }
  const used = new Set(matches.values());
  const unknownColumns = sourceNames.filter((name) => !used.has(name));
  const missingColumns = [...matches].filter(([, source]) => source === undefined).map(([field]) => field.name);

  let firstRow = input.firstRow ?? 0;
  const batches = table.batches.map((batch) => {
    const children: Data[] = schema.fields.map((field) => {
      const source = matches.get(field);
      const child = source === undefined ? undefined : batch.getChild(source);
      if (!child) return allNull(field.type, batch.numRows);
      const chunk: Data | undefined = child.data[0];
      if (!chunk) return allNull(field.type, batch.numRows);
      return convertChunk(chunk, field.type, { file, rowGroup, column: source ?? field.name, firstRow });
    });
    firstRow += batch.numRows;
    const struct = makeData({ type: new Struct(schema.arrow.fields), length: batch.numRows, nullCount: 0, children });
    return new RecordBatch(schema.arrow, struct);
  });
  return { table: new Table(schema.arrow, batches), unknownColumns, missingColumns };
}
