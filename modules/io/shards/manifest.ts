/**
 * The manifest of a shard directory (`_manifest.json`): which shards exist, how many records each holds, the class
 * balance per split, and whether the run finished. Rewritten atomically after every shard.
 * @module
 */
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

/** Reads a directory's manifest, or undefined when there is none yet. */
export async function readManifest(dir: string): Promise<ShardManifest | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/${MANIFEST_FILE}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Writes the manifest atomically (temp file + rename), so a reader never sees half of it. */
export async function writeManifest(dir: string, manifest: ShardManifest): Promise<void> {
  const temp = `${dir}/.${MANIFEST_FILE}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(temp, `${dir}/${MANIFEST_FILE}`);
}
