/**
 * The SAE encoder as an ONNX graph: input preprocessing, `x @ W_enc + b_enc`, the architecture's gate, and a sparse
 * extraction (NonZero for threshold gates, TopK for top-k), so only the active features leave ONNX Runtime. Big
 * weights stored on disk (npz members, safetensors entries) are referred to in place as external data.
 * @module
 */
import { basename, dirname } from "node:path";
import { ConfigError } from "@saeflow/core";
import { GraphBuilder, OnnxType } from "@saeflow/forward";
import type { SaeSpec, SaeTensor } from "./sae_spec.ts";

/** The built encoder. */
export interface EncoderGraph {
  bytes: Uint8Array;
  /** Folder of the files its external weights are in, when it refers to any. */
  externalDataFolder?: string;
  /** `"nonzero"`: outputs `indices` int64 `[2, nnz]` (row, feature) and `values` `[nnz]`, row-major. `"topk"`:
   * outputs `indices` int64 `[rows, k]` and `values` `[rows, k]` (zeros possible when fewer than k are active). */
  extraction: "nonzero" | "topk";
  /** Whether the graph also outputs `sq_error` `[rows]`: each row's squared reconstruction error, in input space. */
  reconstruction: boolean;
}

/** Options for {@link buildEncoderGraph}. */
export interface EncoderGraphOptions {
  /** Also compute each row's squared reconstruction error (needs W_dec). Default false. */
  reconstruction?: boolean;
}

const STORED_TYPE = { F32: OnnxType.float, F16: OnnxType.float16, BF16: OnnxType.bfloat16 } as const;

/**
 * Builds the encoder for `spec`. Input: `x`, float32 `[rows, dIn]` (one row per token).
 *
 * @example
 * ```ts
 * const graph = buildEncoderGraph(await loadGemmaScopeNpz("params.npz"));
 * const session = await createSession(graph.bytes, { externalDataFolder: graph.externalDataFolder });
 * ```
 */
export function buildEncoderGraph(spec: SaeSpec, options: EncoderGraphOptions = {}): EncoderGraph {
  const { reconstruction = false } = options;
  const { dIn, dSae, weights } = spec;
  const g = new GraphBuilder(`sae-encoder`);
  let externalDataFolder: string | undefined;
  const tensor = (name: string, t: SaeTensor | undefined, shape: number[]): string => {
    if (!t) throw new ConfigError(`${spec.source}: SAE has no ${name}; the ${spec.architecture} encoder needs it`);
    if ("data" in t) return g.initializer(name, t.data, shape);
    const folder = dirname(t.stored.file);
    if (externalDataFolder !== undefined && folder !== externalDataFolder) {
      throw new ConfigError(`${spec.source}: SAE files are spread over ${externalDataFolder} and ${folder}`);
    }
    externalDataFolder = folder;
    const type = STORED_TYPE[t.stored.dtype];
    const { offset, length } = t.stored;
    const value = g.externalInitializer(name, type, shape, { location: basename(t.stored.file), offset, length });
    return type === OnnxType.float ? value : g.node("Cast", [value], { to: { i: OnnxType.float } });
  };

  const x = g.input("x", OnnxType.float, ["rows", dIn]);
  const { normalized, denormalize } = normalization(g, spec, x);
  const bDec = tensor("b_dec", weights.b_dec, [dIn]);
  const centered = spec.applyBDecToInput ? g.node("Sub", [normalized, bDec]) : normalized;
  const encoder = weights.encoderTransposed
    ? g.node("Transpose", [tensor("W_enc", weights.W_enc, [dSae, dIn])])
    : tensor("W_enc", weights.W_enc, [dIn, dSae]);
  const pre = g.node("Add", [g.node("MatMul", [centered, encoder]), tensor("b_enc", weights.b_enc, [dSae])]);

  let dense: string | undefined;
  let extraction: EncoderGraph["extraction"];
  if (spec.architecture === "topk") {
    const k = spec.k;
    if (!(Number.isInteger(k) && k! > 0 && k! <= dSae)) {
      throw new ConfigError(`${spec.source}: topk SAE needs k in 1..${dSae}, got ${k}`);
    }
    const [values, indices] = spec.topkOrder === "relu-then-topk"
      ? g.nodeOutputs("TopK", [g.node("Relu", [pre]), g.ints([k!])], { axis: { i: -1 } }, { outputs: 2 })
      : (() => {
        const [top, idx] = g.nodeOutputs("TopK", [pre, g.ints([k!])], { axis: { i: -1 } }, { outputs: 2 });
        return [g.node("Relu", [top]), idx];
      })();
    g.output(indices, OnnxType.int64, ["rows", k!], "indices");
    g.output(values, OnnxType.float, ["rows", k!], "values");
    extraction = "topk";
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
    g.output(positions, OnnxType.int64, [2, "nnz"], "indices");
    g.output(g.node("GatherND", [pre, g.node("Transpose", [positions])]), OnnxType.float, ["nnz"], "values");
    if (reconstruction) dense = g.node("Where", [active, pre, zero]);
    extraction = "nonzero";
  }

  if (reconstruction) {
    const decoded = g.node("Add", [g.node("MatMul", [dense!, tensor("W_dec", weights.W_dec, [dSae, dIn])]), bDec]);
    const error = g.node("Sub", [x, denormalize(decoded)]);
    const squared = g.node("ReduceSum", [g.node("Mul", [error, error]), g.ints([-1])], { keepdims: { i: 0 } });
    g.output(squared, OnnxType.float, ["rows"], "sq_error");
  }
  return { bytes: g.toModelBytes({ opset: 17 }), externalDataFolder, extraction, reconstruction };
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
