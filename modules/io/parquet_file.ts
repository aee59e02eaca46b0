/**
 * Opening a Parquet file for reading without loading it: the footer and the column chunks are read on demand.
 * @module
 */
import { ParquetFile } from "parquet-wasm";
import { DataError } from "@saeflow/core";
import { isGzipFile, openFileBytes } from "./file_bytes.ts";
import { openFileRange } from "./file_range.ts";

/**
 * Opens `path` with parquet-wasm over a file-backed {@link FileRange}. A gzipped file is inflated into memory first
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
      : (await openFileRange(path)).asBlob();
    return await ParquetFile.fromFile(blob);
  } catch (error) {
    if (error instanceof DataError) throw error; // a missing or corrupt gzip file, already named
    const problem = error instanceof Deno.errors.NotFound ? "file not found" : `not a readable Parquet file (${error})`;
    throw new DataError(path, {}, problem, expected, { cause: error });
  }
}
