// Thrift's compact protocol, as much of it as a Parquet footer needs: read any struct (skipping
// what we do not use) and write field headers, varints, binaries and list headers.
//
// Spec excerpt (thrift doc/specs/thrift-compact-protocol.md):
//   Integers (i16, i32, i64) are zigzag-encoded, then written as ULEB128 varints; a byte is one byte.
//   Binary / string: varint length, then the bytes.
//   Field header, short form: one byte, high nibble = field id delta (1..15) from the previous field,
//   low nibble = type; long form: high nibble 0, the type, then the field id as a zigzag varint i16.
//   A struct ends with a STOP byte (0). A boolean field has no value: its type is 1 (true) or 2 (false).
//   List / set header, short form: high nibble = size (0..14), low nibble = element type; long form:
//   high nibble 15, then the size as a varint. Map: varint size, then (if size > 0) one byte with the
//   key type (high nibble) and value type (low nibble).
//   Types: 1 BOOLEAN_TRUE, 2 BOOLEAN_FALSE, 3 I8, 4 I16, 5 I32, 6 I64, 7 DOUBLE, 8 BINARY, 9 LIST,
//   10 SET, 11 MAP, 12 STRUCT.

export const CompactType = {
  stop: 0, true: 1, false: 2, i8: 3, i16: 4, i32: 5, i64: 6, double: 7, binary: 8, list: 9, set: 10, map: 11, struct: 12,
} as const;

/** Malformed Thrift input: what was expected, at which byte. */
export class ThriftError extends Error {
  override readonly name = 'ThriftError';
}

/** Nesting deeper than any Parquet footer has: a corrupt footer, not a reason to overflow the stack. */
const MAX_DEPTH = 64;

export class CompactReader {
  readonly #bytes: Uint8Array;
  #pos = 0;
  #depth = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get position(): number { return this.#pos; }

  byte(): number {
    const value = this.#bytes[this.#pos];
    if (value === undefined) throw new ThriftError(`unexpected end of input at byte ${this.#pos} of ${this.#bytes.length}`);
    this.#pos++;
    return value;
  }

  /** An unsigned varint; exact up to 2^53, beyond that (never a count or size in a footer) only its bytes are consumed. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new ThriftError(`varint longer than 10 bytes at byte ${this.#pos}`);
  }

  /** A zigzag varint (i16, i32, i64). */
  int(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  binary(): Uint8Array {
    const length = this.varint();
    if (length > this.#bytes.length - this.#pos) throw new ThriftError(`binary of ${length} bytes at byte ${this.#pos} runs past the end`);
    const out = this.#bytes.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.binary());
  }

  /** Reads a struct: `onField` is called with each field's id and type and must consume its value (or call skip). */
  struct(onField: (id: number, type: number) => void): void {
    if (++this.#depth > MAX_DEPTH) throw new ThriftError(`structs nested deeper than ${MAX_DEPTH} at byte ${this.#pos}`);
    let id = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === CompactType.stop) break;
      const delta = header >> 4;
      id = delta === 0 ? this.int() : id + delta;
      if (type > CompactType.struct) throw new ThriftError(`unknown field type ${type} at byte ${this.#pos - 1}`);
      onField(id, type);
    }
    this.#depth--;
  }

  /** Reads a list or set: `onElement` is called once per element with the element type and must consume it. */
  list(onElement: (type: number, index: number) => void): void {
    const header = this.byte();
    const type = header & 0x0f;
    const size = (header >> 4) === 15 ? this.varint() : header >> 4;
    // Every element takes at least one byte: a larger size is a corrupt header, not a huge list.
    if (size > this.#bytes.length - this.#pos) throw new ThriftError(`list of ${size} elements at byte ${this.#pos} runs past the end`);
    for (let i = 0; i < size; i++) onElement(type, i);
  }

  /** Consumes one value of `type` without decoding it. */
  skip(type: number): void {
    switch (type) {
      case CompactType.true: case CompactType.false: return; // the value lives in the field header
      case CompactType.i8: this.byte(); return;
      case CompactType.i16: case CompactType.i32: case CompactType.i64: this.varint(); return;
      case CompactType.double: for (let i = 0; i < 8; i++) this.byte(); return;
      case CompactType.binary: this.binary(); return;
      case CompactType.list: case CompactType.set:
        this.list((elementType) => { this.#skipElement(elementType); });
        return;
      case CompactType.map: {
        const size = this.varint();
        if (size === 0) return;
        const kinds = this.byte();
        if (size > this.#bytes.length - this.#pos) throw new ThriftError(`map of ${size} entries at byte ${this.#pos} runs past the end`);
        for (let i = 0; i < size; i++) { this.#skipElement(kinds >> 4); this.#skipElement(kinds & 0x0f); }
        return;
      }
      case CompactType.struct: this.struct((_, fieldType) => { this.skip(fieldType); }); return;
      default: throw new ThriftError(`unknown type ${type} at byte ${this.#pos}`);
    }
  }

  /** In a container a boolean is one byte (it has no field header to live in). */
  #skipElement(type: number): void {
    if (type === CompactType.true || type === CompactType.false) this.byte();
    else this.skip(type);
  }
}

export class CompactWriter {
  #bytes = new Uint8Array(1024);
  #length = 0;

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  byte(value: number): this {
    this.#ensure(1);
    this.#bytes[this.#length++] = value;
    return this;
  }

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint should be a non-negative safe integer, got ${value}`);
    let n = value;
    while (n >= 0x80) { this.byte((n % 128) | 0x80); n = Math.floor(n / 128); }
    return this.byte(n);
  }

  int(value: number): this {
    return this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  raw(bytes: Uint8Array): this {
    this.#ensure(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  binary(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  string(value: string): this {
    return this.binary(new TextEncoder().encode(value));
  }

  /** A field header; `previousId` is the id of the field written before it in the same struct (0 for the first). */
  fieldHeader(type: number, id: number, previousId: number): this {
    const delta = id - previousId;
    return delta > 0 && delta <= 15 ? this.byte((delta << 4) | type) : this.byte(type).int(id);
  }

  listHeader(elementType: number, size: number): this {
    return size < 15 ? this.byte((size << 4) | elementType) : this.byte(0xf0 | elementType).varint(size);
  }

  stop(): this {
    return this.byte(CompactType.stop);
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}
