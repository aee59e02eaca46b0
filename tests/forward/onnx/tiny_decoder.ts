/**
 * Test fixture: a tiny Llama-shaped decoder (RMSNorm, multi-head softmax attention, SwiGLU MLP) built with
 * GraphBuilder in the two shapes exporters produce: Optimum's plain graph (decomposed RMSNorm, residual `Add` nodes
 * named `/model/layers.{i}/Add` and `Add_1`), and ORT's fused graph (`SkipSimplifiedLayerNormalization` nodes named
 * `/model/layers.{i}/post_attention_layernorm/SkipLayerNorm`, ...). Same weights for the same seed, so the two compute
 * the same function and their residual tensors can be compared.
 */
import { GraphBuilder, OnnxType } from "../../../modules/forward/onnx/onnx_builder.ts";
import { rewriteModel } from "./model_rewrite.ts";

export interface TinyDecoderOptions {
  layers?: number;
  /** Fused `SkipSimplifiedLayerNormalization` norms (ORT transformer optimizer / genai builder style). */
  fused?: boolean;
  /** Fused only: whether the final norm emits the residual sum (output 3); exporters leave it out. */
  finalSum?: boolean;
  /** Node names: Optimum's (default), or meaningless ones (`n0`, `n1`, ...). */
  names?: "optimum" | "opaque";
}

/** Ground truth for one block: the tensor names the builder knows (`residPost` absent where the graph has none). */
export interface TrueBlock {
  residPre: string;
  residMid: string;
  residPost?: string;
  attnOut: string;
  mlpOut: string;
}

export const D = 8, HEADS = 2, FF = 16, VOCAB = 11;

/** Deterministic weights (a 32-bit LCG), the same for every graph built with the same seed. */
function weights(seed: number, n: number, scale = 0.5): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/** The model bytes and, per layer, which tensors are the residual stream. */
export function tinyDecoder(options: TinyDecoderOptions = {}): { model: Uint8Array; blocks: TrueBlock[] } {
  const { layers = 3, fused = false, finalSum = false, names = "optimum" } = options;
  const g = new GraphBuilder("tiny_decoder");
  const renames = new Map<string, string>();
  const nodeOf = (output: string) => output.replace(/_output_\d+$/, "");
  const ids = g.input("input_ids", OnnxType.int64, ["batch_size", "sequence_length"]);
  const eps = 1e-5;

  const decomposedNorm = (x: string, weight: string) => {
    const sq = g.node("Pow", [x, g.scalar(2)]);
    const mean = g.node("ReduceMean", [sq], { axes: { ints: [-1] } });
    const inv = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [mean, g.scalar(eps)])])]);
    return g.node("Mul", [weight, g.node("Mul", [x, inv])]);
  };
  const skipNorm = (input: string, skip: string, weight: string, withSum: boolean, name: string) => {
    const outs = g.nodeOutputs("SkipSimplifiedLayerNormalization", [input, skip, weight], { epsilon: { f: eps } }, {
      domain: "com.microsoft",
      outputs: withSum ? 4 : 1,
    });
    renames.set(nodeOf(outs[0]), name);
    return { normed: outs[0], sum: outs[3] as string | undefined };
  };

  const seedOf = (layer: number, k: number) => 1000 * (layer + 1) + k;
  const weight = (name: string, seed: number, dims: number[], scale?: number) =>
    g.initializer(name, weights(seed, dims.reduce((a, b) => a * b, 1), scale), dims);
  const normWeight = (name: string, seed: number) => g.initializer(name, weights(seed, D, 0.2).map((w) => 1 + w), [D]);

  const embed = weight("model.embed_tokens.weight", 7, [VOCAB, D], 1);
  let x = g.scope("model", () => g.scope("embed_tokens", () => g.node("Gather", [embed, ids])));
  const blocks: TrueBlock[] = [];
  // Fused graphs: the norm that opens a layer also closes the previous one (its skip input is the stream).
  let normed: string | undefined;
  let pendingMlp: string | undefined;
  for (let layer = 0; layer < layers; layer++) {
    g.scope("model", () =>
      g.scope(`layers.${layer}`, () => {
        const residPre = x;
        const inW = () => normWeight(`model.layers.${layer}.input_layernorm.weight`, seedOf(layer, 1));
        let h: string;
        if (!fused) h = g.scope("input_layernorm", () => decomposedNorm(x, inW()));
        else if (layer === 0) {
          h = g.node("SimplifiedLayerNormalization", [x, inW()], { epsilon: { f: eps }, axis: { i: -1 } });
        } else h = normed!;

        const attnOut = g.scope("self_attn", () => {
          const proj = (p: string, k: number) =>
            g.node("MatMul", [h, weight(`model.layers.${layer}.self_attn.${p}.weight`, seedOf(layer, k), [D, D])]);
          const heads = (t: string, perm: number[]) =>
            g.node("Transpose", [g.node("Reshape", [t, g.ints([0, 0, HEADS, D / HEADS])])], { perm: { ints: perm } });
          const q = heads(proj("q_proj", 2), [0, 2, 1, 3]);
          const k = heads(proj("k_proj", 3), [0, 2, 3, 1]);
          const v = heads(proj("v_proj", 4), [0, 2, 1, 3]);
          const scores = g.node("Mul", [g.node("MatMul", [q, k]), g.scalar(1 / Math.sqrt(D / HEADS))]);
          const probs = g.node("Softmax", [scores], { axis: { i: -1 } });
          const ctx = g.node("Transpose", [g.node("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } });
          const merged = g.node("Reshape", [ctx, g.ints([0, 0, D])]);
          const wo = weight(`model.layers.${layer}.self_attn.o_proj.weight`, seedOf(layer, 5), [D, D]);
          return g.scope("o_proj", () => g.node("MatMul", [merged, wo]));
        });

        const postW = normWeight(`model.layers.${layer}.post_attention_layernorm.weight`, seedOf(layer, 6));
        let residMid: string, h2: string;
        if (!fused) {
          residMid = g.node("Add", [x, attnOut]);
          renames.set(nodeOf(residMid), `/model/layers.${layer}/Add`);
          h2 = g.scope("post_attention_layernorm", () => decomposedNorm(residMid, postW));
        } else {
          const name = `/model/layers.${layer}/post_attention_layernorm/SkipLayerNorm`;
          const s = g.scope("post_attention_layernorm", () => skipNorm(attnOut, x, postW, true, name));
          residMid = s.sum!;
          h2 = s.normed;
        }

        const mlpOut = g.scope("mlp", () => {
          const w = (p: string, k: number, dims: number[]) =>
            weight(`model.layers.${layer}.mlp.${p}.weight`, seedOf(layer, k), dims);
          const gate = g.node("MatMul", [h2, w("gate_proj", 7, [D, FF])]);
          const up = g.node("MatMul", [h2, w("up_proj", 8, [D, FF])]);
          const act = g.node("Mul", [gate, g.node("Sigmoid", [gate])]);
          return g.node("MatMul", [g.node("Mul", [act, up]), w("down_proj", 9, [FF, D])]);
        });

        if (!fused) {
          x = g.node("Add", [residMid, mlpOut]);
          renames.set(nodeOf(x), `/model/layers.${layer}/Add_1`);
          blocks.push({ residPre, residMid, residPost: x, attnOut, mlpOut });
        } else if (layer + 1 < layers) {
          const nextW = normWeight(`model.layers.${layer + 1}.input_layernorm.weight`, seedOf(layer + 1, 1));
          const name = `/model/layers.${layer + 1}/input_layernorm/SkipLayerNorm`;
          const s = skipNorm(mlpOut, residMid, nextW, true, name);
          normed = s.normed;
          x = s.sum!;
          blocks.push({ residPre, residMid, residPost: x, attnOut, mlpOut });
        } else {
          pendingMlp = mlpOut;
          x = residMid; // the final norm adds the MLP
          blocks.push({ residPre, residMid, attnOut, mlpOut });
        }
      }));
  }
  const finalW = normWeight("model.norm.weight", 99);
  let last: string;
  if (!fused) last = g.scope("model", () => g.scope("norm", () => decomposedNorm(x, finalW)));
  else {
    const s = g.scope(
      "model",
      () => g.scope("norm", () => skipNorm(pendingMlp!, x, finalW, finalSum, "/model/norm/SkipLayerNorm")),
    );
    last = s.normed;
    if (s.sum) blocks[layers - 1].residPost = s.sum;
  }
  const lmHead = weight("lm_head.weight", 5, [D, VOCAB]);
  g.output(g.node("MatMul", [last, lmHead]), OnnxType.float, ["batch_size", "sequence_length", VOCAB], "logits");

  const bytes = g.toModelBytes({ opset: 17 });
  let counter = 0;
  const model = rewriteModel(bytes, {
    nodeName: (name) => names === "opaque" ? `n${counter++}` : renames.get(name) ?? name,
  }).model;
  return { model, blocks };
}

/** A deterministic `input_ids` feed of shape [batch, seq]. */
export function tokenIds(batch: number, seq: number): BigInt64Array {
  return BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7 + 3) % VOCAB));
}
