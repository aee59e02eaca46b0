/**
 * Small Llama / Gemma 2 configurations (plain Hugging Face config.json objects) and seeded random checkpoints with
 * the Hugging Face tensor names, for testing forward passes against the independent reference in
 * reference_forward.ts. Nothing here depends on project code.
 */
import { mulberry32 } from "../../random.ts";

/** A Hugging Face config.json object (the fields the reference reads; anything else is carried along). */
export interface HfConfig {
  model_type: string;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  rope_scaling?: Record<string, unknown> | null;
  max_position_embeddings?: number;
  vocab_size: number;
  tie_word_embeddings?: boolean;
  hidden_act?: string;
  hidden_activation?: string;
  query_pre_attn_scalar?: number;
  attn_logit_softcapping?: number | null;
  final_logit_softcapping?: number | null;
  sliding_window?: number | null;
  layer_types?: string[];
  attention_bias?: boolean;
  mlp_bias?: boolean;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  [key: string]: unknown;
}

/** A row-major float32 tensor. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** Tensors by Hugging Face name (as in model.safetensors). */
export type Checkpoint = Map<string, Tensor>;

/** Weight groups whose random scale can be changed (e.g. q/k up to make the attention softcap bite). */
export type WeightGroup = "embed" | "q" | "k" | "v" | "o" | "gate" | "up" | "down" | "norm" | "lm_head";

export interface RandomCheckpointOptions {
  /**
   * Multiplier of each group's standard deviation (default 1 everywhere). Linear weights are N(0, s/sqrt(fan_in));
   * embeddings N(0, s) for llama and N(0, s/sqrt(hidden)) for gemma2 (it multiplies them by sqrt(hidden));
   * lm_head N(0, s/sqrt(hidden)); norm weights 1 + N(0, 0.1 s) for llama and N(0, 0.1 s) for gemma2 (it uses 1 + w).
   */
  scale?: Partial<Record<WeightGroup, number>>;
}

/** A small Llama config (GQA: 4 query heads, 2 kv heads); `overrides` win. head_dim follows hidden/heads unless given. */
export function llamaConfig(overrides: Partial<HfConfig> = {}): HfConfig {
  const base: HfConfig = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    rope_scaling: null,
    max_position_embeddings: 2048,
    vocab_size: 128,
    tie_word_embeddings: false,
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    torch_dtype: "float32",
  };
  const config = { ...base, ...overrides };
  if (overrides.head_dim === undefined) config.head_dim = config.hidden_size / config.num_attention_heads;
  return config;
}

/**
 * A small Gemma 2 config like the real ones: GQA (4 query heads, 2 kv heads), head_dim (32) != hidden/heads (16),
 * query_pre_attn_scalar (24) != head_dim (as in gemma-2-27b), tied embeddings, softcaps 50 / 30.
 */
export function gemma2Config(overrides: Partial<HfConfig> = {}): HfConfig {
  const base: HfConfig = {
    architectures: ["Gemma2ForCausalLM"],
    model_type: "gemma2",
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000.0,
    max_position_embeddings: 8192,
    vocab_size: 128,
    tie_word_embeddings: true,
    hidden_act: "gelu_pytorch_tanh",
    hidden_activation: "gelu_pytorch_tanh",
    query_pre_attn_scalar: 24,
    attn_logit_softcapping: 50.0,
    final_logit_softcapping: 30.0,
    sliding_window: 4096,
    attention_bias: false,
    cache_implementation: "hybrid",
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    torch_dtype: "float32",
  };
  return { ...base, ...overrides };
}

export { mulberry32 } from "../../random.ts";

/** FNV-1a of a string, so each tensor's stream depends only on (seed, name), not on which other tensors exist. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function gaussian(n: number, mean: number, std: number, seed: number, name: string): Float32Array {
  const rand = mulberry32((hashName(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

/** Head dimension as the Hugging Face models derive it. */
export function headDimOf(config: HfConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/** Whether lm_head shares the embedding matrix (HF defaults: llama false, gemma2 true). */
export function tiesEmbeddings(config: HfConfig): boolean {
  return config.tie_word_embeddings ?? config.model_type === "gemma2";
}

/** All tensors of a `config` model with Hugging Face names, deterministic in `seed`. */
export function randomCheckpoint(config: HfConfig, seed: number, options: RandomCheckpointOptions = {}): Checkpoint {
  const gemma = config.model_type === "gemma2";
  if (!gemma && config.model_type !== "llama") throw new Error(`unsupported model_type ${config.model_type}`);
  const s = (g: WeightGroup) => options.scale?.[g] ?? 1;
  const D = config.hidden_size;
  const I = config.intermediate_size;
  const V = config.vocab_size;
  const H = config.num_attention_heads;
  const KV = config.num_key_value_heads ?? H;
  const hd = headDimOf(config);
  const out: Checkpoint = new Map();
  const add = (name: string, shape: number[], mean: number, std: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, { data: gaussian(n, mean, std, seed, name), shape });
  };
  const linear = (name: string, outF: number, inF: number, g: WeightGroup) =>
    add(name, [outF, inF], 0, s(g) / Math.sqrt(inF));
  const norm = (name: string) => add(name, [D], gemma ? 0 : 1, 0.1 * s("norm"));

  add("model.embed_tokens.weight", [V, D], 0, gemma ? s("embed") / Math.sqrt(D) : s("embed"));
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    norm(p + "input_layernorm.weight");
    linear(p + "self_attn.q_proj.weight", H * hd, D, "q");
    linear(p + "self_attn.k_proj.weight", KV * hd, D, "k");
    linear(p + "self_attn.v_proj.weight", KV * hd, D, "v");
    linear(p + "self_attn.o_proj.weight", D, H * hd, "o");
    norm(p + "post_attention_layernorm.weight");
    if (gemma) {
      norm(p + "pre_feedforward_layernorm.weight");
      norm(p + "post_feedforward_layernorm.weight");
    }
    linear(p + "mlp.gate_proj.weight", I, D, "gate");
    linear(p + "mlp.up_proj.weight", I, D, "up");
    linear(p + "mlp.down_proj.weight", D, I, "down");
  }
  norm("model.norm.weight");
  if (!tiesEmbeddings(config)) add("lm_head.weight", [V, D], 0, s("lm_head") / Math.sqrt(D));
  return out;
}
