import type { RawRow } from "./raw_row.ts";

/** What a format reader returns: the rows, plus what the file says about its columns. */
export interface RowSource {
  rows: ReadableStream<RawRow>;
  /**
   * True when every row carries every column (CSV with a header, Parquet): a field missing from a row is then a
   * missing column, reported once as a structural error instead of once per row.
   */
  hasSchema: boolean;
  /** Lines holding invalid UTF-8 that were replaced (skip mode), so the records on them can be skipped. */
  badLines?: Set<number>;
  /** Class names the file declares for label columns (Hugging Face `ClassLabel` features in Parquet metadata). */
  classLabels?: Record<string, string[]>;
}
