/**
 * A JSON array of objects (`[{"text": ..., "label": ...}, ...]`), read incrementally so the file never has to fit in
 * memory. A byte scanner finds where each top-level element ends and hands that slice to `JSON.parse`: measured
 * 300× faster than the streaming JSON parser on npm (@streamparser/json: 0.57 MB/s on harmless_train.json).
 * @module
 */
import { DataError } from "@saeflow/core";
import { openFileBytes } from "../file_bytes.ts";
import { parseJsonObject } from "./json_object.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";
import { Utf8CheckStream } from "../utf8_check.ts";

/** One top-level element's bytes, its 0-based index and the 1-based line it starts on. */
interface ElementSlice {
  bytes: Uint8Array;
  index: number;
  line: number;
}

const [OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT, QUOTE, BACKSLASH, COMMA, NEWLINE] = [
  0x5b,
  0x5d,
  0x7b,
  0x7d,
  0x22,
  0x5c,
  0x2c,
  0x0a,
];
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * Splits the bytes of a top-level JSON array into its elements' byte slices, in one pass over each chunk (an
 * element's bytes are joined once, when it ends). Structure characters are ASCII, so scanning bytes is safe for any
 * UTF-8 text inside strings. Commas are checked (none missing, no trailing or doubled one); the elements themselves
 * are checked by JSON.parse.
 */
class JsonArraySplitStream extends TransformStream<Uint8Array, ElementSlice> {
  constructor(source: string) {
    let pieces: Uint8Array[] | undefined; // bytes of the element being scanned, undefined between elements
    let startLine = 0;
    let depth = 0; // 0: before the array, 1: inside it, >1: inside an element
    let expect: "first" | "value" | "separator" = "first"; // what may come next between elements
    let inString = false;
    let escaped = false;
    let line = 1;
    let index = 0;
    let ended = false;
    let atStart = true;

    const fail = (problem: string): never => {
      throw new DataError(source, { line }, problem, "a JSON array of objects");
    };

    super({
      transform(chunk, controller) {
        let from = 0; // where the current element starts in this chunk
        if (atStart && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) from = 3; // byte-order mark
        atStart = false;
        const emit = (end: number) => {
          pieces!.push(chunk.subarray(from, end));
          const bytes = pieces!.length === 1 ? pieces![0].slice() : concat(pieces!);
          controller.enqueue({ bytes, index: index++, line: startLine });
          pieces = undefined;
          expect = "separator";
        };
        for (let i = from; i < chunk.length; i++) {
          const b = chunk[i];
          if (b === NEWLINE) line++;
          if (inString) {
            if (escaped) escaped = false;
            else if (b === BACKSLASH) escaped = true;
            else if (b === QUOTE) {
              inString = false;
              if (depth === 1 && pieces) emit(i + 1); // a bare string element
            }
          } else if (ended) {
            if (!isSpace(b)) fail("unexpected content after the closing ]");
          } else if (depth === 0) {
            if (b === OPEN_ARRAY) depth = 1;
            else if (!isSpace(b)) {
              fail(b === OPEN_OBJECT ? "the top-level JSON value is an object" : "the file does not start with [");
            }
          } else if (depth === 1 && !pieces) {
            if (isSpace(b)) continue;
            if (b === CLOSE_ARRAY) {
              if (expect === "value") fail(`a comma after array element ${index - 1} is followed by ]`);
              ended = true;
            } else if (b === COMMA) {
              if (expect !== "separator") {
                fail(expect === "first" ? "the array starts with a comma" : "two commas in a row");
              }
              expect = "value";
            } else {
              if (expect === "separator") fail(`no comma between array elements ${index - 1} and ${index}`);
              pieces = [];
              from = i;
              startLine = line;
              if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
              else if (b === QUOTE) inString = true;
            }
          } else if (b === QUOTE) inString = true;
          else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
          else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
            if (depth === 1) { // ] ends a bare number or literal, and the array
              emit(i);
              ended = true;
            } else if (--depth === 1) emit(i + 1);
          } else if (depth === 1 && (b === COMMA || isSpace(b))) { // the end of a bare number or literal
            emit(i);
            if (b === COMMA) expect = "value";
          }
        }
        if (pieces) {
          pieces.push(chunk.subarray(from).slice()); // the element goes on in the next chunk
          from = 0;
        }
      },
      flush() {
        if (!ended) fail(depth === 0 ? "the file is empty" : "the array is not closed (file truncated?)");
      },
    });
  }
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/**
 * Streams the elements of a top-level JSON array (gzip too). A broken array (a missing comma, say) fails with its
 * line; an element that does not parse or is not an object comes through as a row with a `problem`, for the record
 * mapper to fail on or skip.
 *
 * @example
 * ```ts
 * const { rows } = await readJsonArray("node_modules/sentiment/test/fixtures/amazon.json");
 * ```
 */
export async function readJsonArray(path: string): Promise<RowSource> {
  const check = new Utf8CheckStream({ source: path });
  const decoder = new TextDecoder();
  const rows = (await openFileBytes(path))
    .pipeThrough(check)
    .pipeThrough(new JsonArraySplitStream(path))
    .pipeThrough(
      new TransformStream<ElementSlice, RawRow>({
        transform({ bytes, index, line }, controller) {
          const text = decoder.decode(bytes);
          const endLine = line + (text.match(/\n/g)?.length ?? 0);
          const record = parseJsonObject(text, path, line, `array element ${index}`);
          controller.enqueue({ ...record, source: path, row: index, line, endLine });
        },
      }),
    );
  return { rows, hasSchema: false, invalidUtf8: check.invalid };
}
