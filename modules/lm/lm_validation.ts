/**
 * A language model's loss on held-out packed rows: the mean next-token cross-entropy over every prediction of every
 * row (rows × (seqLen − 1) of them), and its perplexity.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { LlamaModel } from "./llama_tfjs.ts";
import type { PackedSequences } from "./packed_sequences.ts";

/** What {@link validationLoss} measured. */
export interface ValidationLoss {
  /** Mean cross-entropy, nats per predicted token. */
  loss: number;
  /** `exp(loss)`. */
  perplexity: number;
  /** Predictions scored. */
  tokens: number;
  /** Rows read. */
  rows: number;
}

/** Options of {@link validationLoss}. */
export interface ValidationLossOptions {
  /** Rows per forward pass. */
  batchSize: number;
  /** Read only the first `maxRows` rows (a fixed subset, for frequent evaluations); default all. */
  maxRows?: number;
}

/**
 * Scores `rows` with `model` in batches; each batch's mean (tfjs, float32) is weighted by its predictions and summed
 * in float64. A ConfigError when there is no row to score.
 *
 * @example
 * ```ts
 * const { loss, perplexity } = await validationLoss(model, validationRows, { batchSize: 16 });
 * ```
 */
export async function validationLoss(
  model: LlamaModel,
  rows: PackedSequences,
  { batchSize, maxRows }: ValidationLossOptions,
): Promise<ValidationLoss> {
  const count = Math.min(rows.count, maxRows ?? Infinity);
  if (count === 0) {
    throw new ConfigError("validation loss: no validation rows (the split gave fewer tokens than a row)");
  }
  const { seqLen } = rows;
  let sum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const batch = Math.min(batchSize, count - start);
    const ids = rows.ids.subarray(start * seqLen, (start + batch) * seqLen);
    const loss = model.loss(ids, new Uint8Array(batch * seqLen).fill(1), batch, seqLen);
    sum += (await loss.data())[0] * batch * (seqLen - 1);
    loss.dispose();
  }
  const tokens = count * (seqLen - 1);
  return { loss: sum / tokens, perplexity: Math.exp(sum / tokens), tokens, rows: count };
}
