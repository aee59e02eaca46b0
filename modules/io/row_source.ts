import type { RawRow } from "./raw_row.ts";
import type { InvalidByte } from "./utf8_check.ts";

/** What a format reader returns: the rows, plus what the file says about its columns. */
export interface RowSource {
  rows: ReadableStream<RawRow>;
  /**
   * True when every row carries every column (CSV with a header, Parquet): a field missing from a row is then a
   * missing column, reported once as a structural error instead of once per row.
   */
  hasSchema: boolean;
  /** Invalid UTF-8 found (and replaced) by line: the records on those lines fail or are skipped. */
  invalidUtf8?: Map<number, InvalidByte>;
  /** Class names the file declares for label columns (Hugging Face `ClassLabel` features in Parquet metadata). */
  classLabels?: Record<string, string[]>;
}
