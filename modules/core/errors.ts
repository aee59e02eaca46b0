/**
 * Typed errors. Each names where the problem is (file, line or row, record id) and what was expected,
 * so that a user can fix the input without reading our code.
 * @module
 */

/** Base class of every error saeflow throws on purpose. */
export class SaeflowError extends Error {
  override name = "SaeflowError";
}

/** Where in a data source something went wrong. Lines and record numbers (`row`) are 1-based, as editors show them. */
export interface DataLocation {
  line?: number;
  row?: number;
  id?: string;
  column?: string;
}

/**
 * Bad input data: a malformed row, a missing column, undecodable bytes, a label outside the label map.
 *
 * @example
 * ```ts
 * const err = new DataError("train.csv", { line: 12, column: "label" }, "label \"maybe\" is not in the label map", "one of: no, yes");
 * err.message; // 'train.csv:12 (column "label"): label "maybe" is not in the label map; expected one of: no, yes'
 * ```
 */
export class DataError extends SaeflowError {
  override name = "DataError";
  constructor(
    readonly source: string,
    readonly location: DataLocation,
    readonly problem: string,
    readonly expected?: string,
    options?: ErrorOptions,
  ) {
    super(`${source}${formatLocation(location)}: ${problem}${expected ? `; expected ${expected}` : ""}`, options);
  }
}

/** A configuration or option that cannot work (unknown format, contradictory flags, wrong directory contents). */
export class ConfigError extends SaeflowError {
  override name = "ConfigError";
}

function formatLocation({ line, row, id, column }: DataLocation): string {
  const where = line !== undefined ? `:${line}` : row !== undefined ? ` record ${row}` : "";
  const details = [
    line !== undefined && row !== undefined ? `record ${row}` : "",
    id !== undefined ? `id ${JSON.stringify(id)}` : "",
    column ? `column ${JSON.stringify(column)}` : "",
  ].filter(Boolean).join(", ");
  return `${where}${details ? ` (${details})` : ""}`;
}
