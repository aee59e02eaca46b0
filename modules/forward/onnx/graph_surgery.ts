/**
 * Graph surgery without re-encoding: protobuf merges concatenated messages (repeated fields append), so the bytes of
 * `ModelProto{graph{output{...}, node{...}}}` appended to an `.onnx` file add graph outputs (and nodes) to it. ONNX
 * Runtime only returns graph outputs; this is how the residual stream of an exported model becomes readable.
 * @module
 */
import { ProtoWriter } from "./proto_wire.ts";
import type { OnnxDim, OnnxNode } from "./onnx_graph.ts";

/** A tensor to expose as a graph output. */
export interface GraphOutputSpec {
  name: string;
  /** `TensorProto.DataType` code; ONNX Runtime infers it when absent. */
  elemType?: number;
  /** The shape to declare; leave it out unless sure (ONNX Runtime checks declared shapes against inferred ones). */
  dims?: readonly OnnxDim[];
}

/** A node to add to the graph; its outputs must be new names. ONNX Runtime sorts nodes, so position does not matter. */
export type GraphNodeSpec = Pick<OnnxNode, "name" | "opType" | "inputs" | "outputs"> & { domain?: string };

/** Options for {@link appendGraphOutputs}. */
export interface AppendOptions {
  /** Nodes computing tensors the graph lacks (e.g. a residual sum a fused norm does not emit). */
  nodes?: readonly GraphNodeSpec[];
}

/**
 * The serialized `ModelProto` fragment that adds `outputs` (and `nodes`) to whatever model it is appended to.
 *
 * @example
 * ```ts
 * const fragment = graphFragment([{ name: "/model/layers.3/Add_1_output_0", elemType: 1 }]);
 * ```
 */
export function graphFragment(outputs: readonly GraphOutputSpec[], options: AppendOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  w.messageField(7, (graph) => {
    for (const n of options.nodes ?? []) {
      graph.messageField(1, (node) => {
        for (const i of n.inputs) node.stringField(1, i);
        for (const o of n.outputs) node.stringField(2, o);
        node.stringField(3, n.name);
        node.stringField(4, n.opType);
        if (n.domain) node.stringField(7, n.domain);
      });
    }
    for (const out of outputs) {
      graph.messageField(12, (info) => {
        info.stringField(1, out.name);
        if (out.elemType === undefined) return;
        info.messageField(2, (type) =>
          type.messageField(1, (tensor) => {
            tensor.intField(1, out.elemType!);
            if (!out.dims) return;
            tensor.messageField(2, (shape) => {
              for (const d of out.dims!) {
                shape.messageField(1, (dim) => typeof d === "number" ? dim.intField(1, d) : dim.stringField(2, d));
              }
            });
          }));
      });
    }
  });
  return w.finish();
}

/**
 * The model with `outputs` added as graph outputs (after the existing ones, in the order given): the original bytes
 * followed by a small fragment, copied once. The caller checks that the names exist (see `loadSessionWithOutputs`);
 * a name that is already a graph output must not be added again.
 *
 * Size: the result is as big as the `.onnx` file. Protobuf (and so ONNX Runtime) cannot read a message over 2 GB, so a
 * big model keeps its weights in external data files, and the `.onnx` itself, graph only, stays small.
 *
 * @example
 * ```ts
 * const model = await Deno.readFile("model.onnx");
 * const withResidual = appendGraphOutputs(model, [{ name: "/model/layers.0/Add_1_output_0" }]);
 * const session = await ort.InferenceSession.create(withResidual);
 * ```
 */
export function appendGraphOutputs(
  model: Uint8Array,
  outputs: readonly GraphOutputSpec[],
  options: AppendOptions = {},
): Uint8Array {
  const fragment = graphFragment(outputs, options);
  const out = new Uint8Array(model.length + fragment.length);
  out.set(model, 0);
  out.set(fragment, model.length);
  return out;
}
