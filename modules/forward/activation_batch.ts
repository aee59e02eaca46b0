/**
 * Activation batches: what forward emits and saeEncode consumes.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { TokenBatch } from "@saeflow/tokenize";

/** Hidden states of one token batch at every requested hook, from one forward pass. */
export interface ActivationBatch {
  /** The token batch these activations belong to (ids, mask, lengths, records). */
  tokens: TokenBatch;
  /** Hook name (`blocks.12.hook_resid_post`) -> float32 `[batchSize, seqLen, dModel]`, row-major. Padding
   * positions hold whatever the model computed there: consumers must apply `tokens.mask`. */
  activations: Map<string, Float32Array>;
  dModel: number;
  /** Next-token logits `[batchSize, seqLen, vocab]`, when the model was built with them. */
  logits?: Float32Array;
  /** Outputs a graph extension added (`DecoderGraphOptions.extend`: a fused SAE encoder, say), by name. */
  extra?: Map<string, { data: ArrayLike<number | bigint>; dims: readonly number[] }>;
}

/** One hook's `[batchSize, seqLen, dModel]` values; a ConfigError listing the batch's hooks when it has not that one. */
export function hookActivations(batch: ActivationBatch, hook: string): Float32Array {
  const data = batch.activations.get(hook);
  if (!data) {
    throw new ConfigError(
      `no activations for hook ${JSON.stringify(hook)}; the batch has ${
        [...batch.activations.keys()].join(", ") || "none"
      }`,
    );
  }
  return data;
}
