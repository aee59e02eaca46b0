/**
 * The extract pipeline's middle stage: one activation batch in, every feature the run asks for out (hidden-state
 * baselines, every SAE under every pooling, TF-IDF), so that the model runs once whatever the number of outputs.
 * @module
 */
import type { TextRecord } from "@saeflow/core";
import type { ActivationBatch } from "@saeflow/forward";
import {
  lastTokenStates,
  maskedMeanStates,
  type PooledVector,
  poolFeatureBatch,
  type PoolSpec,
  type SparseTfidf,
  type TfidfModel,
} from "@saeflow/pool";
import { encodeActivationBatch, type FeatureStats, type HookedSae, type TopActivations } from "@saeflow/sae";
import type { StageTimes } from "../stage_times.ts";

/** The hidden-state baselines: MOSAIC's last real token, SAEBench's masked mean. */
export const HIDDEN_POOLS = ["last", "mean"] as const;
export type HiddenPool = typeof HIDDEN_POOLS[number];

/** Everything extracted from one batch, records in batch order. */
export interface ExtractedBatch {
  records: TextRecord[];
  /** Real (unpadded) tokens in the batch. */
  tokens: number;
  /** hook → baseline → one dense vector per record. */
  hidden: Map<string, Map<HiddenPool, Float32Array[]>>;
  /** SAE id → pool name → one sparse vector per record. */
  pooled: Map<string, Map<string, PooledVector[]>>;
  /** One TF-IDF vector per record, when the run has the baseline. */
  tfidf?: SparseTfidf[];
}

/** What {@link ExtractStage} computes. */
export interface ExtractStageOptions {
  saes: readonly HookedSae[];
  /** Pool name → spec (see `namePools`). */
  pools: Map<string, PoolSpec>;
  /** Hooks whose hidden states are pooled into baselines, and which baselines. */
  hidden: { hooks: readonly string[]; pools: readonly HiddenPool[] };
  tfidf?: TfidfModel;
  /** SAE id → diagnostics (L0, dead features), filled as batches pass. */
  stats?: ReadonlyMap<string, FeatureStats>;
  /** SAE id → its features' strongest activating tokens, filled as batches pass. */
  examples?: ReadonlyMap<string, TopActivations>;
  times: StageTimes;
}

/** Activation batches → {@link ExtractedBatch}es; the activations are dropped here, so memory stays a batch. */
export class ExtractStage extends TransformStream<ActivationBatch, ExtractedBatch> {
  constructor({ saes, pools, hidden, tfidf, stats, examples, times }: ExtractStageOptions) {
    super(
      {
        async transform(batch, controller) {
          const hiddenStates = times.measure("hidden-state baselines", () =>
            new Map(hidden.hooks.map((hook) => [
              hook,
              new Map(hidden.pools.map((pool) => [
                pool,
                pool === "last" ? lastTokenStates(batch, hook) : maskedMeanStates(batch, hook),
              ])),
            ])));
          const features = await times.measureAsync("sae encode", () => encodeActivationBatch(batch, saes, stats));
          if (examples) {
            times.measure("feature examples", () => {
              for (const [id, top] of examples) top.add(features.features.get(id)!, batch.tokens);
            });
          }
          const { pooled } = times.measure("pool", () => poolFeatureBatch(features, pools));
          const { records, lengths } = batch.tokens;
          controller.enqueue({
            records,
            tokens: lengths.reduce((a, b) => a + b, 0),
            hidden: hiddenStates,
            pooled,
            tfidf: tfidf && times.measure("tf-idf", () => records.map((r) => tfidf.transform(r.text))),
          });
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }
}
