/**
 * Parquet rows, read row group by row group and only for the columns asked for (parquet-wasm + flechette).
 * @module
 */
import { tableFromIPC } from "@uwdata/flechette";
import { DataError, resourceStream } from "@saeflow/core";
import { openParquetFile } from "../parquet_file.ts";
import type { RawRow } from "../raw_row.ts";
import type { RowSource } from "../row_source.ts";

/** Options for {@link readParquet}. */
export interface ParquetReadOptions {
  /** Columns to read (default: all). Asking for a column the file lacks fails, listing the columns it has. */
  columns?: string[];
  /** Rows per decoded batch (default 1024): the unit of memory while streaming. */
  batchSize?: number;
}

/**
 * Streams the rows of a Parquet file, reading only the footer and the asked columns' chunks (a gzipped file is
 * inflated into memory first). Hugging Face `ClassLabel`
 * features declared in the file's `huggingface` metadata come back as `classLabels`, so integer labels can be
 * named without a user-supplied label map.
 *
 * @example
 * ```ts
 * const { rows, classLabels } = await readParquet("train-0000.parquet", { columns: ["text", "label"] });
 * ```
 */
export async function readParquet(path: string, options: ParquetReadOptions = {}): Promise<RowSource> {
  const file = await openParquetFile(path);
  const schema = file.schema();
  const classLabels = huggingFaceClassLabels(schema.metadata());
  const available = tableFromIPC(schema.intoIPCStream()).names; // consumes (frees) the schema
  const missing = (options.columns ?? []).filter((c) => !available.includes(c));
  if (missing.length) {
    file.free();
    throw new DataError(
      path,
      {},
      `no column${missing.length > 1 ? "s" : ""} ${missing.map((c) => JSON.stringify(c)).join(", ")}`,
      `one of the file's columns: ${available.join(", ")}`,
    );
  }
  const batches = (await file.stream({ columns: options.columns, batchSize: options.batchSize ?? 1024 })).getReader();
  let row = 0;
  const rows = resourceStream<RawRow>({
    async next(enqueue) {
      const { done, value } = await batches.read();
      if (done) return false;
      for (const fields of tableFromIPC(value.intoIPCStream()).toArray()) enqueue({ fields, source: path, row: row++ });
      return true;
    },
    async release(reason) {
      await batches.cancel(reason);
      file.free();
    },
  });
  return { rows, hasSchema: true, classLabels };
}

/** `{column: names}` for the ClassLabel features in a `huggingface` schema metadata entry (datasets library format). */
function huggingFaceClassLabels(metadata: Map<string, string>): Record<string, string[]> | undefined {
  const raw = metadata.get("huggingface");
  if (!raw) return undefined;
  try {
    const features = JSON.parse(raw)?.info?.features ?? {};
    const entries = Object.entries(features as Record<string, { _type?: string; names?: string[] }>)
      .filter(([, f]) => f?._type === "ClassLabel" && Array.isArray(f.names))
      .map(([name, f]) => [name, f.names!]);
    return entries.length ? Object.fromEntries(entries) : undefined;
  } catch {
    return undefined; // metadata we cannot read only costs the automatic label names
  }
}
