/**
 * The shape of a Llama model the project trains, and its Hugging Face `config.json`: the one file that tells the
 * forward module's loader (`parseDecoderConfig` of `@saeflow/forward`) how to build the graph, so a trained model
 * loads exactly as a downloaded checkpoint does.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** A Llama decoder's hyperparameters. */
export interface LlamaConfig {
  vocabSize: number;
  /** Width of the residual stream (`hidden_size`). */
  dModel: number;
  nLayers: number;
  /** Query heads; the head dimension is dModel / nHeads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention when fewer than nHeads). */
  nKvHeads: number;
  /** Width of the SwiGLU MLP (`intermediate_size`). */
  dFf: number;
  /** Longest sequence the model takes (`max_position_embeddings`). */
  maxSeqLen: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** Whether the output projection is the embedding matrix (no separate `lm_head.weight`). */
  tieEmbeddings: boolean;
}

/**
 * Token ids written into config.json: the byte tokenizer's (`BYTE_TOKENIZER_SPECIALS` of `@saeflow/tokenize`), which
 * is also the Llama 2 convention.
 */
const SPECIAL_IDS = { bos: 1, eos: 2, pad: 0 } as const;

const INTEGER_KEYS = ["vocabSize", "dModel", "nLayers", "nHeads", "nKvHeads", "dFf", "maxSeqLen"] as const;

/**
 * Checks `config` and returns it frozen; a ConfigError names `source` and the key that cannot work.
 *
 * @example
 * ```ts
 * const config = checkLlamaConfig({
 *   vocabSize: 259, dModel: 64, nLayers: 4, nHeads: 4, nKvHeads: 2, dFf: 192,
 *   maxSeqLen: 256, ropeTheta: 10000, rmsNormEps: 1e-5, tieEmbeddings: true,
 * });
 * ```
 */
export function checkLlamaConfig(config: LlamaConfig, source = "llama config"): Readonly<LlamaConfig> {
  for (const key of INTEGER_KEYS) {
    const value = config[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new ConfigError(`${source}: ${key} is ${JSON.stringify(value)}; expected a positive integer`);
    }
  }
  for (const key of ["ropeTheta", "rmsNormEps"] as const) {
    const value = config[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`${source}: ${key} is ${JSON.stringify(value)}; expected a positive number`);
    }
  }
  if (typeof config.tieEmbeddings !== "boolean") {
    throw new ConfigError(`${source}: tieEmbeddings is ${JSON.stringify(config.tieEmbeddings)}; expected a boolean`);
  }
  const { dModel, nHeads, nKvHeads } = config;
  if (dModel % nHeads !== 0 || (dModel / nHeads) % 2 !== 0) {
    throw new ConfigError(
      `${source}: nHeads ${nHeads} does not split dModel ${dModel} into heads of an even width (RoPE rotates ` +
        `pairs of dimensions)`,
    );
  }
  if (nHeads % nKvHeads !== 0) {
    throw new ConfigError(`${source}: nKvHeads ${nKvHeads} does not divide nHeads ${nHeads}`);
  }
  return Object.freeze({ ...config });
}

/** The width of one attention head. */
export function llamaHeadDim(config: Pick<LlamaConfig, "dModel" | "nHeads">): number {
  return config.dModel / config.nHeads;
}

/**
 * The Hugging Face `config.json` object of `config` (after checking it). `head_dim` is written out so that readers
 * that default it differently agree.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("model/config.json", JSON.stringify(toHfConfig(config), null, 2));
 * ```
 */
export function toHfConfig(config: LlamaConfig): Record<string, unknown> {
  const c = checkLlamaConfig(config);
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: c.dModel,
    intermediate_size: c.dFf,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: llamaHeadDim(c),
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    max_position_embeddings: c.maxSeqLen,
    vocab_size: c.vocabSize,
    tie_word_embeddings: c.tieEmbeddings,
    hidden_act: "silu",
    bos_token_id: SPECIAL_IDS.bos,
    eos_token_id: SPECIAL_IDS.eos,
    pad_token_id: SPECIAL_IDS.pad,
    torch_dtype: "float32",
  };
}

/**
 * Reads a Llama `config.json` (parsed) back into a LlamaConfig; `source` names the file in errors. Only what
 * {@link toHfConfig} writes is understood: a config needing more (RoPE scaling, biases, another activation) is
 * refused rather than trained on silently.
 *
 * @example
 * ```ts
 * const config = fromHfConfig(JSON.parse(await Deno.readTextFile("model/config.json")), "model/config.json");
 * ```
 */
export function fromHfConfig(json: Record<string, unknown>, source: string): Readonly<LlamaConfig> {
  if (json.model_type !== "llama") {
    throw new ConfigError(`${source}: model_type is ${JSON.stringify(json.model_type)}; expected "llama"`);
  }
  const unsupported: [string, (v: unknown) => boolean][] = [
    ["hidden_act", (v) => v !== undefined && v !== "silu"],
    ["rope_scaling", (v) => v != null],
    ["attention_bias", (v) => v === true],
    ["mlp_bias", (v) => v === true],
  ];
  for (const [key, bad] of unsupported) {
    if (bad(json[key])) throw new ConfigError(`${source}: ${key} ${JSON.stringify(json[key])} is not supported`);
  }
  const numHeads = json.num_attention_heads as number;
  const config = checkLlamaConfig({
    vocabSize: json.vocab_size as number,
    dModel: json.hidden_size as number,
    nLayers: json.num_hidden_layers as number,
    nHeads: numHeads,
    nKvHeads: (json.num_key_value_heads ?? numHeads) as number,
    dFf: json.intermediate_size as number,
    maxSeqLen: json.max_position_embeddings as number,
    ropeTheta: (json.rope_theta ?? 10000) as number,
    rmsNormEps: json.rms_norm_eps as number,
    tieEmbeddings: json.tie_word_embeddings === true,
  }, source);
  if (json.head_dim != null && json.head_dim !== llamaHeadDim(config)) {
    throw new ConfigError(
      `${source}: head_dim ${JSON.stringify(json.head_dim)} is not hidden_size / num_attention_heads ` +
        `(${llamaHeadDim(config)}); expected that`,
    );
  }
  return config;
}
