/**
 * A seeded random SAE: the baseline every SAE result should beat (random dictionaries are surprisingly strong
 * probes), and the stand-in for models that have no trained SAE yet.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { randomUnitDictionary } from "./random_dictionary.ts";
import type { SaeSpec } from "./sae_spec.ts";

/** Options of {@link randomSae}. */
export interface RandomSaeOptions {
  dIn: number;
  dSae: number;
  /** Features kept per token (TopK); default 32, capped at `dSae`. */
  k?: number;
  /** Same seed, same weights, on every machine. */
  seed: number;
  /** Default `random-<dSae>-k<k>-s<seed>`. */
  id?: string;
  hookName?: string;
}

/**
 * A TopK SAE (ReLU, then the k largest) whose encoder columns are random unit vectors (Gaussian, normalised in
 * float64) and whose decoder is their transpose; biases are zero. TopK keeps every token at k active features
 * whatever the scale of the residual stream, so pooled counts and sums stay comparable across models.
 *
 * @example
 * ```ts
 * const spec = randomSae({ dIn: 64, dSae: 512, seed: 1, hookName: "blocks.2.hook_resid_post" });
 * const encoder = await SaeEncoder.create(spec);
 * ```
 */
export function randomSae({ dIn, dSae, k = 32, seed, id, hookName }: RandomSaeOptions): SaeSpec {
  for (const [name, value] of [["dIn", dIn], ["dSae", dSae], ["k", k]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`random SAE: ${name} must be a positive integer`);
  }
  const kept = Math.min(k, dSae);
  const { encoder, decoder } = randomUnitDictionary(dIn, dSae, seed);
  return {
    id: id ?? `random-${dSae}-k${kept}-s${seed}`,
    source: `random (seed ${seed})`,
    architecture: "topk",
    k: kept,
    topkOrder: "relu-then-topk",
    dIn,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    hookName,
    weights: {
      W_enc: { shape: [dIn, dSae], data: encoder },
      b_enc: { shape: [dSae], data: new Float32Array(dSae) },
      b_dec: { shape: [dIn], data: new Float32Array(dIn) },
      W_dec: { shape: [dSae, dIn], data: decoder },
    },
  };
}
