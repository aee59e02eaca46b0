/**
 * CSV and TSV rows (quoted fields, embedded newlines, BOM, with or without a header), parsed by `csv-parse`.
 * @module
 */
import { Buffer } from "node:buffer";
import { type Options, parse } from "csv-parse/stream";
import { DataError } from "@saeflow/core";
import { openFileBytes, renameErrors } from "../file_bytes.ts";
import { LineIndex } from "../line_index.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";
import { Utf8CheckStream } from "../utf8_check.ts";

/** How to parse a delimited text file. */
export interface CsvOptions {
  /** Field separator (default `,`; `\t` for TSV). */
  delimiter?: string;
  /** First line names the columns (default true). */
  header?: boolean;
  /** Column names for a file without a header (default "0", "1", ...). */
  columnNames?: string[];
  /** Quote character, or false for none (default `"` for CSV; false for TSV, whose fields are never quoted). */
  quote?: string | false;
}

interface CsvErrorLike extends Error {
  code?: string;
  lines?: number;
}

/** A record as our `on_record` hands it on: the parsed fields plus where it is. */
interface ParsedRecord {
  record: unknown;
  index: number;
  line: number;
  endLine: number;
}

/** csv-parse's errors carry a code (`CSV_…`, `INVALID_…`); anything else (I/O, bugs) passes through untouched. */
function isCsvError(error: unknown): error is CsvErrorLike {
  return error instanceof Error && typeof (error as CsvErrorLike).code === "string" && "lines" in error;
}

/**
 * Streams the rows of a CSV/TSV file (gzip too). A malformed row (unclosed quote, wrong field count) comes through in
 * its place as a row with a `problem` naming the file and the line where the row starts.
 *
 * @example
 * ```ts
 * const { rows } = await readCsv("train.csv");
 * for await (const row of rows) console.log(row.line, row.fields.prompt);
 * ```
 */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<RowSource> {
  const tsv = options.delimiter === "\t";
  const header = options.header ?? true;
  const check = new Utf8CheckStream({ source: path });
  // `line` is where the failing record starts: an unclosed quote, for one, is only noticed at the end of the file.
  const describe = (error: CsvErrorLike, line: number | undefined) =>
    new DataError(
      path,
      { line },
      // csv-parse's text names its own line count, which drifts: ours is in the location
      `malformed ${tsv ? "TSV" : "CSV"} row (${error.code ?? "parse error"}): ${
        error.message.replace(/,? (on|at) line \d+/g, "")
      }`,
      options.columnNames || header
        ? "every row to have the header's fields, quotes closed"
        : "well-formed delimited rows",
    );

  // csv-parse's stream errors itself at the end of the chunk it is parsing, which drops the good records it already
  // parsed from that chunk. So it always runs in skip mode, and each malformed row is passed on in its place as a row
  // with a problem, for the record mapper to fail on or skip. Lines come from our own index of the bytes:
  // csv-parse's `bytes` are exact where its line counts are not. Records and skips are reported in file order, so
  // lines are computed in its callbacks.
  const lines = new LineIndex();
  let lastLine = 0; // last line of the previous record, or of the header
  const span = (endByte: number) => {
    if (header && lastLine === 0) lastLine = lines.firstContentLineAfter(0); // the header line
    const line = lines.firstContentLineAfter(lastLine);
    lastLine = Math.max(line, lines.lineOf(endByte - 1));
    lines.release(line);
    return { line, endLine: lastLine };
  };
  const malformed: RawRow[] = []; // found by the parser, not yet passed on (they go after the records before them)
  let records = 0;
  const parser = parse({
    bom: true,
    delimiter: options.delimiter ?? ",",
    quote: options.quote ?? (tsv ? false : '"'),
    columns: header ? (names: string[]) => names.map((n) => n.trim()) : (options.columnNames ?? false),
    skip_empty_lines: true,
    skip_records_with_error: true,
    // csv-parse's types say on_record returns a record; any value is passed on as is.
    on_record: ((record: unknown, { bytes }: { bytes: number }): ParsedRecord => ({
      record,
      index: records++,
      ...span(bytes),
    })) as unknown as Options["on_record"],
    on_skip: (error) => {
      if (!error) return undefined;
      const where = span((error as { bytes?: number }).bytes ?? 0);
      const problem = { error: describe(error, where.line), kind: "malformed row" };
      malformed.push({ fields: {}, source: path, row: records, ...where, problem });
      return undefined;
    },
  });

  const rows = renameErrors(
    (await openFileBytes(path))
      .pipeThrough(check)
      .pipeThrough(
        new TransformStream<Uint8Array, Buffer>({
          transform(chunk, controller) {
            lines.feed(chunk);
            controller.enqueue(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          },
        }),
      )
      .pipeThrough(parser as TransformStream<Buffer, ParsedRecord>)
      .pipeThrough(
        new TransformStream<ParsedRecord, RawRow>({
          transform({ record, index, line, endLine }, controller) {
            while (malformed.length && malformed[0].row <= index) controller.enqueue(malformed.shift()!);
            const fields = Array.isArray(record)
              ? Object.fromEntries(record.map((v, i) => [String(i), v]))
              : record as Record<string, unknown>;
            controller.enqueue({ fields, source: path, row: index, line, endLine });
          },
          flush(controller) {
            for (const row of malformed) controller.enqueue(row);
          },
        }),
      ),
    (error) => isCsvError(error) ? describe(error, error.lines) : error,
  );
  return { rows, hasSchema: header || options.columnNames !== undefined, invalidUtf8: check.invalid };
}
