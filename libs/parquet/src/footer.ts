// The Parquet footer, read and rewritten in plain JavaScript: the polars codec needs the row groups
// (nodejs-polars exposes no footer) and key-value metadata in the files it writes (nodejs-polars
// cannot write any). A corrupt footer throws here, in JavaScript, rather than panicking in Rust.
//
// Spec excerpt (apache/parquet-format, src/main/thrift/parquet.thrift; Thrift compact encoding):
//   File layout: "PAR1" <column chunks> <FileMetaData> <length of FileMetaData: 4 bytes, little-endian> "PAR1"
//   struct FileMetaData {
//     1: required i32 version
//     2: required list<SchemaElement> schema
//     3: required i64 num_rows
//     4: required list<RowGroup> row_groups
//     5: optional list<KeyValue> key_value_metadata
//     6: optional string created_by
//     7: optional list<ColumnOrder> column_orders
//     8: optional EncryptionAlgorithm encryption_algorithm
//     9: optional binary footer_signing_key_metadata
//   }
//   struct RowGroup { 1: required list<ColumnChunk> columns  2: required i64 total_byte_size  3: required i64 num_rows ... }
//   struct KeyValue { 1: required string key  2: optional string value }
// Column chunks are located by absolute file offsets that all point before the footer, so a new
// footer after the same data is a valid file.
import { open } from 'node:fs/promises';
import { CompactReader, CompactType, CompactWriter } from './thrift-compact.js';

const MAGIC = 'PAR1';
const TAIL_BYTES = 8; // footer length + magic
const MIN_FILE_BYTES = 12; // magic, an empty footer's length, magic

export interface FooterRowGroup {
  readonly numRows: number;
  /** total_byte_size: uncompressed bytes of the row group's column chunks. */
  readonly totalBytes: number;
}

export interface ParquetFooter {
  readonly numRows: number;
  readonly createdBy: string | undefined;
  readonly rowGroups: readonly FooterRowGroup[];
  /** key_value_metadata in file order (a key without a value maps to undefined). */
  readonly keyValue: ReadonlyMap<string, string | undefined>;
}

/** Not a well-formed Parquet file; the message says what was expected. */
export class ParquetFormatError extends Error {
  override readonly name = 'ParquetFormatError';
}

const magicAt = (bytes: Uint8Array, at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));

/** Where the FileMetaData lies, from the file's last 8 bytes. */
function footerLength(tail: Uint8Array, sizeBytes: number): number {
  const magic = magicAt(tail, 4);
  if (magic === 'PARE') throw new ParquetFormatError('the footer is encrypted (magic PARE), which is not supported');
  if (magic !== MAGIC) throw new ParquetFormatError(`no Parquet magic at the end of the file (found ${JSON.stringify(magic)}): not Parquet, or truncated`);
  const length = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(0, true);
  if (length > sizeBytes - TAIL_BYTES - MAGIC.length) {
    throw new ParquetFormatError(`the footer length ${length} exceeds the file (${sizeBytes} bytes): truncated or corrupt`);
  }
  return length;
}

function readRowGroup(reader: CompactReader): FooterRowGroup {
  let numRows: number | undefined;
  let totalBytes: number | undefined;
  reader.struct((id, type) => {
    if (id === 2 && type === CompactType.i64) totalBytes = reader.int();
    else if (id === 3 && type === CompactType.i64) numRows = reader.int();
    else reader.skip(type);
  });
  if (numRows === undefined || totalBytes === undefined) throw new ParquetFormatError('a row group lacks num_rows or total_byte_size');
  if (!Number.isSafeInteger(numRows) || numRows < 0) throw new ParquetFormatError(`a row group has ${numRows} rows`);
  return { numRows, totalBytes };
}

function readKeyValues(reader: CompactReader, into: Map<string, string | undefined>): void {
  reader.list((type) => {
    if (type !== CompactType.struct) throw new ParquetFormatError(`key_value_metadata holds type ${type}, expected structs`);
    let key: string | undefined;
    let value: string | undefined;
    reader.struct((id, fieldType) => {
      if (id === 1 && fieldType === CompactType.binary) key = reader.string();
      else if (id === 2 && fieldType === CompactType.binary) value = reader.string();
      else reader.skip(fieldType);
    });
    if (key === undefined) throw new ParquetFormatError('a key_value_metadata entry has no key');
    into.set(key, value);
  });
}

/** Decodes a FileMetaData (the footer without its length and magic). */
export function parseFileMetaData(bytes: Uint8Array): ParquetFooter {
  const reader = new CompactReader(bytes);
  let numRows: number | undefined;
  let createdBy: string | undefined;
  let rowGroups: FooterRowGroup[] | undefined;
  const keyValue = new Map<string, string | undefined>();
  reader.struct((id, type) => {
    if (id === 3 && type === CompactType.i64) numRows = reader.int();
    else if (id === 4 && type === CompactType.list) { const groups: FooterRowGroup[] = []; reader.list(() => { groups.push(readRowGroup(reader)); }); rowGroups = groups; }
    else if (id === 5 && type === CompactType.list) readKeyValues(reader, keyValue);
    else if (id === 6 && type === CompactType.binary) createdBy = reader.string();
    else reader.skip(type);
  });
  if (numRows === undefined || rowGroups === undefined) throw new ParquetFormatError('the footer lacks num_rows or row_groups');
  const inGroups = rowGroups.reduce((sum, g) => sum + g.numRows, 0);
  if (inGroups !== numRows) throw new ParquetFormatError(`the footer says ${numRows} rows but its row groups hold ${inGroups}`);
  return { numRows, createdBy, rowGroups, keyValue };
}

/** Reads and decodes the footer of a file of `sizeBytes` bytes (reads its first 4 and last 8 + footer bytes only). */
export async function readFooter(path: string, sizeBytes: number): Promise<ParquetFooter> {
  if (sizeBytes < MIN_FILE_BYTES) throw new ParquetFormatError(`${sizeBytes} bytes is too small for a Parquet file`);
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(MAGIC.length);
    const tail = new Uint8Array(TAIL_BYTES);
    await handle.read(head, 0, head.length, 0);
    await handle.read(tail, 0, tail.length, sizeBytes - TAIL_BYTES);
    if (magicAt(head, 0) !== MAGIC) throw new ParquetFormatError(`no Parquet magic at the start of the file (found ${JSON.stringify(magicAt(head, 0))})`);
    const length = footerLength(tail, sizeBytes);
    const footer = new Uint8Array(length);
    const { bytesRead } = await handle.read(footer, 0, length, sizeBytes - TAIL_BYTES - length);
    if (bytesRead !== length) throw new ParquetFormatError(`read ${bytesRead} of the footer's ${length} bytes: the file changed while being read`);
    return parseFileMetaData(footer);
  } finally {
    await handle.close();
  }
}

interface RawField { readonly id: number; readonly type: number; readonly value: Uint8Array }

/**
 * Returns `file` (a whole Parquet file) with `entries` in its key-value metadata, replacing entries
 * of the same key and keeping the others. Only the footer is rewritten; the column chunks are copied.
 */
export function withKeyValueMetadata(file: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  if (Object.keys(entries).length === 0) return file;
  if (file.length < MIN_FILE_BYTES) throw new ParquetFormatError(`${file.length} bytes is too small for a Parquet file`);
  const length = footerLength(file.subarray(file.length - TAIL_BYTES), file.length);
  const footerStart = file.length - TAIL_BYTES - length;
  const footer = file.subarray(footerStart, footerStart + length);

  // The top-level fields, each kept as its encoded value; key_value_metadata is decoded to merge into.
  const reader = new CompactReader(footer);
  const fields: RawField[] = [];
  const keyValue = new Map<string, string | undefined>();
  reader.struct((id, type) => {
    const start = reader.position;
    if (id === 5 && type === CompactType.list) { readKeyValues(reader, keyValue); return; }
    reader.skip(type);
    fields.push({ id, type, value: footer.subarray(start, reader.position) });
  });
  const merged = new Map<string, string | undefined>(Object.entries(entries));
  for (const [key, value] of keyValue) if (!merged.has(key)) merged.set(key, value);

  const kv = new CompactWriter().listHeader(CompactType.struct, merged.size);
  for (const [key, value] of merged) {
    kv.fieldHeader(CompactType.binary, 1, 0).string(key);
    if (value !== undefined) kv.fieldHeader(CompactType.binary, 2, 1).string(value);
    kv.stop();
  }
  fields.push({ id: 5, type: CompactType.list, value: kv.finish() });
  fields.sort((a, b) => a.id - b.id);

  const out = new CompactWriter();
  let previous = 0;
  for (const field of fields) { out.fieldHeader(field.type, field.id, previous).raw(field.value); previous = field.id; }
  const newFooter = out.stop().finish();

  const result = new Uint8Array(footerStart + newFooter.length + TAIL_BYTES);
  result.set(file.subarray(0, footerStart));
  result.set(newFooter, footerStart);
  new DataView(result.buffer).setUint32(footerStart + newFooter.length, newFooter.length, true);
  result.set(new TextEncoder().encode(MAGIC), result.length - MAGIC.length);
  return result;
}
