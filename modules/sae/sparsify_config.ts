/**
 * An EleutherAI sparsify `cfg.json` (`SparseCoder.save_to_disk`: the `SparseCoderConfig` fields plus `d_in`; also the
 * older `EleutherAI/sae` `SaeConfig`), read into what the encoder needs. The width follows `SparseCoder.__init__`:
 * `num_latents or d_in * expansion_factor`. Options that change encoding in a way an `SaeSpec` cannot carry are
 * refused by name; training-only and decoder-only ones (`multi_topk`, `normalize_decoder`, `skip_connection`,
 * `embed_skip`) change no feature value and are ignored.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { CfgFields } from "./sae_folder.ts";

/** A sparsify config, resolved. */
export interface SparsifyConfig {
  /** `d_in` (sparsify requires it; when absent, `encoder.weight` says). */
  dIn?: number;
  /** `num_latents` when set (non-zero). */
  numLatents?: number;
  /** `SparseCoderConfig.expansion_factor` (default 32), used when `num_latents` is 0. */
  expansionFactor: number;
  k: number;
  /** A transcoder: the input is not centred by `b_dec` (`SparseCoder.encode` subtracts it only when autoencoding). */
  transcode: boolean;
}

/** `SparseCoderConfig.expansion_factor`'s default. */
export const SPARSIFY_DEFAULT_EXPANSION_FACTOR = 32;

/** The `activation` values with an encoder here (`fused_encoder`: `topk`; `groupmax` is not one). */
const ACTIVATIONS = ["topk"];

/**
 * Flags that, when true, make the encoder differ from `relu(x @ W.T + b)` then top-k: signed top-k by magnitude
 * (`EleutherAI/sae`), an n-gram mean subtracted from the input (`gram_lookup`), matching pursuit and its sliced
 * encoders (experimental sparsify branches).
 */
const UNSUPPORTED_FLAGS = ["signed", "gram_lookup", "matching_pursuit", "slice_encoder", "slice_decoder"];

/**
 * Resolves a sparsify `cfg.json`: a ConfigError names the file and the option for an unsupported activation or
 * flag; a missing or mistyped `k` is a DataError (its default changed between versions: 50, then 32).
 *
 * @example
 * ```ts
 * parseSparsifyConfig(new CfgFields("cfg.json", { expansion_factor: 32, num_latents: 0, k: 32, d_in: 768 }));
 * // { dIn: 768, expansionFactor: 32, k: 32, transcode: false }
 * ```
 */
export function parseSparsifyConfig(cfg: CfgFields): SparsifyConfig {
  const activation = cfg.string("activation") ?? "topk";
  if (!ACTIVATIONS.includes(activation)) {
    throw new ConfigError(
      `${cfg.path}: activation ${JSON.stringify(activation)} is not supported; expected one of: ${ACTIVATIONS}`,
    );
  }
  const enabled = UNSUPPORTED_FLAGS.filter((flag) => cfg.raw(flag) !== undefined && cfg.raw(flag) !== false);
  if (enabled.length > 0) {
    throw new ConfigError(
      `${cfg.path}: ${enabled.join(", ")} ${enabled.length > 1 ? "are" : "is"} set, which this loader does not ` +
        `support; expected a plain top-k sparse coder (${UNSUPPORTED_FLAGS.join(", ")} false or absent)`,
    );
  }
  const k = cfg.positiveInt("k");
  if (k === undefined) throw cfg.error("k", "is missing", "the number of active latents, a positive integer");
  const dIn = cfg.positiveInt("d_in");
  const numLatents = cfg.positiveInt("num_latents", { allowZero: true });
  return {
    ...(dIn !== undefined && { dIn }),
    ...(numLatents ? { numLatents } : {}),
    expansionFactor: cfg.positiveInt("expansion_factor") ?? SPARSIFY_DEFAULT_EXPANSION_FACTOR,
    k,
    transcode: cfg.boolean("transcode") ?? false,
  };
}
