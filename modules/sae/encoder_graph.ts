/**
 * The SAE encoder as an ONNX graph: input preprocessing, `x @ W_enc + b_enc`, the architecture's gate, and a sparse
 * extraction (NonZero for threshold gates, TopK for top-k), so only the active features leave ONNX Runtime. Big
 * weights stored on disk (npz members, safetensors entries) are referred to in place as external data.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import {
  GraphBuilder,
  OnnxType,
  type OnnxTypeCode,
  type SerializedGraph,
  serializeGraph,
  storedInitializer,
} from "@saeflow/forward";
import type { SaeSpec, SaeTensor } from "./sae_spec.ts";

/** How an encoder's features leave the graph. */
export type Extraction =
  /** Outputs `indices` int64 `[rank, nnz]` (row-major positions: row, or batch and position, then feature) and
   * `values` `[nnz]`. */
  | "nonzero"
  /** Outputs `indices` int64 `[..., k]` and `values` `[..., k]` (zeros possible when fewer than k are active). */
  | "topk";

/** The outputs {@link addEncoder} added. */
export interface EncoderOutputs {
  extraction: Extraction;
  indices: string;
  values: string;
  /** `[...rows]`: each row's squared reconstruction error, in input space, when asked for. */
  sqError?: string;
  /** `[..., dIn]`: the reconstruction itself, in input space (not a graph output), when asked for. */
  reconstructed?: string;
}

/** Options for {@link addEncoder} and {@link buildEncoderGraph}. */
export interface EncoderGraphOptions {
  /** Also compute each row's squared reconstruction error (needs W_dec). Default false. */
  reconstruction?: boolean;
  /** Prefix of the encoder's initializer and output names, so several encoders can share one graph. */
  prefix?: string;
  /** Make the features (and squared errors) graph outputs (default true); false when only the reconstruction is
   * used inside the graph. */
  outputs?: boolean;
}

/**
 * Adds `spec`'s encoder to `g`, reading `x` (float32 `[..., dIn]`: rows of a batch, or `[batch, sequence, dIn]`
 * hook values of a fused forward graph): input preprocessing, `x @ W_enc + b_enc`, the gate, and a sparse
 * extraction, named `${prefix}indices`, `${prefix}values` (and `${prefix}sq_error`) as graph outputs.
 */
export function addEncoder(
  g: GraphBuilder,
  spec: SaeSpec,
  x: string,
  options: EncoderGraphOptions = {},
): EncoderOutputs {
  const { reconstruction = false, prefix = "", outputs: asOutputs = true } = options;
  const { dIn, dSae, weights } = spec;
  const tensor = (name: string, t: SaeTensor | undefined, shape: number[]): string => {
    if (!t) throw new ConfigError(`${spec.source}: SAE has no ${name}; the ${spec.architecture} encoder needs it`);
    const named = `${prefix}${name}`;
    return "data" in t ? g.initializer(named, t.data, shape) : storedInitializer(g, named, t.stored, shape);
  };
  const out = (value: string, type: OnnxTypeCode, name: string) =>
    asOutputs ? g.output(value, type, undefined, `${prefix}${name}`) : value;
  const { normalized, denormalize } = normalization(g, spec, x);
  const bDec = tensor("b_dec", weights.b_dec, [dIn]);
  const centered = spec.applyBDecToInput ? g.node("Sub", [normalized, bDec]) : normalized;
  const encoder = weights.encoderTransposed
    ? g.node("Transpose", [tensor("W_enc", weights.W_enc, [dSae, dIn])])
    : tensor("W_enc", weights.W_enc, [dIn, dSae]);
  const pre = g.node("Add", [g.node("MatMul", [centered, encoder]), tensor("b_enc", weights.b_enc, [dSae])]);

  let dense: string | undefined;
  let outputs: EncoderOutputs;
  if (spec.architecture === "topk") {
    const k = spec.k;
    if (!(Number.isInteger(k) && k! > 0 && k! <= dSae)) {
      throw new ConfigError(`${spec.source}: topk SAE needs k in 1..${dSae}, got ${k}`);
    }
    // Both orders (SAELens' top-k then ReLU, sparsify's ReLU then top-k) keep the same active features: the min(k,
    // positives) largest positive pre-activations. One graph serves both; the ReLU after TopK touches k values only.
    const [top, indices] = g.nodeOutputs("TopK", [pre, g.ints([k!])], { axis: { i: -1 } }, { outputs: 2 });
    const values = g.node("Relu", [top]);
    outputs = {
      extraction: "topk",
      indices: out(indices, OnnxType.int64, "indices"),
      values: out(values, OnnxType.float, "values"),
    };
    if (reconstruction) {
      // Scatter the k values back into a dense row only for the reconstruction: onto zeros (not `pre * 0`, which is NaN
      // where pre is NaN or infinite), and only the values the CSR keeps (> 0), so it decodes exactly those features.
      const zero = g.scalar(0);
      const kept = g.node("Where", [g.node("Greater", [values, zero]), values, zero]);
      const zeros = g.node("ConstantOfShape", [g.node("Shape", [pre])]);
      dense = g.node("ScatterElements", [zeros, indices, kept], { axis: { i: -1 } });
    }
  } else {
    // The gate as one comparison against the effective threshold max(θ, 0) (JumpReLU is relu(pre)·(pre > θ); ReLU is
    // θ = 0): NonZero reads the boolean mask and GatherND picks the active pre-activations, so no dense gated copy is
    // made (measured: the Where nodes cost more than the 64-wide encoder matmul itself). A NaN pre-activation (a zero
    // row under constant_norm_rescale) compares false: inactive, so SparseFeatures values are all > 0.
    const zero = g.scalar(0);
    const cut = spec.architecture === "jumprelu"
      ? g.node("Max", [tensor("threshold", weights.threshold, [dSae]), zero])
      : zero;
    const active = g.node("Greater", [pre, cut]);
    const positions = g.node("NonZero", [active]);
    const picked = g.node("GatherND", [pre, g.node("Transpose", [positions])]);
    outputs = {
      extraction: "nonzero",
      indices: out(positions, OnnxType.int64, "indices"),
      values: out(picked, OnnxType.float, "values"),
    };
    if (reconstruction) dense = g.node("Where", [active, pre, zero]);
  }

  if (reconstruction) {
    const decoded = g.node("Add", [g.node("MatMul", [dense!, tensor("W_dec", weights.W_dec, [dSae, dIn])]), bDec]);
    outputs.reconstructed = denormalize(decoded);
    const error = g.node("Sub", [x, outputs.reconstructed]);
    const squared = g.node("ReduceSum", [g.node("Mul", [error, error]), g.ints([-1])], { keepdims: { i: 0 } });
    outputs.sqError = out(squared, OnnxType.float, "sq_error");
  }
  return outputs;
}

/** A standalone encoder: its graph, where its external data is, and how its features come out. */
export interface EncoderGraph extends SerializedGraph {
  extraction: Extraction;
  reconstruction: boolean;
}

/**
 * Builds `spec`'s encoder as its own graph. Input: `x`, float32 `[rows, dIn]` (one row per token); outputs
 * `indices`, `values` (and `sq_error`).
 *
 * @example
 * ```ts
 * const graph = await buildEncoderGraph(await loadGemmaScopeNpz("params.npz"));
 * const session = await createSession(graph.bytes, { externalDataFolder: graph.externalDataFolder });
 * await graph.release();
 * ```
 */
export async function buildEncoderGraph(spec: SaeSpec, options: EncoderGraphOptions = {}): Promise<EncoderGraph> {
  const g = new GraphBuilder("sae-encoder");
  const { extraction, sqError } = addEncoder(g, spec, g.input("x", OnnxType.float, ["rows", spec.dIn]), options);
  return { ...await serializeGraph(g), extraction, reconstruction: sqError !== undefined };
}

/** The SAE's runtime input normalization, and its inverse for reconstructions. */
function normalization(g: GraphBuilder, spec: SaeSpec, x: string) {
  const n = spec.normalization;
  const rowNorm = (v: string) =>
    g.node("Sqrt", [g.node("ReduceSum", [g.node("Mul", [v, v]), g.ints([-1])], { keepdims: { i: 1 } })]);
  switch (n.kind) {
    case "none":
      return { normalized: x, denormalize: (y: string) => y };
    case "scale":
      return {
        normalized: g.node("Mul", [x, g.scalar(n.factor)]),
        denormalize: (y: string) => g.node("Div", [y, g.scalar(n.factor)]),
      };
    case "constant_norm_rescale": {
      // SAELens: x * sqrt(d_in) / ||x||, undone on the way out.
      const factor = g.node("Div", [g.scalar(Math.sqrt(spec.dIn)), rowNorm(x)]);
      return {
        normalized: g.node("Mul", [x, factor]),
        denormalize: (y: string) => g.node("Div", [y, factor]),
      };
    }
    case "layer_norm": {
      // SAELens: (x - mean) / (std + 1e-5) with torch's default std (Bessel-corrected); undone on the way out as
      // y * std + mean, with the std alone (SAELens keeps `ln_std` without the epsilon).
      const mean = g.node("ReduceMean", [x], { axes: { ints: [-1] }, keepdims: { i: 1 } });
      const centered = g.node("Sub", [x, mean]);
      const sumSquares = g.node("ReduceSum", [g.node("Mul", [centered, centered]), g.ints([-1])], {
        keepdims: { i: 1 },
      });
      const std = g.node("Sqrt", [g.node("Div", [sumSquares, g.scalar(spec.dIn - 1)])]);
      return {
        normalized: g.node("Div", [centered, g.node("Add", [std, g.scalar(1e-5)])]),
        denormalize: (y: string) => g.node("Add", [g.node("Mul", [y, std]), mean]),
      };
    }
  }
}
