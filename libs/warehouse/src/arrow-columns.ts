import { DataType, DateUnit, Precision, TimeUnit } from 'apache-arrow';
import { AppError } from '../../errors/src/index.js';
import type { ProcessedType } from '../../schema/src/processed.js';

/** The Arrow type each processed column type takes, as named in errors. */
const ARROW_TYPE: Record<ProcessedType, string> = { STRING: 'Utf8', INT64: 'Int (any width)', FLOAT64: 'Float64', TIMESTAMP: 'Timestamp<MICROSECOND>', DATE: 'Date<DAY>' };

/** The Arrow types each processed column accepts (PROCESSED_ARROW_SCHEMA's, and any integer width for INT64). */
export function acceptsArrow(type: ProcessedType, arrow: DataType): boolean {
  switch (type) {
    case 'STRING': return DataType.isUtf8(arrow);
    case 'INT64': return DataType.isInt(arrow);
    case 'FLOAT64': return DataType.isFloat(arrow) && arrow.precision === Precision.DOUBLE;
    case 'TIMESTAMP': return DataType.isTimestamp(arrow) && arrow.unit === TimeUnit.MICROSECOND;
    case 'DATE': return DataType.isDate(arrow) && arrow.unit === DateUnit.DAY;
  }
}

/** A warehouse column a batch is checked against. */
export interface ExpectedColumn {
  readonly name: string;
  readonly type: ProcessedType;
  readonly required: boolean;
}

/**
 * Checks a batch's columns (name and Arrow type) against the warehouse's: an unknown column, a
 * column of another Arrow type or a missing REQUIRED column is a bug upstream, refused whole
 * (TAXI_ERR_WAREHOUSE_WRITE naming the column). A missing NULLABLE column is written as nulls.
 */
export function checkArrowColumns(fields: readonly { readonly name: string; readonly type: DataType }[], columns: readonly ExpectedColumn[], where: string): void {
  const known = new Map(columns.map((c) => [c.name, c]));
  for (const field of fields) {
    const column = known.get(field.name);
    if (!column) throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: the batch has column ${field.name}, which is not in the processed schema`, { context: { column: field.name } });
    if (!acceptsArrow(column.type, field.type)) {
      throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: column ${field.name} (${column.type}) should be Arrow ${ARROW_TYPE[column.type]}, got ${(field.type as DataType & { toString(): string }).toString()}`, { context: { column: field.name } });
    }
  }
  for (const column of columns) {
    if (column.required && !fields.some((f) => f.name === column.name)) {
      throw new AppError('TAXI_ERR_WAREHOUSE_WRITE', `${where}: the batch lacks REQUIRED column ${column.name}`, { context: { column: column.name } });
    }
  }
}
