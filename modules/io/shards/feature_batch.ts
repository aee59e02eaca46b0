/**
 * Feature rows → one Arrow record batch in parquet-wasm's memory, in the columnar layout the shards use
 * (`feat_idx: list<int32>`, `feat_val: list<float32>`: token-major lists read far faster in JS than list<struct>).
 * @module
 */
import {
  type DataType,
  field,
  fixedSizeList,
  float32,
  int32,
  list,
  tableFromArrays,
  tableToIPC,
  utf8,
} from "@uwdata/flechette";
import { type RecordBatch, Table } from "parquet-wasm";
import { DataError } from "@saeflow/core";
import type { FeatureRow, ShardLayout } from "./feature_row.ts";

/** The name of a list's item field: the Parquet spec's LIST element name (flechette's default is empty). */
const LIST_ELEMENT = "element";

/** Checks a row against the layout, naming the record and what was expected. */
export function validateRow(row: FeatureRow, layout: ShardLayout, where: string): void {
  const fail = (problem: string, expected: string) => {
    throw new DataError(where, { id: row.id }, problem, expected);
  };
  if (typeof row.id !== "string" || row.id === "") fail("row has no id", "a non-empty string id");
  if (layout.sparse) {
    const idx = row.featIdx;
    if (!(idx instanceof Int32Array)) fail("featIdx is missing", "an Int32Array of ascending feature indices");
    for (let i = 1; i < idx!.length; i++) {
      if (idx![i] <= idx![i - 1]) {
        fail(`featIdx is not strictly ascending at position ${i}`, "sorted, distinct indices");
      }
    }
    if (
      layout.sparseWidth !== undefined && idx!.length && (idx![0] < 0 || idx![idx!.length - 1] >= layout.sparseWidth)
    ) {
      fail(`feature index out of range`, `indices in [0, ${layout.sparseWidth})`);
    }
    if (layout.sparse === "values" && !(row.featVal instanceof Float32Array && row.featVal.length === idx!.length)) {
      fail("featVal does not match featIdx", `a Float32Array of ${idx!.length} values`);
    }
  }
  if (layout.denseDim !== undefined && !(row.dense instanceof Float32Array && row.dense.length === layout.denseDim)) {
    fail(`dense vector has length ${row.dense?.length ?? "none"}`, `a Float32Array of length ${layout.denseDim}`);
  }
  if (layout.text && typeof row.text !== "string") fail("text is missing", "the record's text (layout.text is on)");
}

/** Builds the record batch for `rows` (already validated). The caller owns (and frees) the result. */
export function toRecordBatch(rows: FeatureRow[], layout: ShardLayout): RecordBatch {
  const data: Record<string, unknown[]> = {
    id: rows.map((r) => r.id),
    label: rows.map((r) => r.label ?? null),
    split: rows.map((r) => r.split ?? null),
  };
  const types: Record<string, DataType> = { id: utf8(), label: utf8(), split: utf8() };
  if (layout.sparse) {
    data.feat_idx = rows.map((r) => r.featIdx);
    types.feat_idx = list(field(LIST_ELEMENT, int32(), false));
  }
  if (layout.sparse === "values") {
    data.feat_val = rows.map((r) => r.featVal);
    types.feat_val = list(field(LIST_ELEMENT, float32(), false));
  }
  if (layout.denseDim !== undefined) {
    data.dense = rows.map((r) => r.dense);
    types.dense = fixedSizeList(float32(), layout.denseDim);
  }
  if (layout.text) {
    data.text = rows.map((r) => r.text);
    types.text = utf8();
  }
  const table = Table.fromIPCStream(tableToIPC(tableFromArrays(data, { types }), { format: "stream" })!);
  const [batch] = table.recordBatches();
  table.free();
  return batch;
}
