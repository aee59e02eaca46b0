/**
 * UTF-8 validation that says where undecodable bytes are. `TextDecoderStream` either replaces them silently or fails
 * without a position; a user fixing a 2 GB file needs the line.
 * @module
 */

/** The first invalid byte found on a line. */
export interface InvalidByte {
  /** File it is in. */
  source: string;
  byte: number;
  /** Byte offset in the file. */
  offset: number;
}

/** Options for {@link Utf8CheckStream}. */
export interface Utf8CheckOptions {
  /** File name recorded with each invalid byte. */
  source: string;
  /** Where invalid bytes are recorded, by 1-based line (default: a new map); parallel files can share one. */
  invalid?: Map<number, InvalidByte>;
}

const REPLACEMENT = [0xef, 0xbf, 0xbd];

/**
 * Passes UTF-8 bytes through, replacing invalid bytes by U+FFFD (EF BF BD) and recording the first one of each line
 * in `invalid`. It never fails the stream itself: the record mapper, the last stage, fails or skips the record that
 * holds the bytes, after every record before it has been delivered (a stream error here would drop the rest of the
 * chunk). Chunks are re-cut so that no multi-byte sequence is split between two output chunks.
 *
 * @example
 * ```ts
 * const check = new Utf8CheckStream({ source: "data.csv" });
 * const bytes = (await Deno.open("data.csv")).readable.pipeThrough(check);
 * // … after reading: check.invalid.get(12) → { source: "data.csv", byte: 0xff, offset: 4711 }
 * ```
 */
export class Utf8CheckStream extends TransformStream<Uint8Array, Uint8Array> {
  readonly invalid: Map<number, InvalidByte>;

  constructor({ source, invalid = new Map() }: Utf8CheckOptions) {
    const validator = new TextDecoder("utf-8", { fatal: true });
    let carry = new Uint8Array(0); // an incomplete multi-byte sequence at the end of the previous chunk
    let line = 1; // line at the start of the next body
    let offset = 0; // byte offset of the next body in the file

    const check = (body: Uint8Array): Uint8Array => {
      let out = body;
      try {
        validator.decode(body);
      } catch {
        const bad = invalidUtf8Offsets(body);
        for (const at of bad) {
          const badLine = line + countNewlines(body, at);
          if (!invalid.has(badLine)) invalid.set(badLine, { source, byte: body[at], offset: offset + at });
        }
        out = replaceInvalid(body, bad);
      }
      line += countNewlines(body, body.length);
      offset += body.length;
      return out;
    };

    super({
      transform(chunk, controller) {
        const bytes = carry.length ? concat(carry, chunk) : chunk;
        const tail = incompleteTail(bytes);
        carry = bytes.slice(bytes.length - tail);
        const body = check(bytes.subarray(0, bytes.length - tail));
        if (body.length) controller.enqueue(body);
      },
      flush(controller) {
        // A sequence cut off by the end of the file is invalid.
        if (carry.length) controller.enqueue(check(carry));
      },
    });
    this.invalid = invalid;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

function replaceInvalid(bytes: Uint8Array, invalid: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + invalid.length * 2);
  let o = 0;
  let from = 0;
  for (const at of invalid) {
    out.set(bytes.subarray(from, at), o);
    o += at - from;
    out.set(REPLACEMENT, o);
    o += 3;
    from = at + 1;
  }
  out.set(bytes.subarray(from), o);
  return out.subarray(0, o + bytes.length - from);
}

/** Bytes needed by a lead byte (0 for an invalid lead or a continuation byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Length of a trailing multi-byte sequence cut off by the chunk end (0..3), kept back until more bytes arrive. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back];
    if ((b & 0xc0) !== 0x80) return sequenceLength(b) > back ? back : 0;
  }
  return 0;
}

/** Offsets of invalid bytes (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
function invalidUtf8Offsets(bytes: Uint8Array): number[] {
  const bad: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    const need = sequenceLength(lead);
    if (need === 1) {
      i++;
      continue;
    }
    // Second-byte ranges that rule out overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
    const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    let ok = need > 0;
    for (let k = 1; k < need && ok; k++) {
      const b = bytes[i + k];
      ok = b !== undefined && (k === 1 ? b >= lo && b <= hi : (b & 0xc0) === 0x80);
    }
    if (ok) i += need;
    else bad.push(i++);
  }
  return bad;
}
