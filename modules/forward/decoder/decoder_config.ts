/**
 * The decoder architectures saeflow builds graphs for, read from a Hugging Face `config.json`. One normalized config
 * covers Llama and Gemma 2: their differences are a handful of switches (norm offset, embedding scale, post-norms,
 * soft-capping, sliding layers, activation).
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** Llama 3 RoPE frequency scaling (`rope_scaling.rope_type == "llama3"`). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

/** A decoder-only transformer, normalized from its Hugging Face config. */
export interface DecoderConfig {
  architecture: "llama" | "gemma2";
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling;
  /** Longest sequence the model was trained for; longer inputs are refused. */
  maxPositions: number;
  tieEmbeddings: boolean;
  activation: "silu" | "gelu_tanh";
  /** Multiplier applied to q·kᵀ (head_dim^-0.5, or Gemma 2's query_pre_attn_scalar^-0.5). */
  attentionScale: number;
  /** Gemma 2: `tanh(s / cap) * cap` on attention logits. */
  attnLogitSoftcap?: number;
  /** Gemma 2: the same on the output logits. */
  finalLogitSoftcap?: number;
  /** Per layer: the sliding window length, or undefined for full attention. */
  slidingWindow: (number | undefined)[];
  /** Gemma multiplies embeddings by sqrt(hidden_size). */
  embeddingScale: number;
  /** Gemma's RMSNorm multiplies by (1 + w). */
  normOffset: 0 | 1;
  /** Gemma 2 normalizes each branch's output too (post-attention and post-feedforward norms). */
  postNorms: boolean;
  bosId?: number;
  eosId?: number;
  padId?: number;
}

type Json = Record<string, unknown>;

function field<T>(json: Json, key: string, source: string, check: (v: unknown) => v is T, what: string): T {
  const value = json[key];
  if (!check(value)) {
    throw new ConfigError(`${source}: "${key}" is ${JSON.stringify(value)}; expected ${what}`);
  }
  return value;
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isPositive = (v: unknown): v is number => typeof v === "number" && v > 0;
const optionalId = (v: unknown): number | undefined =>
  Number.isInteger(v) ? v as number : Array.isArray(v) && Number.isInteger(v[0]) ? v[0] : undefined;

function ropeScaling(json: Json, source: string): Llama3RopeScaling | undefined {
  const scaling = json.rope_scaling as Json | null | undefined;
  if (scaling == null) return undefined;
  const type = scaling.rope_type ?? scaling.type;
  if (type === "default") return undefined;
  if (type !== "llama3") {
    throw new ConfigError(
      `${source}: rope_scaling type ${JSON.stringify(type)} is not supported; expected llama3 or none`,
    );
  }
  return {
    factor: field(scaling, "factor", source, isPositive, "a positive number"),
    lowFreqFactor: field(scaling, "low_freq_factor", source, isPositive, "a positive number"),
    highFreqFactor: field(scaling, "high_freq_factor", source, isPositive, "a positive number"),
    originalMaxPositions: field(
      scaling,
      "original_max_position_embeddings",
      source,
      isPositiveInt,
      "a positive integer",
    ),
  };
}

/**
 * Reads a Hugging Face `config.json` (parsed) of a Llama or Gemma 2 model.
 *
 * @example
 * ```ts
 * const config = parseDecoderConfig(JSON.parse(await Deno.readTextFile("config.json")), "config.json");
 * ```
 */
export function parseDecoderConfig(json: Json, source: string): DecoderConfig {
  const modelType = json.model_type;
  if (modelType !== "llama" && modelType !== "gemma2") {
    throw new ConfigError(
      `${source}: model_type ${JSON.stringify(modelType)} is not supported; expected "llama" or "gemma2"`,
    );
  }
  for (const key of ["attention_bias", "mlp_bias"]) {
    if (json[key] === true) throw new ConfigError(`${source}: ${key}=true is not supported (no bias terms are built)`);
  }
  const hiddenSize = field(json, "hidden_size", source, isPositiveInt, "a positive integer");
  const numHeads = field(json, "num_attention_heads", source, isPositiveInt, "a positive integer");
  const numKvHeads = json.num_key_value_heads === undefined
    ? numHeads
    : field(json, "num_key_value_heads", source, isPositiveInt, "a positive integer");
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(
      `${source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  const headDim = json.head_dim === undefined || json.head_dim === null
    ? hiddenSize / numHeads
    : field(json, "head_dim", source, isPositiveInt, "a positive integer");
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ConfigError(`${source}: head dimension ${headDim} must be an even integer (RoPE rotates pairs)`);
  }
  const numLayers = field(json, "num_hidden_layers", source, isPositiveInt, "a positive integer");
  const gemma = modelType === "gemma2";
  const activationName = (gemma ? json.hidden_activation ?? json.hidden_act : json.hidden_act) ?? "silu";
  const activation = activationName === "silu" ? "silu" : activationName === "gelu_pytorch_tanh" ? "gelu_tanh" : null;
  if (activation === null) {
    throw new ConfigError(
      `${source}: activation ${JSON.stringify(activationName)} is not supported; expected silu or gelu_pytorch_tanh`,
    );
  }
  const window = gemma ? field(json, "sliding_window", source, isPositiveInt, "a positive integer") : undefined;
  const layerTypes = json.layer_types as string[] | undefined;
  const slidingWindow = Array.from({ length: numLayers }, (_, layer) => {
    if (!gemma) return undefined;
    const sliding = layerTypes ? layerTypes[layer] === "sliding_attention" : layer % 2 === 0;
    return sliding ? window : undefined;
  });
  const softcap = (key: string) =>
    json[key] == null ? undefined : field(json, key, source, isPositive, "a positive number or null");
  return {
    architecture: modelType,
    vocabSize: field(json, "vocab_size", source, isPositiveInt, "a positive integer"),
    hiddenSize,
    intermediateSize: field(json, "intermediate_size", source, isPositiveInt, "a positive integer"),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: field(json, "rms_norm_eps", source, isPositive, "a positive number"),
    ropeTheta: json.rope_theta === undefined
      ? 10000
      : field(json, "rope_theta", source, isPositive, "a positive number"),
    ropeScaling: ropeScaling(json, source),
    maxPositions: field(json, "max_position_embeddings", source, isPositiveInt, "a positive integer"),
    tieEmbeddings: json.tie_word_embeddings === undefined ? gemma : json.tie_word_embeddings === true,
    activation,
    attentionScale: gemma
      ? field(json, "query_pre_attn_scalar", source, isPositive, "a positive number") ** -0.5
      : headDim ** -0.5,
    attnLogitSoftcap: gemma ? softcap("attn_logit_softcapping") : undefined,
    finalLogitSoftcap: gemma ? softcap("final_logit_softcapping") : undefined,
    slidingWindow,
    embeddingScale: gemma ? Math.fround(Math.sqrt(hiddenSize)) : 1,
    normOffset: gemma ? 1 : 0,
    postNorms: gemma,
    bosId: optionalId(json.bos_token_id),
    eosId: optionalId(json.eos_token_id),
    padId: optionalId(json.pad_token_id),
  };
}
