/**
 * Builds the ONNX graph of a Llama or Gemma 2 decoder from its weights, with every requested hook as a named graph
 * output, so one ONNX Runtime call yields all layers' activations. ai.onnx ops (opset 17), plus by default ONNX
 * Runtime's fused attention kernels; with `attention: "standard"` ai.onnx ops only, which any execution provider runs
 * (see attention_graph.ts). Node names follow the Optimum exports (`/model/layers.3/...`).
 * @module
 */
import { type Dim, GraphBuilder, OnnxType } from "../onnx/onnx_builder.ts";
import type { Hook } from "../hooks.ts";
import type { DecoderConfig } from "./decoder_config.ts";
import { checkWeightShape, readWeight, type WeightSource } from "./weight_source.ts";
import { ConfigError } from "@saeflow/core";
import { type SerializedGraph, serializeGraph, storedInitializer } from "../onnx/external_data.ts";
import { attention, type AttentionKernel, attentionShared, chooseAttentionKernel, softcap } from "./attention_graph.ts";
import { float32ToFloat16Array } from "@saeflow/io";
import type { Dtype, ExecutionProvider } from "../execution.ts";

/** Options for {@link buildDecoderGraph}. */
export interface DecoderGraphOptions {
  /** Activations to expose as graph outputs, named by hook. */
  hooks: readonly Hook[];
  /** Also compute next-token logits (output `logits`, `[batch, sequence, vocab]`). Default false: the graph stops
   * after the last hooked layer, since feature extraction needs no logits. */
  logits?: boolean;
  /** Stored in the model's metadata (`metadata_props`). */
  metadata?: Record<string, string>;
  /** Make each hook a graph output (default true). False when only `extend` reads them: nothing crosses into JS. */
  exposeHooks?: boolean;
  /**
   * Adds nodes after the layers, reading the hook values (`[batch, sequence, hidden]`, by hook name) — an SAE encoder
   * fused into the same graph, say; returns the outputs it added.
   */
  extend?: (g: GraphBuilder, hooks: ReadonlyMap<string, string>, dModel: number) => string[];
  /**
   * Replaces hook values inside the graph, by hook name (each must be one of `hooks`): given the hook's value
   * `[batch, sequence, hidden]`, returns the value that flows on in its place — an SAE's reconstruction spliced into
   * the residual stream, say, to measure the next-token loss the model keeps with it. Hooks and `extend` see the
   * replaced value.
   */
  splice?: ReadonlyMap<string, (g: GraphBuilder, value: string, dModel: number) => string>;
  /**
   * Precision of the weights and their matrix products (default fp32). With fp16, weights are stored as float16 and
   * each projection runs in float16, while the residual stream, norms, softmax and outputs stay float32: the residual
   * stream of Gemma 2 overflows float16, which is why Hugging Face warns against fp16 for it.
   */
  dtype?: Dtype;
  /** The execution provider the graph is built for (default cpu): it picks the default attention kernel. */
  executionProvider?: ExecutionProvider;
  /**
   * How attention is computed (see {@link AttentionKernel}). Default: `fused` (ONNX Runtime's RotaryEmbedding and
   * GroupQueryAttention kernels) on cpu where head_dim % 8 == 0, else `standard` (ai.onnx ops only).
   */
  attention?: AttentionKernel;
}

/** A built graph: the serialized model (with where its external data is) and its output names in order. */
export interface DecoderGraph extends SerializedGraph {
  outputs: string[];
  /** Layers actually built (0..layersBuilt-1). */
  layersBuilt: number;
}

/** `[batch, sequence, hidden]` dims of hook outputs. */
const ACTIVATION_DIMS = (d: number): Dim[] => ["batch", "sequence", d];

/**
 * Builds the graph. Inputs: `input_ids` and `attention_mask`, int64 `[batch, sequence]`, right-padded (positions
 * are 0..sequence-1 in every row). Outputs: each hook's `[batch, sequence, hidden]` float32 tensor, then `logits`.
 *
 * @example
 * ```ts
 * const graph = await buildDecoderGraph(config, weights, { hooks: parseHooks(["blocks.2.hook_resid_post"], config.numLayers) });
 * const session = await ort.InferenceSession.create(graph.bytes);
 * ```
 */
export async function buildDecoderGraph(
  config: DecoderConfig,
  weights: WeightSource,
  options: DecoderGraphOptions,
): Promise<DecoderGraph> {
  const { hooks, logits = false, dtype = "fp32" } = options;
  if (hooks.length === 0 && !logits) throw new ConfigError("decoder graph: nothing requested (no hooks, no logits)");
  const kernel = chooseAttentionKernel(config, options.attention, options.executionProvider ?? "cpu");
  const D = config.hiddenSize;
  const layersBuilt = logits ? config.numLayers : Math.max(...hooks.map((h) => h.layer)) + 1;
  const g = new GraphBuilder(`${config.architecture}-decoder`);
  const half = dtype === "fp16";
  /**
   * A matrix weight in the graph's dtype (norm weights stay float32). Weights stored on disk in a usable dtype are
   * referenced in place as external data (cast in the graph, which ONNX Runtime folds once at start-up); others are
   * read and embedded.
   */
  const weight = async (name: string, shape: number[]) => {
    const stored = weights.external?.(name);
    if (stored) {
      checkWeightShape(weights, name, shape);
      return storedInitializer(g, name, stored, shape, half ? OnnxType.float16 : OnnxType.float);
    }
    const data = await readWeight(weights, name, shape);
    return half
      ? g.initializer(name, float32ToFloat16Array(data), shape, OnnxType.float16)
      : g.initializer(name, data, shape);
  };
  /** `x @ wᵀ` for a weight `w` stored [out, in]; float32 in and out whatever the dtype. */
  const matmulTransposed = (x: string, w: string) => {
    // ONNX Runtime folds Transpose(initializer) once at session start, so weights keep the Hugging Face layout.
    const product = g.node("MatMul", [
      half ? g.node("Cast", [x], { to: { i: OnnxType.float16 } }) : x,
      g.node("Transpose", [w]),
    ]);
    return half ? g.node("Cast", [product], { to: { i: OnnxType.float } }) : product;
  };
  /** A norm's scale vector, embedded as float32 (Gemma's `1 + w` folded in). */
  const normWeight = async (name: string) => {
    const w = await readWeight(weights, name, [D]);
    return g.initializer(name, config.normOffset === 0 ? w : w.map((v) => 1 + v), [D]);
  };
  /**
   * RMSNorm in the exact pattern ONNX Runtime fuses into one SimplifiedLayerNormalization kernel (`Pow(x, 2)`, not
   * `x * x`): six memory passes become one, measured ~5% of stories260K's forward time.
   */
  const norm = (x: string, scale: string) => {
    const meanSquare = g.node("ReduceMean", [g.node("Pow", [x, g.scalar(2)])], {
      axes: { ints: [-1] },
      keepdims: { i: 1 },
    });
    const rms = g.node("Sqrt", [g.node("Add", [meanSquare, g.scalar(config.rmsNormEps)])]);
    return g.node("Mul", [g.node("Div", [x, rms]), scale]);
  };
  /** One layer's weights as graph values; read before its nodes are built, so node scopes stay synchronous. */
  const layerWeights = async (layer: number) => {
    const p = `model.layers.${layer}`;
    const { numHeads: H, numKvHeads: KV, headDim: hd, intermediateSize: F } = config;
    return {
      inputNorm: await normWeight(`${p}.input_layernorm.weight`),
      q: await weight(`${p}.self_attn.q_proj.weight`, [H * hd, D]),
      k: await weight(`${p}.self_attn.k_proj.weight`, [KV * hd, D]),
      v: await weight(`${p}.self_attn.v_proj.weight`, [KV * hd, D]),
      o: await weight(`${p}.self_attn.o_proj.weight`, [D, H * hd]),
      postAttnNorm: config.postNorms ? await normWeight(`${p}.post_attention_layernorm.weight`) : undefined,
      preMlpNorm: await normWeight(
        `${p}.${config.postNorms ? "pre_feedforward_layernorm" : "post_attention_layernorm"}.weight`,
      ),
      gate: await weight(`${p}.mlp.gate_proj.weight`, [F, D]),
      up: await weight(`${p}.mlp.up_proj.weight`, [F, D]),
      down: await weight(`${p}.mlp.down_proj.weight`, [D, F]),
      postMlpNorm: config.postNorms ? await normWeight(`${p}.post_feedforward_layernorm.weight`) : undefined,
    };
  };

  const ids = g.input("input_ids", OnnxType.int64, ["batch", "sequence"]);
  const attentionMask = g.input("attention_mask", OnnxType.int64, ["batch", "sequence"]);
  const outputs: string[] = [];
  const hookOutputs = new Map(hooks.map((h) => [`${h.layer}.${h.point}`, h.name]));
  const hookValues = new Map<string, string>();
  for (const name of options.splice?.keys() ?? []) {
    if (!hooks.some((h) => h.name === name)) {
      throw new ConfigError(`decoder graph: spliced hook "${name}" is not hooked`);
    }
  }
  /** Makes a hooked value an output (and replaces it first when it is spliced); returns the value that flows on. */
  const expose = (layer: number, point: string, value: string): string => {
    const name = hookOutputs.get(`${layer}.${point}`);
    if (name === undefined) return value;
    const replace = options.splice?.get(name);
    const flowing = replace ? replace(g, value, D) : value;
    hookValues.set(name, flowing);
    if (options.exposeHooks !== false) outputs.push(g.output(flowing, OnnxType.float, ACTIVATION_DIMS(D), name));
    return flowing;
  };

  const shared = g.scope("model", () => attentionShared(g, config, kernel, ids, attentionMask));
  const embeddings = await weight("model.embed_tokens.weight", [config.vocabSize, D]);
  let x = g.scope("model/embed_tokens", () => {
    let embedded = g.node("Gather", [embeddings, ids]);
    if (half) embedded = g.node("Cast", [embedded], { to: { i: OnnxType.float } });
    return config.embeddingScale === 1 ? embedded : g.node("Mul", [embedded, g.scalar(config.embeddingScale)]);
  });

  for (let layer = 0; layer < layersBuilt; layer++) {
    const w = await layerWeights(layer);
    // One scope per layer, no deeper: value names carry their scope and take most of a small model's bytes.
    x = g.scope(`model/layers.${layer}`, () => {
      const input = expose(layer, "resid_pre", x);
      const h = norm(input, w.inputNorm);
      const [q, k, v] = [w.q, w.k, w.v].map((proj) => matmulTransposed(h, proj));
      let attn = matmulTransposed(attention(g, config, shared, layer, q, k, v), w.o);
      if (w.postAttnNorm) attn = norm(attn, w.postAttnNorm);
      attn = expose(layer, "attn_out", attn);
      const mid = expose(layer, "resid_mid", g.node("Add", [input, attn]));
      const h2 = norm(mid, w.preMlpNorm);
      const gated = g.node("Mul", [activation(g, config, matmulTransposed(h2, w.gate)), matmulTransposed(h2, w.up)]);
      let mlp = matmulTransposed(gated, w.down);
      if (w.postMlpNorm) mlp = norm(mlp, w.postMlpNorm);
      mlp = expose(layer, "mlp_out", mlp);
      return expose(layer, "resid_post", g.node("Add", [mid, mlp]));
    });
  }

  if (logits) {
    const finalNorm = await normWeight("model.norm.weight");
    const head = config.tieEmbeddings ? embeddings : await weight("lm_head.weight", [config.vocabSize, D]);
    g.scope("model/norm", () => {
      let out = matmulTransposed(norm(x, finalNorm), head);
      if (config.finalLogitSoftcap !== undefined) out = softcap(g, out, config.finalLogitSoftcap);
      outputs.push(g.output(out, OnnxType.float, ["batch", "sequence", config.vocabSize], "logits"));
    });
  }
  if (options.extend) outputs.push(...options.extend(g, hookValues, D));
  return { ...await serializeGraph(g, { metadata: options.metadata }), outputs, layersBuilt };
}

/**
 * The MLP's gate activation: SiLU (Llama) or tanh-approximated GELU (Gemma 2's gelu_pytorch_tanh). Both are written
 * in patterns ONNX Runtime fuses into one kernel (QuickGelu, and FastGelu, which wants `Pow(x, 3)`).
 */
function activation(g: GraphBuilder, config: DecoderConfig, x: string): string {
  if (config.activation === "silu") return g.node("Mul", [x, g.node("Sigmoid", [x])]);
  const cube = g.node("Pow", [x, g.scalar(3)]);
  const inner = g.node("Mul", [
    g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715)])]),
    g.scalar(Math.sqrt(2 / Math.PI)),
  ]);
  return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5)]), g.node("Add", [g.node("Tanh", [inner]), g.scalar(1)])]);
}
