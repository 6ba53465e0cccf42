//! The Rust parquet crate's Arrow reader and writer (arrow-rs: the library parquet-wasm runs as
//! WebAssembly) compiled natively, as a Node-API module. Decoding gives the types parquet-wasm
//! gives; encoding writes what parquet-wasm writes (non-nullable Arrow fields REQUIRED, the
//! ARROW:schema metadata). Tables cross the boundary as Arrow IPC stream bytes. A panic (a corrupt
//! page the crate does not expect) becomes a JS error, not an abort. Every codec parquet-wasm reads
//! is compiled in (the TLC wrote snappy, then gzip in some years, zstd now).
use std::collections::HashMap;
use std::fs::File;
use std::sync::Arc;

use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use napi::bindgen_prelude::{BufferSlice, Uint8Array};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

fn invalid(what: &str, err: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, format!("{what}: {err}"))
}

/// The bytes copied into a Buffer V8 allocates, and Rust's freed now. A Buffer wrapping Rust's Vec
/// (external memory) would keep tens of MB per call alive until the thread's next garbage
/// collection, which V8 does not hurry for memory it is not told of; and it could not be
/// transferred to another thread, so it was copied anyway.
fn to_js(env: &Env, bytes: Vec<u8>) -> Result<BufferSlice<'_>> {
    BufferSlice::copy_from(env, bytes)
}

fn compression(name: &str) -> Result<Compression> {
    match name {
        // arrow-rs's default ZSTD level (1), which parquet-wasm's Compression.ZSTD also writes.
        "zstd" => Ok(Compression::ZSTD(ZstdLevel::default())),
        "snappy" => Ok(Compression::SNAPPY),
        "uncompressed" => Ok(Compression::UNCOMPRESSED),
        other => Err(invalid("compression", format!("expected zstd, snappy or uncompressed, got {other:?}"))),
    }
}

/// `streams`: Arrow IPC streams of one schema (each a schema and any number of record batches),
/// whose rows are written one stream after another. Returns the Parquet file's bytes: row groups of
/// at most `row_group_rows` rows, `metadata` in the footer's key-value metadata (sorted by key, so
/// equal input gives equal bytes), the columns named in `plain_columns` without dictionary
/// encoding (values nearly all distinct: a dictionary would be built, then abandoned). Several
/// streams let a caller holding one stream per batch (the processor's transform replies) encode
/// them without first joining them into one.
#[napi(catch_unwind)]
pub fn encode_parquet(
    env: &Env,
    streams: Vec<Uint8Array>,
    compression_name: String,
    row_group_rows: u32,
    metadata: HashMap<String, String>,
    plain_columns: Vec<String>,
) -> Result<BufferSlice<'_>> {
    if row_group_rows == 0 {
        return Err(invalid("rowGroupRows", "should be a positive integer, got 0"));
    }
    let Some(first) = streams.first() else {
        return Err(invalid("streams", "no Arrow IPC stream to encode"));
    };
    let schema = StreamReader::try_new(&first[..], None).map_err(|e| invalid("Arrow IPC stream 0", e))?.schema();
    let mut pairs: Vec<_> = metadata.into_iter().collect();
    pairs.sort();
    let mut props = WriterProperties::builder()
        .set_compression(compression(&compression_name)?)
        .set_max_row_group_size(row_group_rows as usize)
        .set_key_value_metadata(if pairs.is_empty() { None } else { Some(pairs.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()) });
    for column in plain_columns {
        props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    let props = props.build();
    let bytes: usize = streams.iter().map(|s| s.len()).sum();
    let mut out = Vec::with_capacity(bytes / 4);
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).map_err(|e| invalid("Parquet schema", e))?;
    for (i, stream) in streams.iter().enumerate() {
        let what = format!("Arrow IPC stream {i}");
        let reader = StreamReader::try_new(&stream[..], None).map_err(|e| invalid(&what, e))?;
        if reader.schema().fields() != schema.fields() {
            return Err(invalid(&what, format!("its schema {:?} is not stream 0's {:?}", reader.schema().fields(), schema.fields())));
        }
        for batch in reader {
            let batch = batch.map_err(|e| invalid(&what, e))?;
            writer.write(&batch).map_err(|e| Error::new(Status::GenericFailure, format!("Parquet write: {e}")))?;
        }
    }
    writer.close().map_err(|e| Error::new(Status::GenericFailure, format!("Parquet write: {e}")))?;
    to_js(env, out)
}

/// Decodes row group `row_group` of the Parquet file at `path` into Arrow IPC stream bytes, in
/// record batches of at most `batch_rows` rows: the whole row group, or, given `row_offset` and
/// `row_count`, only its rows `row_offset..row_offset + row_count` (the reader stops after them,
/// and skips the rows before them without building batches of them).
#[napi(catch_unwind)]
pub fn decode_row_group(
    env: &Env,
    path: String,
    row_group: u32,
    batch_rows: u32,
    row_offset: Option<u32>,
    row_count: Option<u32>,
) -> Result<BufferSlice<'_>> {
    if batch_rows == 0 {
        return Err(invalid("batchRows", "should be a positive integer, got 0"));
    }
    if row_count == Some(0) {
        return Err(invalid("rowCount", "should be a positive integer, got 0"));
    }
    let open = |options: ArrowReaderOptions| {
        let file = File::open(&path).map_err(|e| invalid(&path, e))?;
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).map_err(|e| invalid(&path, e))
    };
    let mut builder = open(ArrowReaderOptions::new())?;
    // A file whose embedded Arrow schema has view types (polars writes Utf8View) is read as plain
    // Utf8 / Binary, as parquet-wasm hands them out and as apache-arrow and the schema code expect.
    if let Some(plain) = without_views(builder.schema()) {
        builder = open(ArrowReaderOptions::new().with_schema(Arc::new(plain)))?;
    }
    let groups = builder.metadata().num_row_groups();
    if row_group as usize >= groups {
        return Err(invalid(&path, format!("row group {row_group} does not exist (the file has {groups})")));
    }
    let rows = builder.metadata().row_group(row_group as usize).num_rows();
    let offset = row_offset.unwrap_or(0) as i64;
    let count = row_count.map_or(rows - offset, i64::from);
    if count <= 0 || offset + count > rows {
        return Err(invalid(
            &path,
            format!("rows {offset}..{} of row group {row_group} asked for; it has {rows}", offset + count),
        ));
    }
    let schema = builder.schema().clone();
    let mut builder = builder
        .with_row_groups(vec![row_group as usize])
        .with_batch_size(batch_rows as usize);
    if row_offset.is_some() || row_count.is_some() {
        builder = builder.with_offset(offset as usize).with_limit(count as usize);
    }
    let reader = builder.build().map_err(|e| invalid(&path, e))?;
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &schema).map_err(|e| invalid("Arrow IPC stream", e))?;
    for batch in reader {
        let batch = batch.map_err(|e| invalid(&format!("{path} row group {row_group}"), e))?;
        writer.write(&batch).map_err(|e| invalid("Arrow IPC stream", e))?;
    }
    writer.finish().map_err(|e| invalid("Arrow IPC stream", e))?;
    drop(writer);
    to_js(env, out)
}

/// The schema with top-level Utf8View / BinaryView fields as Utf8 / Binary, or None if it has none.
fn without_views(schema: &Schema) -> Option<Schema> {
    let plain = |t: &DataType| match t {
        DataType::Utf8View => Some(DataType::Utf8),
        DataType::BinaryView => Some(DataType::Binary),
        _ => None,
    };
    if !schema.fields().iter().any(|f| plain(f.data_type()).is_some()) {
        return None;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match plain(f.data_type()) {
            Some(t) => f.as_ref().clone().with_data_type(t),
            None => f.as_ref().clone(),
        })
        .collect();
    Some(Schema::new_with_metadata(fields, schema.metadata().clone()))
}
