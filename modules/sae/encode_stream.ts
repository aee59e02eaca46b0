/**
 * saeEncode as a stream stage: activation batches in, sparse feature batches out, for any number of SAEs (each on the
 * hook it was trained on). Only real tokens are encoded: padding never reaches an SAE.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { type ActivationBatch, hookActivations } from "@saeflow/forward";
import { FeatureStats } from "./feature_stats.ts";
import type { FeatureEncoder } from "./sae_encoder.ts";
import type { FeatureBatch, SparseFeatures } from "./sparse_features.ts";

/** Options for {@link SaeEncodeStream}. */
export interface SaeEncodeStreamOptions {
  /** The SAEs, each with its id and hook; ids must be distinct. */
  saes: readonly HookedSae[];
}

/** One SAE of the stream and the hook it reads. */
export interface HookedSae {
  /** Key of its features in each {@link FeatureBatch} (e.g. the registry id). */
  id: string;
  /** Hook whose activations it encodes (`blocks.12.hook_resid_post`). */
  hook: string;
  /** ONNX Runtime's {@link SaeEncoder} (the default) or the tfjs one. */
  encoder: FeatureEncoder;
}

/**
 * The real tokens' rows of one hook, `[Σ lengths, d]`, record by record; a NaN or infinite activation is a
 * DataError naming the record, position and hook (an SAE would silently turn it into garbage features).
 */
export function realTokenRows(batch: ActivationBatch, hook: string): Float32Array {
  const { tokens, dModel: d } = batch;
  const values = hookActivations(batch, hook);
  const total = tokens.lengths.reduce((a, b) => a + b, 0);
  const rows = new Float32Array(total * d);
  let at = 0;
  for (let b = 0; b < tokens.batchSize; b++) {
    const start = b * tokens.seqLen * d;
    const row = values.subarray(start, start + tokens.lengths[b] * d);
    for (let i = 0; i < row.length; i++) {
      if (!Number.isFinite(row[i])) {
        throw new DataError(
          hook,
          { id: tokens.records[b]?.id },
          `activation ${row[i]} at token ${Math.floor(i / d)}, dimension ${i % d}`,
          "finite activations (is the model's dtype overflowing?)",
        );
      }
    }
    rows.set(row, at);
    at += row.length;
  }
  return rows;
}

/**
 * Encodes one activation batch with every SAE (each hook's real-token rows gathered once), adding to `stats` (keyed
 * by SAE id) when given. An SAE whose d_in is not the model's d_model is a ConfigError.
 *
 * @example
 * ```ts
 * const { features } = await encodeActivationBatch(activations, [{ id: "l2", hook: "blocks.2.hook_resid_post", encoder }]);
 * ```
 */
export async function encodeActivationBatch(
  batch: ActivationBatch,
  saes: readonly HookedSae[],
  stats?: ReadonlyMap<string, FeatureStats>,
): Promise<FeatureBatch> {
  const rowsByHook = new Map<string, Float32Array>();
  const features = new Map<string, SparseFeatures>();
  for (const { id, hook, encoder } of saes) {
    const { spec } = encoder;
    if (batch.dModel !== spec.dIn) {
      throw new ConfigError(
        `SAE ${id} (${spec.source}) takes d_in ${spec.dIn}, but the model's ${hook} has d_model ${batch.dModel}`,
      );
    }
    if (!rowsByHook.has(hook)) rowsByHook.set(hook, realTokenRows(batch, hook));
    const x = rowsByHook.get(hook)!;
    const { features: f, sqError } = await encoder.encode(x, x.length / spec.dIn);
    stats?.get(id)?.add(f, x, sqError);
    features.set(id, f);
  }
  return { tokens: batch.tokens, features };
}

/**
 * Encodes each activation batch with every SAE. Optionally keeps {@link FeatureStats} per SAE (L0, FVU when the
 * encoders measure reconstructions, dead features).
 *
 * @example
 * ```ts
 * const features = activations.pipeThrough(new SaeEncodeStream({ saes: [{ id: "l12-16k", hook: "blocks.12.hook_resid_post", encoder }] }));
 * ```
 */
export class SaeEncodeStream extends TransformStream<ActivationBatch, FeatureBatch> {
  /** Diagnostics per SAE id, filled as batches pass. */
  readonly stats: Map<string, FeatureStats>;

  constructor({ saes }: SaeEncodeStreamOptions) {
    if (new Set(saes.map((s) => s.id)).size !== saes.length) {
      throw new ConfigError(`SAE ids must be distinct: ${saes.map((s) => s.id).join(", ")}`);
    }
    const stats = new Map(saes.map((s) => [s.id, new FeatureStats(s.encoder.spec.dSae, s.encoder.spec.dIn)]));
    super(
      {
        async transform(batch, controller) {
          controller.enqueue(await encodeActivationBatch(batch, saes, stats));
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
    this.stats = stats;
  }
}
