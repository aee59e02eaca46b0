/**
 * CSV and TSV rows (quoted fields, embedded newlines, BOM, with or without a header), parsed by `csv-parse`.
 * @module
 */
import { Buffer } from "node:buffer";
import { parse } from "csv-parse/stream";
import { DataError } from "@saeflow/core";
import type { BadRecords } from "../bad_records.ts";
import { openFileBytes, renameErrors } from "../file_bytes.ts";
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

/**
 * Streams the rows of a CSV/TSV file (gzip too). Malformed rows (unclosed quote, wrong field count) fail with the
 * file and line, or are counted and skipped when `bad.mode` is `skip`.
 *
 * @example
 * ```ts
 * const { rows } = await readCsv("train.csv", {}, new BadRecords());
 * for await (const row of rows) console.log(row.line, row.fields.prompt);
 * ```
 */
export async function readCsv(path: string, options: CsvOptions, bad: BadRecords): Promise<RowSource> {
  const tsv = options.delimiter === "\t";
  const header = options.header ?? true;
  const check = new Utf8CheckStream({ source: path, onInvalid: bad.mode === "skip" ? "replace" : "error" });
  // `line` is where the failing record starts when known: an unclosed quote is only noticed at the end of the file.
  const describe = (error: CsvErrorLike, line = error.lines) =>
    new DataError(
      path,
      { line },
      `malformed ${tsv ? "TSV" : "CSV"} row (${error.code ?? "parse error"}): ${error.message}`,
      options.columnNames || header
        ? "every row to have the header's fields, quotes closed"
        : "well-formed delimited rows",
    );

  // csv-parse's stream errors itself at the end of the chunk it is parsing, which drops the good records it already
  // parsed from that chunk. So it always runs in skip mode; in error mode the first bad row is held back and raised
  // once every record before it has been passed on.
  let held: { error: CsvErrorLike; recordsBefore: number } | undefined;
  const parser = parse({
    bom: true,
    delimiter: options.delimiter ?? ",",
    quote: options.quote ?? (tsv ? false : '"'),
    columns: header ? (names: string[]) => names.map((n) => n.trim()) : (options.columnNames ?? false),
    skip_empty_lines: true,
    info: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (!error) return undefined;
      if (bad.mode === "skip") bad.handle(describe(error), "malformed row");
      else held ??= { error, recordsBefore: (error as { records?: number }).records ?? 0 };
      return undefined;
    },
  });

  let previousEnd = header ? 1 : 0;
  let row = 0;
  const rows = renameErrors(
    (await openFileBytes(path))
      .pipeThrough(check)
      .pipeThrough(
        new TransformStream<Uint8Array, Buffer>({
          transform: (chunk, controller) =>
            controller.enqueue(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
        }),
      )
      .pipeThrough(parser as TransformStream<Buffer, { info: { lines: number }; record: unknown }>)
      .pipeThrough(
        new TransformStream({
          transform({ info, record }, controller) {
            if (held && row >= held.recordsBefore) throw describe(held.error, previousEnd + 1);
            const fields = Array.isArray(record)
              ? Object.fromEntries(record.map((v, i) => [String(i), v]))
              : record as Record<string, unknown>;
            controller.enqueue({ fields, source: path, row: row++, line: previousEnd + 1, endLine: info.lines });
            previousEnd = info.lines;
          },
          flush() {
            if (held) throw describe(held.error, previousEnd + 1);
          },
        }),
      ),
    (error) => error instanceof DataError ? error : describe(error as CsvErrorLike),
  );
  return { rows, hasSchema: header || options.columnNames !== undefined, badLines: check.badLines };
}
