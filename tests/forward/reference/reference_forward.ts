/**
 * An independent, deliberately plain reference forward pass of Hugging Face `LlamaForCausalLM` and
 * `Gemma2ForCausalLM` (eager attention semantics of transformers' modeling_llama.py / modeling_gemma2.py), written
 * from those sources and nothing in this repository. Loops over typed arrays, float64 accumulation everywhere;
 * outputs are rounded to float32. Rows of the batch are independent (right padding, positions 0..T-1 per row).
 */
import { type Checkpoint, headDimOf, type HfConfig, tiesEmbeddings } from "./random_checkpoint.ts";

export interface ReferenceOptions {
  /** Also return per-layer attention scores / probabilities ([B, H, T, T] each). */
  captureAttention?: boolean;
}

export interface ReferenceOutput {
  batch: number;
  seq: number;
  hidden: number;
  vocab: number;
  /**
   * HF `output_hidden_states` order, length L + 1, each [B, T, D]: index 0 = embeddings (gemma2: times sqrt(hidden)
   * in float32), index i = output of layer i - 1. Unlike HF, the last entry is the pre-final-norm residual stream
   * (see `finalNorm` for the normed one).
   */
  hiddenStates: Float32Array[];
  /** Per layer [B, T, D]: the residual stream entering the layer (= hiddenStates[l]). */
  residPre: Float32Array[];
  /** Per layer [B, T, D]: the residual stream leaving the layer (= hiddenStates[l + 1]). */
  residPost: Float32Array[];
  /** Per layer [B, T, D]: what attention adds to the residual (after o_proj; gemma2: after post_attention_layernorm). */
  attnOut: Float32Array[];
  /** Per layer [B, T, D]: what the MLP adds to the residual (after down_proj; gemma2: after post_feedforward_layernorm). */
  mlpOut: Float32Array[];
  /** [B, T, D]: model.norm applied to the last layer's output (HF's last hidden_states entry). */
  finalNorm: Float32Array;
  /** [B, T, V]: lm_head(finalNorm), gemma2: then tanh(x / cap) * cap with final_logit_softcapping. */
  logits: Float32Array;
  /** captureAttention only, per layer [B, H, T, T]: q.k * scaling, before softcap and masking. */
  attnRawScores?: Float32Array[];
  /** captureAttention only, per layer [B, H, T, T]: after the gemma2 attention softcap (= raw for llama), before masking. */
  attnScores?: Float32Array[];
  /** captureAttention only, per layer [B, H, T, T]: softmax over the allowed keys (0 elsewhere). */
  attnProbs?: Float32Array[];
}

type Act = (x: number) => number;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const ACTIVATIONS: Record<string, Act> = {
  silu: (x) => x / (1 + Math.exp(-x)),
  gelu_pytorch_tanh: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
};

/** RoPE inverse frequencies (length headDim / 2) as HF computes them (float32), incl. "linear" and "llama3" scaling. */
export function ropeInvFreq(config: HfConfig): Float64Array {
  const dim = headDimOf(config);
  const base = config.rope_theta ?? 10000;
  const inv = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / dim)));
  const scaling = config.rope_scaling;
  const type = scaling ? String(scaling.rope_type ?? scaling.type ?? "default") : "default";
  if (type === "default") return inv;
  const factor = Number(scaling!.factor);
  if (type === "linear") return inv.map((f) => Math.fround(f / factor));
  if (type === "llama3") {
    const low = Number(scaling!.low_freq_factor);
    const high = Number(scaling!.high_freq_factor);
    const oldLen = Number(scaling!.original_max_position_embeddings);
    const lowWavelen = oldLen / low;
    const highWavelen = oldLen / high;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return Math.fround(f / factor);
      const smooth = (oldLen / wavelen - low) / (high - low);
      return Math.fround((1 - smooth) * (f / factor) + smooth * f);
    });
  }
  throw new Error(`rope_scaling type ${type} is not supported by the reference`);
}

/** Whether gemma2 layer `l` uses the sliding window (HF: layer_types, else `not bool(layer_idx % 2)`). */
export function isSlidingLayer(config: HfConfig, l: number): boolean {
  if (config.model_type !== "gemma2" || config.sliding_window == null) return false;
  if (config.layer_types) return config.layer_types[l] === "sliding_attention";
  return l % 2 === 0;
}

function weight(weights: Checkpoint, name: string, shape: number[]): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`missing tensor ${name}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${name}: shape [${t.shape}] != expected [${shape}]`);
  }
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${name}: data length mismatch`);
  return t.data;
}

/** y[t, o] = sum_i x[t, i] * w[o, i] (nn.Linear without bias). */
function linear(x: Float64Array, T: number, inF: number, w: Float32Array, outF: number): Float64Array {
  const y = new Float64Array(T * outF);
  for (let t = 0; t < T; t++) {
    const xo = t * inF;
    for (let o = 0; o < outF; o++) {
      const wo = o * inF;
      let acc = 0;
      for (let i = 0; i < inF; i++) acc += x[xo + i] * w[wo + i];
      y[t * outF + o] = acc;
    }
  }
  return y;
}

/** RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * w (llama) or * (1 + w) (gemma2). */
function rmsNorm(x: Float64Array, T: number, D: number, w: Float32Array, eps: number, onePlus: boolean): Float64Array {
  const y = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x[t * D + d] * x[t * D + d];
    const r = 1 / Math.sqrt(ss / D + eps);
    for (let d = 0; d < D; d++) y[t * D + d] = x[t * D + d] * r * (onePlus ? 1 + w[d] : w[d]);
  }
  return y;
}

/** In-place rotate-half RoPE on [T, nHeads, hd], position of row t = t. */
function applyRope(x: Float64Array, T: number, nHeads: number, hd: number, invFreq: Float64Array): void {
  const half = hd / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nHeads; h++) {
      const o = (t * nHeads + h) * hd;
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(invFreq[i] * t);
        const c = Math.fround(Math.cos(angle));
        const s = Math.fround(Math.sin(angle));
        const x1 = x[o + i];
        const x2 = x[o + i + half];
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

function toF32(x: Float64Array, into: Float32Array, offset: number): void {
  for (let i = 0; i < x.length; i++) into[offset + i] = x[i];
}

/**
 * Runs the model on `ids` ([B][T], right-padded) with `mask` ([B][T], 1 real / 0 pad). Keys with mask 0 are never
 * attended to; a query with no allowed key gets a zero attention output (never NaN).
 */
export function referenceForward(
  config: HfConfig,
  weights: Checkpoint,
  ids: number[][],
  mask: number[][],
  options: ReferenceOptions = {},
): ReferenceOutput {
  const gemma = config.model_type === "gemma2";
  if (!gemma && config.model_type !== "llama") throw new Error(`unsupported model_type ${config.model_type}`);
  if (config.attention_bias || config.mlp_bias) throw new Error("attention_bias / mlp_bias are not supported");
  const B = ids.length;
  if (B === 0) throw new Error("empty batch");
  const T = ids[0].length;
  if (mask.length !== B) throw new Error("mask and ids differ in batch size");
  for (let b = 0; b < B; b++) {
    if (ids[b].length !== T || mask[b].length !== T) throw new Error(`row ${b}: ids/mask length != ${T}`);
  }
  const D = config.hidden_size;
  const I = config.intermediate_size;
  const V = config.vocab_size;
  const L = config.num_hidden_layers;
  const H = config.num_attention_heads;
  const KV = config.num_key_value_heads ?? H;
  if (H % KV !== 0) throw new Error("num_attention_heads must be a multiple of num_key_value_heads");
  const G = H / KV;
  const hd = headDimOf(config);
  const eps = config.rms_norm_eps ?? 1e-6;
  const actName = gemma
    ? (config.hidden_activation ?? config.hidden_act ?? "gelu_pytorch_tanh")
    : (config.hidden_act ?? "silu");
  const act = ACTIVATIONS[actName];
  if (!act) throw new Error(`unsupported activation ${actName}`);
  const scaling = gemma ? (config.query_pre_attn_scalar ?? hd) ** -0.5 : hd ** -0.5;
  const attnCap = gemma ? config.attn_logit_softcapping ?? null : null;
  const finalCap = gemma ? config.final_logit_softcapping ?? null : null;
  const window = config.sliding_window ?? Infinity;
  const invFreq = ropeInvFreq(config);

  const embed = weight(weights, "model.embed_tokens.weight", [V, D]);
  const lmHead = tiesEmbeddings(config) ? embed : weight(weights, "lm_head.weight", [V, D]);
  const finalNormW = weight(weights, "model.norm.weight", [D]);
  const layers = Array.from({ length: L }, (_, l) => {
    const p = `model.layers.${l}.`;
    return {
      inputNorm: weight(weights, p + "input_layernorm.weight", [D]),
      q: weight(weights, p + "self_attn.q_proj.weight", [H * hd, D]),
      k: weight(weights, p + "self_attn.k_proj.weight", [KV * hd, D]),
      v: weight(weights, p + "self_attn.v_proj.weight", [KV * hd, D]),
      o: weight(weights, p + "self_attn.o_proj.weight", [D, H * hd]),
      postAttnNorm: weight(weights, p + "post_attention_layernorm.weight", [D]),
      preFfNorm: gemma ? weight(weights, p + "pre_feedforward_layernorm.weight", [D]) : null,
      postFfNorm: gemma ? weight(weights, p + "post_feedforward_layernorm.weight", [D]) : null,
      gate: weight(weights, p + "mlp.gate_proj.weight", [I, D]),
      up: weight(weights, p + "mlp.up_proj.weight", [I, D]),
      down: weight(weights, p + "mlp.down_proj.weight", [D, I]),
      sliding: isSlidingLayer(config, l),
    };
  });

  const BTD = B * T * D;
  const hiddenStates = Array.from({ length: L + 1 }, () => new Float32Array(BTD));
  const attnOut = Array.from({ length: L }, () => new Float32Array(BTD));
  const mlpOut = Array.from({ length: L }, () => new Float32Array(BTD));
  const finalNorm = new Float32Array(BTD);
  const logits = new Float32Array(B * T * V);
  const capture = options.captureAttention === true;
  const attnShape = B * H * T * T;
  const attnRawScores = capture ? Array.from({ length: L }, () => new Float32Array(attnShape)) : undefined;
  const attnScores = capture ? Array.from({ length: L }, () => new Float32Array(attnShape)) : undefined;
  const attnProbs = capture ? Array.from({ length: L }, () => new Float32Array(attnShape)) : undefined;
  const normalizer = Math.fround(Math.sqrt(D)); // HF: torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)

  for (let b = 0; b < B; b++) {
    const row = ids[b];
    const rowMask = mask[b];
    // Embedding lookup (gemma2: times sqrt(hidden), one float32 multiply as in HF).
    const x = new Float64Array(T * D);
    for (let t = 0; t < T; t++) {
      const id = row[t];
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} out of range [0, ${V})`);
      for (let d = 0; d < D; d++) {
        x[t * D + d] = gemma ? Math.fround(embed[id * D + d] * normalizer) : embed[id * D + d];
      }
    }
    toF32(x, hiddenStates[0], b * T * D);

    for (let l = 0; l < L; l++) {
      const w = layers[l];
      // --- self attention ---
      const h = rmsNorm(x, T, D, w.inputNorm, eps, gemma);
      const q = linear(h, T, D, w.q, H * hd); // [T, H, hd]
      const k = linear(h, T, D, w.k, KV * hd); // [T, KV, hd]
      const v = linear(h, T, D, w.v, KV * hd); // [T, KV, hd]
      applyRope(q, T, H, hd, invFreq);
      applyRope(k, T, KV, hd, invFreq);
      const ctx = new Float64Array(T * H * hd); // [T, H, hd]
      const scores = new Float64Array(T);
      const allowed = new Uint8Array(T);
      for (let head = 0; head < H; head++) {
        const kvHead = Math.floor(head / G); // repeat_kv: kv head j serves query heads j*G .. j*G+G-1
        for (let i = 0; i < T; i++) {
          const qo = (i * H + head) * hd;
          let max = -Infinity;
          for (let j = 0; j < T; j++) {
            const ko = (j * KV + kvHead) * hd;
            let dot = 0;
            for (let e = 0; e < hd; e++) dot += q[qo + e] * k[ko + e];
            const raw = dot * scaling;
            const s = attnCap === null ? raw : Math.tanh(raw / attnCap) * attnCap; // softcap before masking
            scores[j] = s;
            allowed[j] = j <= i && rowMask[j] !== 0 && (!w.sliding || i - j < window) ? 1 : 0;
            if (allowed[j] && s > max) max = s;
            if (capture) {
              const a = ((b * H + head) * T + i) * T + j;
              attnRawScores![l][a] = raw;
              attnScores![l][a] = s;
            }
          }
          if (max === -Infinity) continue; // no allowed key: zero output
          let sum = 0;
          for (let j = 0; j < T; j++) {
            scores[j] = allowed[j] ? Math.exp(scores[j] - max) : 0;
            sum += scores[j];
          }
          for (let j = 0; j < T; j++) {
            const p = scores[j] / sum;
            if (p === 0) continue;
            if (capture) attnProbs![l][((b * H + head) * T + i) * T + j] = p;
            const vo = (j * KV + kvHead) * hd;
            for (let e = 0; e < hd; e++) ctx[qo + e] += p * v[vo + e];
          }
        }
      }
      let a = linear(ctx, T, H * hd, w.o, D);
      if (gemma) a = rmsNorm(a, T, D, w.postAttnNorm, eps, true);
      toF32(a, attnOut[l], b * T * D);
      for (let n = 0; n < T * D; n++) x[n] += a[n];

      // --- MLP ---
      const h2 = gemma ? rmsNorm(x, T, D, w.preFfNorm!, eps, true) : rmsNorm(x, T, D, w.postAttnNorm, eps, false);
      const gate = linear(h2, T, D, w.gate, I);
      const up = linear(h2, T, D, w.up, I);
      for (let n = 0; n < T * I; n++) gate[n] = act(gate[n]) * up[n];
      let m = linear(gate, T, I, w.down, D);
      if (gemma) m = rmsNorm(m, T, D, w.postFfNorm!, eps, true);
      toF32(m, mlpOut[l], b * T * D);
      for (let n = 0; n < T * D; n++) x[n] += m[n];
      toF32(x, hiddenStates[l + 1], b * T * D);
    }

    const normed = rmsNorm(x, T, D, finalNormW, eps, gemma);
    toF32(normed, finalNorm, b * T * D);
    const z = linear(normed, T, D, lmHead, V);
    if (finalCap !== null) { for (let n = 0; n < z.length; n++) z[n] = Math.tanh(z[n] / finalCap) * finalCap; }
    toF32(z, logits, b * T * V);
  }

  return {
    batch: B,
    seq: T,
    hidden: D,
    vocab: V,
    hiddenStates,
    residPre: hiddenStates.slice(0, L),
    residPost: hiddenStates.slice(1),
    attnOut,
    mlpOut,
    finalNorm,
    logits,
    ...(capture ? { attnRawScores, attnScores, attnProbs } : {}),
  };
}
