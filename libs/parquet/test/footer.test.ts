import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseFileMetaData, ParquetFormatError, withKeyValueMetadata } from '../src/footer.js';
import { CompactReader, CompactType, CompactWriter, ThriftError } from '../src/thrift-compact.js';
import { green2024 } from './contract.js';

const file = readFileSync(green2024);
const footerOf = (bytes: Uint8Array): Uint8Array => {
  const length = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.length - 8);
  return bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
};

t.test('reads the row groups, creator and key-value metadata of a real footer', async (t) => {
  const footer = parseFileMetaData(footerOf(file));
  t.equal(footer.numRows, 56_551);
  t.same(footer.rowGroups.map((g) => g.numRows), [56_551]);
  t.match(footer.createdBy, /parquet-cpp-arrow version 15\.0\.2/);
  t.same([...footer.keyValue.keys()], ['pandas', 'ARROW:schema']);
});

t.test('adds and replaces key-value metadata, keeping the rest of the file', async (t) => {
  const once = withKeyValueMetadata(file, { 'taxi.schema': 'abc', pandas: 'replaced' });
  t.same(once.subarray(0, file.length - 8 - footerOf(file).length), file.subarray(0, file.length - 8 - footerOf(file).length), 'column chunks copied unchanged');
  const twice = withKeyValueMetadata(once, { 'taxi.schema': 'def', 'taxi.topic': 'raw' });
  const footer = parseFileMetaData(footerOf(twice));
  t.same(Object.fromEntries([...footer.keyValue].filter(([k]) => k !== 'ARROW:schema')), { 'taxi.schema': 'def', 'taxi.topic': 'raw', pandas: 'replaced' });
  t.ok(footer.keyValue.get('ARROW:schema')?.length, 'the other entries kept');
  t.same({ rows: footer.numRows, groups: footer.rowGroups, by: footer.createdBy }, { rows: 56_551, groups: parseFileMetaData(footerOf(file)).rowGroups, by: parseFileMetaData(footerOf(file)).createdBy });
  t.equal(Buffer.from(twice.subarray(twice.length - 4)).toString(), 'PAR1');
  t.equal(withKeyValueMetadata(file, {}), file, 'no entries: the same bytes');
});

t.test('malformed input is an error, not a crash or a huge allocation', async (t) => {
  t.throws(() => parseFileMetaData(new Uint8Array([0x15])), ThriftError, 'ends inside a field');
  t.throws(() => parseFileMetaData(new Uint8Array([0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f])), ThriftError, 'a list claiming 2^32 elements');
  t.throws(() => parseFileMetaData(new Uint8Array([0x18, 0xff, 0xff, 0xff, 0x7f])), ThriftError, 'a string longer than the input');
  t.throws(() => parseFileMetaData(new Uint8Array(200).fill(0x1c)), ThriftError, 'structs nested without end');
  t.throws(() => parseFileMetaData(new Uint8Array([0x00])), ParquetFormatError, 'no num_rows, no row groups');
  const noRows = new CompactWriter().fieldHeader(CompactType.i64, 3, 0).int(5).fieldHeader(CompactType.list, 4, 3).listHeader(CompactType.struct, 0).stop().finish();
  t.throws(() => parseFileMetaData(noRows), /says 5 rows but its row groups hold 0/);
  t.throws(() => withKeyValueMetadata(file.subarray(0, 100), { a: 'b' }), ParquetFormatError, 'a truncated file');
});

t.test('compact protocol: what the writer writes, the reader reads', async (t) => {
  const bytes = new CompactWriter().fieldHeader(CompactType.i64, 1, 0).int(-(2 ** 40)).fieldHeader(CompactType.binary, 40, 1).string('é')
    .fieldHeader(CompactType.list, 41, 40).listHeader(CompactType.i32, 20).stop().finish();
  // (the list's 20 elements are missing: the reader must notice)
  const reader = new CompactReader(bytes);
  const seen: unknown[] = [];
  t.throws(() => {
    reader.struct((id, type) => {
      if (type === CompactType.i64) seen.push(reader.int());
      else if (type === CompactType.binary) seen.push(reader.string());
      else { seen.push(id); reader.skip(type); }
    });
  }, ThriftError);
  t.same(seen, [-(2 ** 40), 'é', 41]);
});
