/**
 * Reachability between nodes of an {@link OnnxGraph}: which nodes a tensor depends on, and which nodes lie between
 * two tensors. Works on nodes, not tensors, because a fused node (SkipLayerNormalization) emits the residual sum and
 * the normalized value side by side: what follows the norm depends on the node, not on its sum output.
 * @module
 */
import type { OnnxGraph, OnnxNode } from "./onnx_graph.ts";

/** Topological ranks of a graph's nodes, with bounded walks between them. */
export class GraphReach {
  readonly #graph: OnnxGraph;
  readonly #rank = new Map<OnnxNode, number>();

  constructor(graph: OnnxGraph) {
    this.#graph = graph;
    // Kahn's algorithm: file order is usually topological already, but ONNX does not promise it (and appended
    // fragments put their nodes last).
    const pending = new Map<OnnxNode, number>();
    const ready: OnnxNode[] = [];
    for (const node of graph.nodes) {
      const deps = new Set(node.inputs.map((i) => graph.producer(i)).filter((p) => p !== undefined && p !== node));
      pending.set(node, deps.size);
      if (deps.size === 0) ready.push(node);
    }
    for (let i = 0; i < ready.length; i++) {
      const node = ready[i];
      this.#rank.set(node, i);
      const next = new Set(node.outputs.flatMap((o) => (o === "" ? [] : graph.consumers(o))));
      for (const c of next) {
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) ready.push(c);
      }
    }
  }

  /** The node's position in a topological order; nodes on a cycle (an invalid graph) have none. */
  rank(node: OnnxNode): number | undefined {
    return this.#rank.get(node);
  }

  /**
   * The nodes `tensor` depends on that come after `from` (the producer of another tensor; `undefined` for a graph
   * input or initializer, which bounds nothing). Includes the tensor's producer, excludes `from`.
   */
  ancestorsAfter(tensor: string, from: OnnxNode | undefined): Set<OnnxNode> {
    const floor = from ? this.#rank.get(from) ?? Infinity : -Infinity;
    const seen = new Set<OnnxNode>();
    const start = this.#graph.producer(tensor);
    const stack = start ? [start] : [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (seen.has(node) || !((this.#rank.get(node) ?? -Infinity) > floor)) continue;
      seen.add(node);
      for (const i of node.inputs) {
        const p = i === "" ? undefined : this.#graph.producer(i);
        if (p) stack.push(p);
      }
    }
    return seen;
  }

  /**
   * Whether `tensor` depends on `source` (a tensor): through `source`'s producer when it has one (so siblings of
   * `source` from a multi-output node count), or by reading the graph input `source` somewhere upstream.
   */
  dependsOn(tensor: string, source: string): boolean {
    return this.between(source, tensor).size > 0;
  }

  /**
   * The nodes on paths from `source` to `tensor`: descendants of `source`'s producer (or readers of the graph input
   * `source`) that `tensor` depends on, including `tensor`'s producer, excluding `source`'s.
   */
  between(source: string, tensor: string): Set<OnnxNode> {
    const from = this.#graph.producer(source);
    const ancestors = this.ancestorsAfter(tensor, from);
    const inside = new Set<OnnxNode>();
    const stack: OnnxNode[] = from
      ? from.outputs.flatMap((o) => (o === "" ? [] : [...this.#graph.consumers(o)]))
      : [...this.#graph.consumers(source)];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (inside.has(node) || !ancestors.has(node)) continue;
      inside.add(node);
      for (const o of node.outputs) if (o !== "") stack.push(...this.#graph.consumers(o));
    }
    return inside;
  }
}
