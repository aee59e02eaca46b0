/**
 * Hidden-state baselines: one dense `dModel` vector per record from the forward pass's activations, pooled the two
 * ways the baselines in the literature do it: the last real token (MOSAIC) and the masked mean over real tokens
 * (SAEBench), BOS excluded by default.
 * @module
 */
import { type ActivationBatch, hookActivations } from "@saeflow/forward";

/** Options of {@link maskedMeanStates}. */
export interface MaskedMeanOptions {
  /** Average the BOS position too (when the batch has one); default false, as SAEBench does. */
  includeBos?: boolean;
}

/**
 * The hidden state of each record's last real token (`position lengths[b] - 1`; padding is never read): MOSAIC's
 * baseline. A record that is only BOS gets BOS's state, which is its last real token.
 * Returns fresh arrays (not views), so the batch can be freed. Throws a `ConfigError` for a hook the batch lacks and
 * a `RangeError` when the activation's size is not `batchSize * seqLen * dModel`.
 *
 * @example
 * ```ts
 * const states = lastTokenStates(batch, "blocks.2.hook_resid_post"); // batch.tokens.batchSize vectors of dModel
 * ```
 */
export function lastTokenStates(batch: ActivationBatch, hook: string): Float32Array[] {
  const { data, seqLen, dModel } = hookLayout(batch, hook);
  const out: Float32Array[] = [];
  for (let b = 0; b < batch.tokens.batchSize; b++) {
    const start = (b * seqLen + batch.tokens.lengths[b] - 1) * dModel;
    out.push(data.slice(start, start + dModel));
  }
  return out;
}

/**
 * The mean hidden state over each record's real tokens (positions `[first, lengths[b])`, padding never read), where
 * `first` is 1 when the batch has BOS and `includeBos` is false, else 0: SAEBench's baseline. Sums in float64.
 * A record with no token left to average (only BOS, BOS excluded) gets a zero vector, as sparse pooling gives an
 * empty vector: BOS's state is the same for every record, so it would carry no information either way, and zeros
 * say plainly that nothing was pooled. Returns fresh arrays. Throws as {@link lastTokenStates}.
 *
 * @example
 * ```ts
 * const means = maskedMeanStates(batch, "blocks.2.hook_resid_post"); // BOS excluded
 * const withBos = maskedMeanStates(batch, "blocks.2.hook_resid_post", { includeBos: true });
 * ```
 */
export function maskedMeanStates(
  batch: ActivationBatch,
  hook: string,
  options: MaskedMeanOptions = {},
): Float32Array[] {
  const { data, seqLen, dModel } = hookLayout(batch, hook);
  const first = batch.tokens.hasBos && !options.includeBos ? 1 : 0;
  const acc = new Float64Array(dModel);
  const out: Float32Array[] = [];
  for (let b = 0; b < batch.tokens.batchSize; b++) {
    const end = batch.tokens.lengths[b];
    const mean = new Float32Array(dModel);
    if (end > first) {
      acc.fill(0);
      for (let t = first; t < end; t++) {
        const row = (b * seqLen + t) * dModel;
        for (let d = 0; d < dModel; d++) acc[d] += data[row + d];
      }
      const count = end - first;
      for (let d = 0; d < dModel; d++) mean[d] = acc[d] / count;
    }
    out.push(mean);
  }
  return out;
}

/** The hook's activations with their layout, checked against the token batch. */
function hookLayout(batch: ActivationBatch, hook: string): { data: Float32Array; seqLen: number; dModel: number } {
  const data = hookActivations(batch, hook);
  const { batchSize, seqLen, lengths } = batch.tokens;
  const { dModel } = batch;
  if (data.length !== batchSize * seqLen * dModel) {
    throw new RangeError(
      `activations of ${hook}: ${data.length} values, expected batchSize ${batchSize} x seqLen ${seqLen} x dModel ${dModel}`,
    );
  }
  for (let b = 0; b < batchSize; b++) {
    if (!(lengths[b] >= 1 && lengths[b] <= seqLen)) {
      throw new RangeError(`token batch row ${b} has length ${lengths[b]}, expected 1..${seqLen}`);
    }
  }
  return { data, seqLen, dModel };
}
