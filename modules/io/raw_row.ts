import type { DataError } from "@saeflow/core";

/** One row as a format reader yields it, before column mapping turns it into a record. */
export interface RawRow {
  /** Field values by column name (CSV header, JSON keys, Parquet columns, or "0", "1", ... without a header). */
  fields: Record<string, unknown>;
  /** Display name of the file the row came from, for error messages and default ids. */
  source: string;
  /** 0-based ordinal of the row in its source (stable: counted before any bad row is skipped). */
  row: number;
  /** 1-based first and last line of the row in text formats (a quoted CSV field can span lines). */
  line?: number;
  endLine?: number;
  /**
   * Why this row is bad (unparseable JSON, a malformed CSV row), when it is. Readers pass problems on in order
   * instead of failing the stream, so that every good row before a bad one reaches the end of the pipeline first;
   * the record mapper applies the bad-record policy (fail, or skip and count).
   */
  problem?: { error: DataError; kind: string };
}
