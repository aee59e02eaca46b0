/**
 * What a shard row holds, and which of its columns a shard set has.
 * @module
 */

/** One record's features, as the pool/binarize stages produce them. */
export interface FeatureRow {
  id: string;
  label?: string;
  split?: string;
  /** Active feature indices, ascending (sparse SAE or TF-IDF features). */
  featIdx?: Int32Array;
  /** Values of the active features, aligned with `featIdx` (absent for binarized features: indices only). */
  featVal?: Float32Array;
  /** A dense vector (hidden-state baselines). */
  dense?: Float32Array;
  /** The record's text, kept for inspection and reports when the layout asks for it. */
  text?: string;
}

/** Which columns a shard set has. Every row must fit the layout; it is recorded in the shards' metadata. */
export interface ShardLayout {
  /** `values`: `feat_idx` + `feat_val`; `indices`: `feat_idx` only (binarized); absent: no sparse columns. */
  sparse?: "values" | "indices";
  /** Width of the sparse feature space (e.g. the SAE's d_sae), recorded so readers can size matrices. */
  sparseWidth?: number;
  /** Length of the `dense` vectors (fixed_size_list<float32>[denseDim]); absent: no dense column. */
  denseDim?: number;
  /** Keep a `text` column. */
  text?: boolean;
}
