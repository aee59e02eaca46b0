/**
 * Column mapping shared by text and image records: which columns hold the id, label and split, the label map,
 * duplicate ids, and the bad-record policy.
 * @module
 */
import { DataError } from "@saeflow/core";
import type { BadRecords } from "./bad_records.ts";
import { stemName } from "./file_bytes.ts";
import type { IdSet } from "./id_set.ts";
import type { LabelMap } from "./label_map.ts";
import type { RawRow } from "./raw_row.ts";
import type { RowSource } from "./row_source.ts";

/** Which columns hold what. Only the columns named here are read. */
export interface FieldMapping {
  /** Column holding the text (text datasets). */
  text?: string;
  /** Column holding the image file path, relative to the index file (image folders). */
  image?: string;
  /** Column holding the label (unlabeled data when absent). */
  label?: string;
  /** Column holding a unique record id (default: `<file stem>:<row>`). */
  id?: string;
  /** Column holding the split name (alternative to a per-source constant split). */
  split?: string;
}

/** Options for mapping the rows of one source. */
export interface RecordMappingOptions {
  fields: FieldMapping;
  /** Raw label → class name; required values when given. Without it, ClassLabel names from the file or raw values. */
  labels?: LabelMap;
  /** Split of every row of this source (e.g. from the file name or the Hub split). */
  split?: string;
  /** Constant metadata for every record of this source (e.g. `{ domain: "amazon" }`). */
  meta?: Record<string, unknown>;
  /** Extra columns copied into `meta`. */
  keep?: string[];
  /** Default ids are `<idPrefix>:<row>` (default prefix: the file stem). */
  idPrefix?: string;
  bad: BadRecords;
  /** Ids seen so far in the dataset (shared by its sources). */
  ids: IdSet;
}

/** The parts of a record every kind has. */
export interface CommonFields {
  id: string;
  label?: string;
  split?: string;
  meta?: Record<string, unknown>;
}

/** Maps id/label/split of rows from one source and counts its records. */
export class RecordFields {
  records = 0;
  #checkedColumns = false;

  /** Columns every record must have a value in: the record kind's own (text or image) and the mapped ones. */
  private readonly required: string[];

  constructor(private readonly source: RowSource, private readonly options: RecordMappingOptions, primary: string) {
    const { label, id, split } = options.fields;
    this.required = [primary, label, id, split].filter((c): c is string => c !== undefined);
  }

  /**
   * The common fields of `row`, or undefined when the row is bad and the policy skips it (otherwise it throws).
   * Problems are reported in this order: invalid UTF-8 on the row's lines, the row's own `problem` (from the reader,
   * or the record kind: an unreadable image), a missing value, a label outside the map, a duplicate id.
   */
  map(row: RawRow): CommonFields | undefined {
    const { fields, labels, split, meta, keep, idPrefix, bad, ids } = this.options;
    if (!this.#checkedColumns && !row.problem) this.#checkColumns(row);
    const where = { line: row.line, row: row.row + 1 };
    const fail = (problem: string, kind: string, expected?: string, column?: string) => {
      bad.handle(new DataError(row.source, { ...where, column }, problem, expected), kind);
      return undefined;
    };
    for (let line = row.line ?? 0; this.source.invalidUtf8?.size && line <= (row.endLine ?? -1); line++) {
      const invalid = this.source.invalidUtf8.get(line);
      if (invalid) {
        const { source, byte, offset } = invalid;
        const error = new DataError(
          source,
          { ...where, row: source === row.source ? where.row : undefined, line },
          `invalid UTF-8 byte 0x${byte.toString(16).padStart(2, "0")} at byte offset ${offset}`,
          "UTF-8 text (convert the file first, e.g. `iconv -f latin1 -t utf-8`)",
        );
        return void bad.handle(error, "invalid UTF-8");
      }
    }
    if (row.problem) return void bad.handle(row.problem.error, row.problem.kind);
    for (const column of this.required) {
      const value = row.fields[column];
      if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
        return fail(
          `${value === undefined || value === null ? "missing" : "empty"} value`,
          `missing ${column}`,
          "a non-empty value",
          column,
        );
      }
    }

    const id = fields.id !== undefined
      ? String(row.fields[fields.id])
      : `${idPrefix ?? stemName(row.source)}:${row.row}`;
    let label: string | undefined;
    if (fields.label !== undefined) {
      const raw = row.fields[fields.label];
      const classNames = this.source.classLabels?.[fields.label];
      if (labels) {
        label = labels.map(raw);
        if (label === undefined) {
          return fail(
            `label ${JSON.stringify(raw)} is not in the label map`,
            "label not in map",
            `one of: ${labels.rawValues.join(", ")}`,
            fields.label,
          );
        }
      } else if (classNames && (typeof raw === "number" || typeof raw === "bigint")) {
        label = classNames[Number(raw)];
        if (label === undefined) {
          return fail(
            `label ${raw} is outside the file's ClassLabel names`,
            "label not in map",
            `0..${classNames.length - 1}`,
            fields.label,
          );
        }
      } else label = String(raw).trim();
    }
    if (!ids.add(id)) {
      const expected = fields.id !== undefined
        ? "unique values in the id column"
        : "unique default ids (is the same file listed twice? or name an id column)";
      return fail(`duplicate id ${JSON.stringify(id)}`, "duplicate id", expected, fields.id);
    }

    const extra = keep?.length ? Object.fromEntries(keep.map((k) => [k, row.fields[k]])) : undefined;
    this.records++;
    return {
      id,
      label,
      split: fields.split !== undefined ? String(row.fields[fields.split]) : split,
      meta: meta || extra ? { ...meta, ...extra } : undefined,
    };
  }

  /** Fails when the source ended without a single good record (empty file, or every record skipped). */
  checkNotEmpty(sourceName: string): void {
    if (this.records === 0) {
      throw new DataError(
        sourceName,
        {},
        "no records",
        "at least one record (the file is empty, or every record was bad)",
      );
    }
  }

  /** A column named in the mapping but absent from a file with a schema is one structural error, not one per row. */
  #checkColumns(row: RawRow): void {
    this.#checkedColumns = true;
    if (!this.source.hasSchema) return;
    const { fields, keep = [] } = this.options;
    const wanted = [...new Set([...Object.values(fields).filter((c): c is string => c !== undefined), ...keep])];
    const present = Object.keys(row.fields);
    const missing = wanted.filter((c) => !present.includes(c));
    if (missing.length) {
      throw new DataError(
        row.source,
        {},
        `no column${missing.length > 1 ? "s" : ""} ${missing.map((c) => JSON.stringify(c)).join(", ")}`,
        `one of the columns ${present.map((c) => JSON.stringify(c)).join(", ")}`,
      );
    }
  }
}
