/**
 * Opening a Parquet file for reading without loading it: the footer and the column chunks are read on demand.
 * @module
 */
import { ParquetFile } from "parquet-wasm";
import { DataError } from "@saeflow/core";
import { isGzipFile, openFileBytes } from "./file_bytes.ts";
import { openFileRange } from "./file_range.ts";

/** Files up to this size are read whole (one read instead of one open per column chunk: ~40% faster ingest of a
 * 0.7 MB file); larger ones are read by range, so a 500 MB Hub shard costs only the columns asked for. */
const READ_WHOLE_BELOW = 64 * 2 ** 20;

/**
 * Opens `path` with parquet-wasm: small files from memory, larger ones over a file-backed {@link FileRange}. A gzipped file is inflated into memory first
 * (the reader needs random access). A missing or unreadable file fails with a DataError naming it and what was
 * expected (`expected` describes the file the caller wanted).
 *
 * @example
 * ```ts
 * using file = await openParquetFile("out/x/part-00000.parquet");
 * file.metadata().fileMetadata().numRows();
 * ```
 */
export async function openParquetFile(
  path: string,
  expected = "a Parquet file (magic bytes PAR1, footer intact)",
): Promise<ParquetFile> {
  try {
    const blob = (await isGzipFile(path))
      ? await new Response(await openFileBytes(path)).blob()
      : (await Deno.stat(path)).size <= READ_WHOLE_BELOW
      ? new Blob([await Deno.readFile(path)])
      : (await openFileRange(path)).asBlob();
    return await ParquetFile.fromFile(blob);
  } catch (error) {
    if (error instanceof DataError) throw error; // a missing or corrupt gzip file, already named
    const problem = error instanceof Deno.errors.NotFound ? "file not found" : `not a readable Parquet file (${error})`;
    throw new DataError(path, {}, problem, expected, { cause: error });
  }
}
