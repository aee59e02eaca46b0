/**
 * An SAE judged on held-out activations through the encoder every pipeline uses (ONNX Runtime): mean L0, fraction
 * of variance unexplained, dead and dense features.
 * @module
 */
import { FeatureStats, type FeatureSummary } from "./feature_stats.ts";
import { SaeEncoder } from "./sae_encoder.ts";
import type { SaeSpec } from "./sae_spec.ts";
import type { RowBlock } from "./training/activation_rows.ts";

/**
 * Encodes every block of `rows` (in the activations' own units) with reconstruction errors and summarises them.
 *
 * @example
 * ```ts
 * const summary = await evaluateSae(trainer.toSpec({ id: "sae" }), heldOut);
 * console.log(summary.meanL0, summary.fvu, summary.deadFraction, summary.denseFraction);
 * ```
 */
export async function evaluateSae(
  spec: SaeSpec,
  rows: AsyncIterable<RowBlock> | Iterable<RowBlock>,
  options: { threads?: number } = {},
): Promise<FeatureSummary> {
  const encoder = await SaeEncoder.create(spec, { reconstruction: true, threads: options.threads });
  try {
    const stats = new FeatureStats(spec.dSae, spec.dIn);
    for await (const block of rows) {
      const { features, sqError } = await encoder.encode(block.rows, block.count);
      stats.add(features, block.rows, sqError);
    }
    return stats.summary();
  } finally {
    await encoder.release();
  }
}
