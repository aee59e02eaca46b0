/**
 * The attention block of the decoder graphs: RoPE and grouped-query attention, built either from ONNX Runtime's fused
 * contrib kernels or from standard ai.onnx ops.
 * @module
 */
import { type Attr, type GraphBuilder, OnnxType } from "../onnx/onnx_builder.ts";
import type { DecoderConfig } from "./decoder_config.ts";
import { ropeInverseFrequencies } from "./rope.ts";
import { ConfigError } from "@saeflow/core";
import type { ExecutionProvider } from "../execution.ts";

/**
 * How attention is computed.
 * - `fused`: ONNX Runtime's contrib kernels `com.microsoft.RotaryEmbedding` and `com.microsoft.GroupQueryAttention`
 *   (causal, GQA, soft-capping and sliding window in one kernel that never materializes the
 *   `[batch, heads, sequence, sequence]` scores nor a mask). Their CPU kernels are float32 only. The mask reaches
 *   them as row lengths only, which is right for the right-padded inputs the graph takes.
 * - `standard`: ai.onnx ops only (MatMul, additive mask, Softmax), for execution providers without those kernels.
 *
 * Measured on CPU (ONNX Runtime 1.30, 2 cores), stories260K at 32 x 128 tokens: a batch runs ~20% faster with fused
 * attention than with standard (there the scores tensor is 16 MB per layer, and the mask Add, Softmax and transposes
 * over it are memory-bound passes that the fused kernel skips); a Gemma-2-wide model is bound by its projections either
 * way (within 2%).
 */
export type AttentionKernel = "fused" | "standard";

/** Added to masked attention logits: finite, so a fully masked (padding) row softmaxes to uniform, not NaN. */
const MASKED_LOGIT = -1e30;

/**
 * The kernel to build: the requested one, else `fused` on cpu (where it was measured faster) and `standard` on other
 * providers (CUDA's GroupQueryAttention takes float16 only, and a node a provider cannot run falls back to the CPU).
 * GroupQueryAttention's CPU kernel wants head_dim % 8 == 0, so the default is `standard` elsewhere, and an explicit
 * `fused` is refused.
 */
export function chooseAttentionKernel(
  config: DecoderConfig,
  requested: AttentionKernel | undefined,
  executionProvider: ExecutionProvider,
): AttentionKernel {
  const fusable = config.headDim % 8 === 0;
  if (requested === undefined) return fusable && executionProvider === "cpu" ? "fused" : "standard";
  if (requested === "fused" && !fusable) {
    throw new ConfigError(`fused attention needs head_dim % 8 == 0 (got ${config.headDim}); use attention "standard"`);
  }
  return requested;
}

/** What every layer's attention shares, computed once per graph from the inputs. */
export interface AttentionShared {
  kernel: AttentionKernel;
  /** standard: RoPE tables `[sequence, head_dim]` (cos, and sin with its first half negated: see `ropeStandard`). */
  cos: string;
  signedSin: string;
  /** standard: per layer, the additive mask `[batch, 1, groups * sequence, sequence]`. */
  masks: string[];
  /** fused: RoPE caches `[sequence, head_dim / 2]`, as RotaryEmbedding takes them. */
  cosCache: string;
  sinCache: string;
  /** fused: per row, the index of its last real token (int32 `[batch]`), and the padded length (int32 scalar). */
  seqlensK: string;
  totalLength: string;
}

/**
 * Builds the per-graph attention inputs from `input_ids` and the right-padded `attention_mask`.
 *
 * @example
 * ```ts
 * const shared = attentionShared(g, config, "fused", ids, attentionMask);
 * const context = attention(g, config, shared, 0, q, k, v);
 * ```
 */
export function attentionShared(
  g: GraphBuilder,
  config: DecoderConfig,
  kernel: AttentionKernel,
  ids: string,
  attentionMask: string,
): AttentionShared {
  const seqLen = g.node("Gather", [g.node("Shape", [ids]), g.intScalar(1)]);
  const positions = g.node("Range", [g.intScalar(0), seqLen, g.intScalar(1)]);
  // RoPE angles `[sequence, head_dim / 2]`, in float32 as Hugging Face computes them.
  const inverse = ropeInverseFrequencies(config);
  const angles = g.node("Mul", [
    g.node("Unsqueeze", [g.node("Cast", [positions], { to: { i: OnnxType.float } }), g.ints([1])]),
    g.initializer("/model/rope/inv_freq", inverse, [inverse.length]),
  ]);
  const cos = g.node("Cos", [angles]);
  const sin = g.node("Sin", [angles]);
  const unused = { cos: "", signedSin: "", masks: [], cosCache: "", sinCache: "", seqlensK: "", totalLength: "" };
  if (kernel === "standard") {
    const halves = (first: string, second: string) => g.node("Concat", [first, second], { axis: { i: -1 } });
    return {
      ...unused,
      kernel,
      cos: halves(cos, cos),
      signedSin: halves(g.node("Neg", [sin]), sin),
      masks: attentionMasks(g, config, positions, attentionMask),
    };
  }
  // Rows are right-padded, so a row's real tokens are 0..length-1 and causality alone keeps every real query off the
  // padding keys. seqlens_k is length - 1, as the kernel wants it, but at least 0: the kernel rejects -1, and an
  // all-padding row then yields finite values to ignore, as with the standard kernel.
  const lengths = g.node("ReduceSum", [attentionMask, g.ints([1])], { keepdims: { i: 0 } });
  const lastIndex = g.node("Max", [g.node("Sub", [lengths, g.intScalar(1)]), g.intScalar(0)]);
  return {
    ...unused,
    kernel,
    cosCache: cos,
    sinCache: sin,
    seqlensK: g.node("Cast", [lastIndex], { to: { i: OnnxType.int32 } }),
    totalLength: g.node("Cast", [seqLen], { to: { i: OnnxType.int32 } }),
  };
}

/**
 * Grouped-query attention of one layer with RoPE, optional logit soft-capping and the layer's window. `q`, `k`, `v`
 * are the projections `[batch, sequence, heads * head_dim]`; returns the heads' context in the same layout (before
 * o_proj).
 */
export function attention(
  g: GraphBuilder,
  config: DecoderConfig,
  shared: AttentionShared,
  layer: number,
  q: string,
  k: string,
  v: string,
): string {
  return shared.kernel === "fused"
    ? fusedAttention(g, config, shared, layer, q, k, v)
    : standardAttention(g, config, shared, layer, q, k, v);
}

/**
 * RotaryEmbedding on q and k, then GroupQueryAttention. RotaryEmbedding is used rather than GroupQueryAttention's own
 * `do_rotary`, which needs head_dim % 16 == 0 (stories260K has 8); both measured the same on a Gemma-2-wide model.
 */
function fusedAttention(
  g: GraphBuilder,
  config: DecoderConfig,
  shared: AttentionShared,
  layer: number,
  q: string,
  k: string,
  v: string,
): string {
  // position_ids as one element: an offset, so positions are 0..sequence-1 in every row. interleaved=0: rotate-half.
  const rope = (x: string) =>
    g.node("RotaryEmbedding", [x, g.ints([0]), shared.cosCache, shared.sinCache], {}, { domain: "com.microsoft" });
  const attrs: Record<string, Attr> = {
    num_heads: { i: config.numHeads },
    kv_num_heads: { i: config.numKvHeads },
    scale: { f: config.attentionScale },
  };
  if (config.attnLogitSoftcap !== undefined) attrs.softcap = { f: config.attnLogitSoftcap }; // after the scale
  const window = config.slidingWindow[layer];
  // ONNX Runtime 1.30's CPU kernel lets query i see keys j with i - j < local_window_size, which is Gemma 2's window
  // exactly (older releases let it see one key more; the reference tests pin this down).
  if (window !== undefined) attrs.local_window_size = { i: window };
  const inputs = [rope(q), rope(k), v, "", "", shared.seqlensK, shared.totalLength];
  // Outputs 1 and 2 (present key/value: the KV cache) are required by the schema and unused here.
  return g.nodeOutputs("GroupQueryAttention", inputs, attrs, { domain: "com.microsoft", outputs: 3 })[0];
}

/**
 * The same in standard ops. RoPE runs after the heads are transposed to `[B, n, T, hd]`, where the `[T, hd]` tables
 * broadcast in long contiguous runs (in the projections' `[B, T, n, hd]` layout they broadcast in runs of hd: measured
 * several times slower). The G = H / KV query heads sharing a kv head are stacked as rows of one `[B, KV, G * T, hd]`
 * matrix (query head j*G+g reads kv head j, as Hugging Face's repeat_kv does), so both products are batched MatMuls
 * without broadcasting.
 */
function standardAttention(
  g: GraphBuilder,
  config: DecoderConfig,
  shared: AttentionShared,
  layer: number,
  q: string,
  k: string,
  v: string,
): string {
  const { numHeads: H, numKvHeads: KV, headDim: hd } = config;
  const heads = (x: string, n: number) =>
    g.node("Transpose", [g.node("Reshape", [x, g.ints([0, 0, n, hd])])], { perm: { ints: [0, 2, 1, 3] } });
  const groupedQ = g.node("Reshape", [ropeStandard(g, shared, hd, heads(q, H)), g.ints([0, KV, -1, hd])]);
  const keysT = g.node("Transpose", [ropeStandard(g, shared, hd, heads(k, KV))], { perm: { ints: [0, 1, 3, 2] } });
  let scores = g.node("Mul", [g.node("MatMul", [groupedQ, keysT]), g.scalar(config.attentionScale)]);
  if (config.attnLogitSoftcap !== undefined) scores = softcap(g, scores, config.attnLogitSoftcap);
  const probs = g.node("Softmax", [g.node("Add", [scores, shared.masks[layer]])], { axis: { i: -1 } });
  const context = g.node("Reshape", [g.node("MatMul", [probs, heads(v, KV)]), g.ints([0, H, -1, hd])]); // [B,H,T,hd]
  return g.node("Reshape", [
    g.node("Transpose", [context], { perm: { ints: [0, 2, 1, 3] } }),
    g.ints([0, 0, H * hd]),
  ]);
}

/** Rotate-half RoPE of `x` `[B, n, T, hd]`: `x * cos + concat(-x2, x1) * sin`, as `x * cos + concat(x2, x1) * signedSin`. */
function ropeStandard(g: GraphBuilder, shared: AttentionShared, hd: number, x: string): string {
  const [first, second] = g.nodeOutputs("Split", [x, g.ints([hd / 2, hd / 2])], { axis: { i: -1 } }, { outputs: 2 });
  const swapped = g.node("Concat", [second, first], { axis: { i: -1 } });
  return g.node("Add", [g.node("Mul", [x, shared.cos]), g.node("Mul", [swapped, shared.signedSin])]);
}

/** `tanh(x / cap) * cap`. */
export function softcap(g: GraphBuilder, x: string, cap: number): string {
  return g.node("Mul", [g.node("Tanh", [g.node("Div", [x, g.scalar(cap)])]), g.scalar(cap)]);
}

/**
 * Per layer: an additive `[batch, 1, groups * sequence, sequence]` mask, 0 where a query may attend a key (causal,
 * padding, window) and {@link MASKED_LOGIT} elsewhere, repeated for the G query heads stacked in the scores' rows.
 * Built once per window size; adding it costs far less than a broadcasting Where on every layer's scores (measured:
 * Where took 19% of stories260K's forward time).
 */
function attentionMasks(g: GraphBuilder, config: DecoderConfig, positions: string, attentionMask: string): string[] {
  const rows = g.node("Unsqueeze", [positions, g.ints([1])]);
  const cols = g.node("Unsqueeze", [positions, g.ints([0])]);
  const keys = g.node("Unsqueeze", [g.node("Cast", [attentionMask], { to: { i: OnnxType.bool } }), g.ints([1, 2])]);
  const allowed = g.node("And", [g.node("LessOrEqual", [cols, rows]), keys]); // [B, 1, T, T]
  const groups = g.ints([1, 1, config.numHeads / config.numKvHeads, 1]);
  const additive = (mask: string) =>
    g.node("Tile", [g.node("Where", [mask, g.scalar(0), g.scalar(MASKED_LOGIT)]), groups]);
  const full = additive(allowed);
  const byWindow = new Map<number, string>();
  return config.slidingWindow.map((window) => {
    if (window === undefined) return full;
    if (!byWindow.has(window)) {
      const inWindow = g.node("Less", [g.node("Sub", [rows, cols]), g.intScalar(window)]);
      byWindow.set(window, additive(g.node("And", [allowed, inWindow])));
    }
    return byWindow.get(window)!;
  });
}
