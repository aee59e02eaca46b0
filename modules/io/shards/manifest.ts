/**
 * The manifest of a shard directory (`_manifest.json`): which shards exist, how many records each holds, the class
 * balance per split, and whether the run finished. Rewritten atomically after every shard.
 * @module
 */
import { readJsonFile } from "../json_file.ts";
import { writeJsonAtomic } from "../atomic_write.ts";
import type { ShardLayout } from "./feature_row.ts";
import type { ShardMetadata } from "./shard_metadata.ts";

export const MANIFEST_FILE = "_manifest.json";

/** One finished shard file. */
export interface ShardEntry {
  file: string;
  records: number;
  bytes: number;
}

/** Contents of `_manifest.json`. */
export interface ShardManifest {
  saeflowVersion: string;
  configHash: string;
  metadata: ShardMetadata;
  layout: ShardLayout;
  shardSize: number;
  /** True once the whole input was written; a rerun of a complete directory writes nothing. */
  complete: boolean;
  records: number;
  shards: ShardEntry[];
  /** Records per split and label (`""` stands for "none"). */
  classCounts: Record<string, Record<string, number>>;
  /** Anything the pipeline adds: dataset description, label map, skipped-record tally, timings. */
  extra: Record<string, unknown>;
}

/** Reads a directory's manifest, or undefined when there is none yet. An unreadable one is a DataError naming it. */
export async function readManifest(dir: string): Promise<ShardManifest | undefined> {
  return await readJsonFile<ShardManifest>(`${dir}/${MANIFEST_FILE}`, "the JSON manifest saeflow writes");
}

/** Writes the manifest atomically (temp file, fsync, rename), so a reader never sees half of it. */
export async function writeManifest(dir: string, manifest: ShardManifest): Promise<void> {
  await writeJsonAtomic(`${dir}/${MANIFEST_FILE}`, manifest, { tempPath: `${dir}/.${MANIFEST_FILE}.tmp` });
}
