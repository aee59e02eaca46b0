/**
 * Finds the residual stream of a pre-norm transformer exported to ONNX: per block, the tensors TransformerLens calls
 * `hook_resid_pre`, `hook_attn_out`, `hook_resid_mid`, `hook_mlp_out` and `hook_resid_post`.
 *
 * Each residual step is `r' = r + f(norm(r))`: an `Add` whose one input (the stream) feeds a normalization and whose
 * other input (the branch) depends on it, or a fused ONNX Runtime `SkipLayerNormalization` /
 * `SkipSimplifiedLayerNormalization`, whose output 3 is `input + skip`. Steps chain through the stream; a step whose
 * branch holds attention (Softmax or a fused attention op) followed by one without makes a block.
 * @module
 */
import type { GraphNodeSpec } from "./graph_surgery.ts";
import { GraphReach } from "./graph_reach.ts";
import type { OnnxGraph, OnnxNode } from "./onnx_graph.ts";

/** The residual-stream tensors of one transformer block, by tensor name. */
export interface ResidualBlock {
  layer: number;
  /** The stream entering the block (`blocks.{L}.hook_resid_pre`). */
  residPre: string;
  /** The stream between attention and MLP (`hook_resid_mid`). */
  residMid?: string;
  /** The stream leaving the block (`hook_resid_post`); equals the next block's `residPre`. */
  residPost: string;
  /** What attention adds to the stream (`hook_attn_out`). */
  attnOut?: string;
  /** What the MLP adds to the stream (`hook_mlp_out`). */
  mlpOut?: string;
  /** Found by the node names of Optimum / onnx-community exports, or by the graph's shape alone. */
  via: "names" | "topology";
  /**
   * Nodes to add to the graph (with `appendGraphOutputs`' `nodes`) because it does not compute one of the tensors
   * above as a value of its own: a fused final norm whose residual sum nothing reads leaves output 3 out.
   */
  nodes?: GraphNodeSpec[];
}

/** One residual addition `out = residual + branch`. */
interface Step {
  node: OnnxNode;
  residual: string;
  branch: string;
  /** Absent when a fused norm does not emit its sum. */
  out?: string;
  /** The sum's extra bias input (fused norms only). */
  bias?: string;
}

const FUSED_SKIP_NORMS = new Set(["SkipLayerNormalization", "SkipSimplifiedLayerNormalization"]);
const NORMS = new Set([
  "LayerNormalization",
  "SimplifiedLayerNormalization",
  "RMSNormalization",
  ...FUSED_SKIP_NORMS,
]);
/** Ops a decomposed norm may apply to its input before the first ReduceMean (dtype casts, `x^2`, `x - mean`). */
const NORM_PRELUDE = new Set(["Cast", "Pow", "Mul", "Sub", "Identity"]);
const ATTENTION = new Set([
  "Softmax",
  "Attention",
  "MultiHeadAttention",
  "GroupQueryAttention",
  "PackedAttention",
  "PackedMultiHeadAttention",
  "SparseAttention",
  "DecoderMaskedMultiHeadAttention",
]);

/**
 * The residual stream's blocks, in order; empty when the graph has none (not a pre-norm transformer).
 * Tries the node names of Optimum / onnx-community exports first (checked against the topology), then the topology
 * alone. With several streams (an encoder and a decoder), the longest wins.
 *
 * @example
 * ```ts
 * const graph = parseOnnxGraph(await Deno.readFile("model.onnx"), "model.onnx");
 * const blocks = locateResidualStream(graph);
 * blocks[3].residPost; // "/model/layers.3/Add_1_output_0"
 * ```
 */
export function locateResidualStream(graph: OnnxGraph): ResidualBlock[] {
  const reach = new GraphReach(graph);
  const named = byNames(graph, reach);
  if (named.length > 0) return toBlocks(named, "names");
  return toBlocks(byTopology(graph, reach), "topology");
}

/** Orders a residual addition's two inputs (the branch depends on the stream), or says it is not one. */
function step(graph: OnnxGraph, reach: GraphReach, node: OnnxNode): Step | undefined {
  const fused = FUSED_SKIP_NORMS.has(node.opType);
  if (node.opType !== "Add" && !fused) return undefined;
  const [a, b] = node.inputs;
  if (!a || !b || a === b) return undefined;
  const out = fused ? node.outputs[3] || undefined : node.outputs[0];
  const biasInput = node.opType === "SkipLayerNormalization" ? 4 : 3;
  const bias = fused ? node.inputs[biasInput] || undefined : undefined;
  // A plain Add must also feed the stream to a norm, or `x + f(x)` inside a branch (GELU's tanh form) would count.
  for (const [residual, branch] of [[a, b], [b, a]]) {
    if (!fused && !feedsNorm(graph, residual)) continue;
    if (reach.dependsOn(branch, residual)) return { node, residual, branch, out, bias };
  }
  return undefined;
}

/** Whether `tensor` is normalized: read by a norm op, or by ReduceMean directly or after a short prelude. */
function feedsNorm(graph: OnnxGraph, tensor: string, depth = 0): boolean {
  return graph.consumers(tensor).some((c) =>
    NORMS.has(c.opType) || c.opType === "ReduceMean" ||
    (depth < 2 && NORM_PRELUDE.has(c.opType) && c.outputs.some((o) => o !== "" && feedsNorm(graph, o, depth + 1)))
  );
}

function isAttention(reach: GraphReach, s: Step): boolean {
  for (const node of reach.between(s.residual, s.branch)) if (ATTENTION.has(node.opType)) return true;
  return false;
}

/** Optimum's `/model/layers.{i}/Add` and `Add_1`, or the fused norms ORT's builder names per layer. */
function byNames(graph: OnnxGraph, reach: GraphReach): [Step, Step][] {
  const attn = new Map<number, OnnxNode>();
  const mlp = new Map<number, OnnxNode>();
  const fusedInput = new Map<number, OnnxNode>();
  let finalNorm: OnnxNode | undefined;
  for (const node of graph.nodes) {
    const plain = /^\/model\/layers\.(\d+)\/Add(_1)?$/.exec(node.name);
    if (plain && node.opType === "Add") (plain[2] ? mlp : attn).set(Number(plain[1]), node);
    if (!FUSED_SKIP_NORMS.has(node.opType)) continue;
    const fused = /^\/model\/layers\.(\d+)\/(input|post_attention)_layernorm\/SkipLayerNorm$/.exec(node.name);
    if (fused?.[2] === "post_attention") attn.set(Number(fused[1]), node);
    if (fused?.[2] === "input") fusedInput.set(Number(fused[1]), node);
    if (node.name === "/model/norm/SkipLayerNorm") finalNorm = node;
  }
  // In fused exports the MLP's sum is taken by the next layer's input norm (the last layer's by the final norm).
  for (const [layer, node] of fusedInput) if (layer > 0) mlp.set(layer - 1, node);
  const layers = Math.max(-1, ...attn.keys(), ...mlp.keys()) + 1;
  if (finalNorm && attn.has(layers - 1) && !mlp.has(layers - 1)) mlp.set(layers - 1, finalNorm);

  const pairs: [Step, Step][] = [];
  for (let layer = 0; attn.has(layer) && mlp.has(layer); layer++) {
    const a = step(graph, reach, attn.get(layer)!);
    const m = step(graph, reach, mlp.get(layer)!);
    // The names are a convention, not a promise: the topology has to agree, or the names are not used at all.
    const previous = pairs.at(-1)?.[1];
    if (!a || !m || a.out === undefined || m.residual !== a.out || (previous && a.residual !== previous.out)) {
      return [];
    }
    pairs.push([a, m]);
  }
  return pairs.length === layers ? pairs : [];
}

function byTopology(graph: OnnxGraph, reach: GraphReach): [Step, Step][] {
  const steps = graph.nodes.map((n) => step(graph, reach, n)).filter((s) => s !== undefined);
  const byResidual = new Map<string, Step>();
  for (const s of steps) if (!byResidual.has(s.residual)) byResidual.set(s.residual, s);
  const continued = new Set(steps.map((s) => s.out).filter((o) => o !== undefined));

  let longest: Step[] = [];
  for (const first of steps) {
    if (continued.has(first.residual)) continue;
    const chain = [first];
    for (let s = first; s.out !== undefined && byResidual.has(s.out);) {
      s = byResidual.get(s.out)!;
      chain.push(s);
    }
    if (chain.length > longest.length) longest = chain;
  }
  return pairSteps(reach, longest);
}

/** The longest run of (attention, MLP) step pairs in a chain; consecutive pairs when no attention shows. */
function pairSteps(reach: GraphReach, chain: Step[]): [Step, Step][] {
  const kinds = chain.map((s) => isAttention(reach, s));
  if (!kinds.includes(true)) {
    if (chain.length % 2 !== 0) return [];
    return Array.from({ length: chain.length / 2 }, (_, i) => [chain[2 * i], chain[2 * i + 1]]);
  }
  let best: [Step, Step][] = [];
  for (let i = 0; i < chain.length;) {
    const run: [Step, Step][] = [];
    while (i + 1 < chain.length && kinds[i] && !kinds[i + 1]) {
      run.push([chain[i], chain[i + 1]]);
      i += 2;
    }
    if (run.length > best.length) best = run;
    if (run.length === 0) i++;
  }
  return best;
}

function toBlocks(pairs: [Step, Step][], via: ResidualBlock["via"]): ResidualBlock[] {
  return pairs.map(([attn, mlp], layer) => {
    const block: ResidualBlock = {
      layer,
      residPre: attn.residual,
      residMid: attn.out,
      residPost: mlp.out ?? "",
      attnOut: attn.branch,
      mlpOut: mlp.branch,
      via,
    };
    if (mlp.out === undefined) {
      // Only the last fused norm may leave its sum out (every other one feeds the next step): recompute it.
      const name = `saeflow/blocks.${layer}.hook_resid_post`;
      const sum = mlp.bias ? `${name}/no_bias` : name;
      block.nodes = [{ name: `${name}/Add`, opType: "Add", inputs: [mlp.branch, mlp.residual], outputs: [sum] }];
      if (mlp.bias) {
        block.nodes.push({ name: `${name}/AddBias`, opType: "Add", inputs: [sum, mlp.bias], outputs: [name] });
      }
      block.residPost = name;
    }
    return block;
  });
}
