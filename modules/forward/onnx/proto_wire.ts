/**
 * The protobuf wire format, just as much as ONNX needs. Written by hand rather than through protobufjs because
 * models are multi-GB: the reader walks fields without copying tensor payloads (bytes fields come back as views),
 * and the writer streams parts into a list of chunks that are joined once.
 * @module
 */

/** Wire types of the protobuf encoding. */
export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** Appends protobuf fields; `finish()` joins them into one buffer. */
export class ProtoWriter {
  #chunks: Uint8Array[] = [];
  #scratch = new Uint8Array(1024);
  #used = 0;
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(n: number): void {
    if (this.#used + n <= this.#scratch.length) return;
    this.#flushScratch();
    if (n > this.#scratch.length) this.#scratch = new Uint8Array(n);
  }

  #flushScratch(): void {
    if (this.#used === 0) return;
    this.#chunks.push(this.#scratch.slice(0, this.#used));
    this.#used = 0;
  }

  #byte(b: number): void {
    this.#scratch[this.#used++] = b;
    this.#length++;
  }

  /** An unsigned varint (JS numbers up to 2^53; negatives are written as 64-bit two's complement). */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    if (v < 0x80000000n) {
      let n = Number(v);
      while (n >= 0x80) {
        this.#byte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.#byte(n);
      return this;
    }
    while (v >= 0x80n) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
    return this;
  }

  /** A field tag. */
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** A varint field (int32, int64, enum, bool). */
  intField(field: number, value: number | bigint): this {
    return this.tag(field, WireType.varint).varint(value);
  }

  /** A float field (fixed32). */
  floatField(field: number, value: number): this {
    this.tag(field, WireType.fixed32);
    this.#reserve(4);
    new DataView(this.#scratch.buffer).setFloat32(this.#used, value, true);
    this.#used += 4;
    this.#length += 4;
    return this;
  }

  /** A length-delimited field holding raw bytes; big payloads are kept by reference, not copied. */
  bytesField(field: number, bytes: Uint8Array): this {
    this.tag(field, WireType.bytes).varint(bytes.length);
    if (bytes.length <= 256) {
      this.#reserve(bytes.length);
      this.#scratch.set(bytes, this.#used);
      this.#used += bytes.length;
    } else {
      this.#flushScratch();
      this.#chunks.push(bytes);
    }
    this.#length += bytes.length;
    return this;
  }

  /** A string field (UTF-8). */
  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  /** A nested message field, written by `build` into its own writer. */
  messageField(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    this.tag(field, WireType.bytes).varint(inner.length);
    this.#flushScratch();
    this.#chunks.push(...inner.chunks());
    this.#length += inner.length;
    return this;
  }

  /** A packed repeated varint field. */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  /** The chunks written so far (the writer must not be used afterwards). */
  chunks(): Uint8Array[] {
    this.#flushScratch();
    return this.#chunks;
  }

  /** All bytes written, joined. */
  finish(): Uint8Array {
    const chunks = this.chunks();
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

/** One field read off the wire: varints as bigint, length-delimited fields as views into the buffer. */
export type ProtoField =
  | { field: number; wireType: 0; value: bigint }
  | { field: number; wireType: 1 | 5; value: Uint8Array }
  | { field: number; wireType: 2; value: Uint8Array; offset: number };

/** Thrown when the bytes are not a well-formed protobuf message. */
export class ProtoDecodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "ProtoDecodeError";
  }
}

/** Reads one varint at `pos`; returns it and the position after it. */
function readVarint(bytes: Uint8Array, pos: number, end: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= end) throw new ProtoDecodeError("truncated varint", pos);
    const b = bytes[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new ProtoDecodeError("varint longer than 10 bytes", pos);
  }
}

/** Walks the fields of one message. Bytes fields are views (no copy); `offset` is their start in `bytes`. */
export function* readFields(bytes: Uint8Array, start = 0, end = bytes.length): Generator<ProtoField> {
  let pos = start;
  const varint = (): bigint => {
    const [value, next] = readVarint(bytes, pos, end);
    pos = next;
    return value;
  };
  while (pos < end) {
    const tagStart = pos;
    const tag = varint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) throw new ProtoDecodeError("field number 0", tagStart);
    switch (wireType) {
      case 0:
        yield { field, wireType, value: varint() };
        break;
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (pos + size > end) throw new ProtoDecodeError("truncated fixed-width field", pos);
        yield { field, wireType, value: bytes.subarray(pos, pos + size) };
        pos += size;
        break;
      }
      case 2: {
        const length = Number(varint());
        if (pos + length > end) {
          throw new ProtoDecodeError(`field ${field} claims ${length} bytes but only ${end - pos} remain`, pos);
        }
        yield { field, wireType, value: bytes.subarray(pos, pos + length), offset: pos };
        pos += length;
        break;
      }
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType} for field ${field}`, tagStart);
    }
  }
}

/** Reads a packed repeated varint payload. */
export function readPackedVarints(bytes: Uint8Array): bigint[] {
  const values: bigint[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const [value, next] = readVarint(bytes, pos, bytes.length);
    values.push(value);
    pos = next;
  }
  return values;
}
