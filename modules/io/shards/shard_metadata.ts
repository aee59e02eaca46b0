/**
 * Provenance written into every shard: enough to tell exactly which model, hook, SAE, pooling, threshold, dataset
 * and configuration produced it.
 * @module
 */
import { canonicalJson, SAEFLOW_VERSION } from "@saeflow/core";
import type { ShardLayout } from "./feature_row.ts";

/** What produced a shard set. `configHash` is required: resume and mixing checks rely on it. */
export interface ShardMetadata {
  configHash: string;
  /** What the feature columns are: `sae`, `hidden-last`, `hidden-mean`, `tfidf`, `text` ... */
  featureKind?: string;
  dataset?: string;
  datasetSplit?: string;
  datasetRevision?: string;
  model?: string;
  modelRevision?: string;
  /** TransformerLens hook name, e.g. `blocks.12.hook_resid_post`. */
  hook?: string;
  sae?: string;
  saeWidth?: number;
  saeL0?: number;
  pooling?: string;
  /** Token mask used in pooling (`masked` or `mosaic-compat`). */
  tokenMask?: string;
  threshold?: number | string;
  [key: string]: unknown;
}

/**
 * The Parquet key-value entry that holds the provenance. One entry on purpose: parquet-wasm passes key-value
 * metadata through a Rust HashMap, so several entries come out in a different order on every write and identical
 * inputs would give different bytes. Its value is canonical JSON (sorted keys) for the same reason.
 */
export const METADATA_KEY = "saeflow";

/** What the `saeflow` entry holds. */
export interface ShardProvenance {
  version: string;
  configHash: string;
  metadata: ShardMetadata;
  layout: ShardLayout;
}

/** The key-value metadata for the Parquet footer. */
export function encodeMetadata(metadata: ShardMetadata, layout: ShardLayout): Map<string, string> {
  const provenance: ShardProvenance = { version: SAEFLOW_VERSION, configHash: metadata.configHash, metadata, layout };
  return new Map([[METADATA_KEY, canonicalJson(provenance)]]);
}

/** The provenance back from a Parquet footer; undefined when the file was not written by saeflow. */
export function decodeMetadata(kv: Map<string, string>): ShardProvenance | undefined {
  const json = kv.get(METADATA_KEY);
  return json === undefined ? undefined : JSON.parse(json);
}
