/**
 * Reading shard sets back: checked (one configuration, every shard present), streamed by row group and only for
 * the columns asked for, as arquero tables.
 * @module
 */
import * as aq from "arquero";
import type { ParquetFile } from "parquet-wasm";
import { ConfigError, DataError, resourceStream } from "@saeflow/core";
import { openParquetFile } from "../parquet_file.ts";
import { readManifest, type ShardManifest } from "./manifest.ts";
import { decodeMetadata } from "./shard_metadata.ts";

/** Options for {@link readShards} and {@link loadShards}. */
export interface ShardReadOptions {
  /** Columns to read (default: all). */
  columns?: string[];
  /** Rows per table (default: one row group). */
  batchSize?: number;
  /** Read a directory whose run has not finished (default false: it fails, saying how far the run got). */
  allowIncomplete?: boolean;
}

/** A checked shard directory. */
export interface ShardSet {
  dir: string;
  manifest: ShardManifest;
  /** Shard paths in record order. */
  files: string[];
}

/**
 * Opens a shard directory and checks it: manifest present, run complete (unless allowed), every listed shard on
 * disk with the manifest's configuration hash (a shard from another configuration is named in the error).
 *
 * @example
 * ```ts
 * const set = await openShardSet("out/demo/text");
 * set.manifest.records; // 3000
 * ```
 */
export async function openShardSet(dir: string, { allowIncomplete = false } = {}): Promise<ShardSet> {
  const manifest = await readManifest(dir);
  if (!manifest) {
    throw new ConfigError(`${dir} has no _manifest.json: not a saeflow shard directory (or no shard finished yet)`);
  }
  if (!manifest.complete && !allowIncomplete) {
    throw new ConfigError(
      `${dir}: the run that writes it has not finished (${manifest.records} records in ${manifest.shards.length} shards); rerun it to resume`,
    );
  }
  const files: string[] = [];
  for (const { file, records } of manifest.shards) {
    const path = `${dir}/${file}`;
    using parquet = await openParquetFile(path);
    const meta = parquet.metadata().fileMetadata();
    const hash = decodeMetadata(meta.keyValueMetadata())?.configHash;
    if (hash !== manifest.configHash) {
      throw new DataError(
        path,
        {},
        `shard of configuration ${hash ?? "unknown (not written by saeflow)"} mixed in`,
        `configuration ${manifest.configHash} like the rest of ${dir}`,
      );
    }
    if (meta.numRows() !== records) {
      throw new DataError(path, {}, `holds ${meta.numRows()} records`, `${records} as the manifest says`);
    }
    files.push(path);
  }
  return { dir, manifest, files };
}

/**
 * Streams a shard directory as arquero tables, one per row group (or `batchSize` rows), reading only `columns`.
 * List columns (`feat_idx`, `feat_val`, `dense`) arrive as typed arrays per row.
 *
 * @example
 * ```ts
 * for await (const table of readShards("out/sae", { columns: ["id", "label", "feat_idx"] })) console.log(table.numRows());
 * ```
 */
export function readShards(source: string | ShardSet, options: ShardReadOptions = {}): ReadableStream<aq.ColumnTable> {
  let files: string[] | undefined;
  let file: ParquetFile | undefined;
  let batches: ReadableStreamDefaultReader | undefined;
  return resourceStream<aq.ColumnTable>({
    async next(enqueue) {
      files ??= [...(typeof source === "string" ? await openShardSet(source, options) : source).files];
      while (true) {
        if (!batches) {
          const path = files.shift();
          if (path === undefined) return false;
          file = await openParquetFile(path);
          batches = (await file.stream({ columns: options.columns, batchSize: options.batchSize })).getReader();
        }
        const { done, value } = await batches.read();
        if (!done) {
          enqueue(aq.fromArrow(value.intoIPCStream()));
          return true;
        }
        file!.free();
        [file, batches] = [undefined, undefined];
      }
    },
    async release(reason) {
      await batches?.cancel(reason);
      file?.free();
    },
  });
}

/**
 * The whole shard directory as one arquero table (for analysis of sets that fit in memory).
 *
 * @example
 * ```ts
 * const table = await loadShards("out/demo/text", { columns: ["label", "split"] });
 * table.groupby("split", "label").count().print();
 * ```
 */
export async function loadShards(source: string | ShardSet, options: ShardReadOptions = {}): Promise<aq.ColumnTable> {
  const tables = await Array.fromAsync(readShards(source, options));
  if (tables.length === 0) return aq.table({});
  return tables.length === 1 ? tables[0] : tables[0].concat(...tables.slice(1));
}
