/**
 * TransformerLens hook names (`blocks.12.hook_resid_post`), the names saeflow gives activations everywhere, mapped to
 * the tensors of an ONNX graph.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { GraphNodeSpec } from "./graph_surgery.ts";
import type { OnnxGraph } from "./onnx_graph.ts";
import { HOOK_POINTS, type HookPoint, parseHookName } from "../hooks.ts";
import { locateResidualStream, type ResidualBlock } from "./residual_locator.ts";

/** Tensors to read for a list of hooks, and the nodes to add for those the graph does not name. */
export interface HookTensors {
  /** Hook name (`blocks.3.hook_resid_post`) → tensor name, in the order asked. */
  tensors: Record<string, string>;
  /** Nodes to append along with the outputs (see {@link ResidualBlock.nodes}). */
  nodes: GraphNodeSpec[];
}

/**
 * Maps TransformerLens hook names (`blocks.{L}.hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out`)
 * to the graph's tensor names.
 *
 * @param blocks the located stream, when the caller has it already
 * @throws {ConfigError} for a malformed hook name, or a hook or layer the graph does not have
 *
 * @example
 * ```ts
 * const { tensors, nodes } = hookTensors(graph, ["blocks.0.hook_resid_post"]);
 * const session = await loadSessionWithOutputs("model.onnx", Object.values(tensors), {}, { nodes });
 * ```
 */
export function hookTensors(
  graph: OnnxGraph,
  hooks: readonly string[],
  blocks: readonly ResidualBlock[] = locateResidualStream(graph),
): HookTensors {
  const tensors: Record<string, string> = {};
  const nodes: GraphNodeSpec[] = [];
  const found = blocks.length === 0
    ? "found no residual stream in it (a chain of `r + f(norm(r))` additions of a pre-norm transformer)"
    : `found ${blocks.length} transformer blocks in it (layers 0-${blocks.length - 1}, by ${blocks[0].via})`;
  for (const hook of hooks) {
    const { layer, point: kind } = parseHookName(hook, graph.source);
    const block = blocks[layer];
    const tensor = block && hookOf(block, kind);
    if (!tensor) {
      const available = blocks.length === 0
        ? "none"
        : `blocks.{0..${blocks.length - 1}}.hook_{${
          HOOK_POINTS.filter((h) => blocks.every((b) => hookOf(b, h))).join(",")
        }}`;
      throw new ConfigError(
        `${graph.source}: the graph has no hook "${hook}": saeflow ${found}; hooks available: ${available}`,
      );
    }
    tensors[hook] = tensor;
    if (kind === "resid_post") {
      // Only a resid_post can be synthesized (the sum a fused final norm leaves out).
      for (const n of block.nodes ?? []) if (!nodes.some((m) => m.name === n.name)) nodes.push(n);
    }
  }
  return { tensors, nodes };
}

function hookOf(block: ResidualBlock, hook: HookPoint): string | undefined {
  return {
    resid_pre: block.residPre,
    resid_mid: block.residMid,
    resid_post: block.residPost,
    attn_out: block.attnOut,
    mlp_out: block.mlpOut,
  }[hook];
}
