/**
 * The downstream test of an SAE: its reconstruction spliced into the model in place of the activations it was trained
 * on, and the next-token loss the model keeps. Three graphs run: the clean model, the model with the SAE's
 * reconstruction at the hook, and the model with that hook zero-ablated; the fraction of loss recovered is
 * `(zero − spliced) / (zero − clean)` (1: the SAE loses nothing the model uses; 0: as bad as deleting the activations).
 * Position 0 keeps its own value in both replacements when the batches start with BOS: SAEs are trained without BOS
 * (its residual is an outlier the SAE never sees), as SAEBench leaves special tokens unreconstructed.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { type GraphBuilder, loadDecoder, type LoadDecoderOptions } from "@saeflow/forward";
import type { TokenBatch } from "@saeflow/tokenize";
import { addEncoder } from "./encoder_graph.ts";
import type { SaeSpec } from "./sae_spec.ts";

/** What {@link splicedLoss} measured, losses in nats per predicted token. */
export interface SplicedLoss {
  hookName: string;
  /** Next-token predictions scored (a row of n real tokens scores n − 1). */
  predictions: number;
  cleanLoss: number;
  splicedLoss: number;
  zeroAblatedLoss: number;
  /** `splicedLoss − cleanLoss`. */
  lossIncrease: number;
  /** `(zeroAblatedLoss − splicedLoss) / (zeroAblatedLoss − cleanLoss)`. */
  lossRecovered: number;
}

/**
 * Runs `batches` through the model (a folder, `.bin` or Hub id `loadDecoder` builds a graph for) three ways and
 * averages the next-token cross-entropy over real tokens. The SAE must name its hook (`spec.hookName`) and carry
 * `W_dec`. The three models are loaded one after another, each released before the next: a big model's weights are
 * held twice at most (here and by the caller), never four times.
 *
 * @example
 * ```ts
 * const result = await splicedLoss("data/lm", spec, batches);
 * console.log(result.lossIncrease, result.lossRecovered);
 * ```
 */
export async function splicedLoss(
  modelSource: string,
  spec: SaeSpec,
  batches: readonly TokenBatch[],
  options: Pick<LoadDecoderOptions, "executionProvider" | "threads"> = {},
): Promise<SplicedLoss> {
  const hookName = spec.hookName;
  if (!hookName) throw new ConfigError(`${spec.source}: the SAE names no hook; splicing needs one`);
  if (!spec.weights.W_dec) throw new ConfigError(`${spec.source}: the SAE has no W_dec; splicing needs it`);
  const keepFirst = batches.length > 0 && batches.every((b) => b.hasBos);
  const replacement = (kind: "sae" | "zero") => (g: GraphBuilder, value: string): string => {
    const replaced = kind === "zero"
      ? g.node("Sub", [value, value])
      : addEncoder(g, spec, value, { reconstruction: true, outputs: false, prefix: "sae/" }).reconstructed!;
    if (!keepFirst) return replaced;
    const positions = (from: string, start: number, end: number) =>
      g.node("Slice", [from, g.ints([start]), g.ints([end]), g.ints([1])]);
    return g.node("Concat", [positions(value, 0, 1), positions(replaced, 1, 2 ** 31 - 1)], { axis: { i: 1 } });
  };
  const sums: number[] = [];
  let predictions = 0;
  for (const kind of [undefined, "sae", "zero"] as const) {
    const model = await loadDecoder(modelSource, {
      ...options,
      logits: true,
      hooks: kind ? [hookName] : [],
      exposeHooks: false,
      splice: kind ? new Map([[hookName, replacement(kind)]]) : undefined,
    });
    try {
      let sum = 0;
      predictions = 0;
      for (const batch of batches) {
        const { logits } = await model.run(batch);
        const scored = nextTokenLoss(batch, logits!, model.info.vocabSize!);
        sum += scored.sum;
        predictions += scored.predictions;
      }
      sums.push(sum);
    } finally {
      await model.release();
    }
  }
  if (predictions === 0) throw new ConfigError(`spliced loss: no row has two tokens to score`);
  const [cleanLoss, spliced, zeroAblatedLoss] = sums.map((s) => s / predictions);
  return {
    hookName,
    predictions,
    cleanLoss,
    splicedLoss: spliced,
    zeroAblatedLoss,
    lossIncrease: spliced - cleanLoss,
    lossRecovered: (zeroAblatedLoss - spliced) / (zeroAblatedLoss - cleanLoss),
  };
}

/** Sum over real positions t < length − 1 of `−log softmax(logits[t])[ids[t + 1]]`, in float64. */
export function nextTokenLoss(
  batch: TokenBatch,
  logits: Float32Array,
  vocabSize: number,
): { sum: number; predictions: number } {
  let sum = 0;
  let predictions = 0;
  for (let b = 0; b < batch.batchSize; b++) {
    for (let t = 0; t + 1 < batch.lengths[b]; t++) {
      const row = (b * batch.seqLen + t) * vocabSize;
      let max = -Infinity;
      for (let v = 0; v < vocabSize; v++) max = Math.max(max, logits[row + v]);
      let total = 0;
      for (let v = 0; v < vocabSize; v++) total += Math.exp(logits[row + v] - max);
      sum += max + Math.log(total) - logits[row + batch.ids[b * batch.seqLen + t + 1]];
      predictions++;
    }
  }
  return { sum, predictions };
}
