/**
 * A light structural view of an ONNX model: the graph's inputs, outputs, nodes and initializers by name, read straight
 * off the protobuf wire. Tensor payloads are never copied or decoded (a 2 GB model costs the size of its node list),
 * which is all that graph surgery and the residual-stream locator need.
 * @module
 */
import { DataError } from "@saeflow/core";
import { ProtoDecodeError, type ProtoField, readFields, readPackedVarints, WireType } from "./proto_wire.ts";

/** A dimension: a fixed size, or a symbolic name (`batch_size`, `sequence_length`). */
export type OnnxDim = number | string;

/** An operator set the model imports (`domain` is `""` for the default ai.onnx set). */
export interface OnnxOpset {
  domain: string;
  version: number;
}

/** A typed name: a graph input or output, or a `value_info` entry. */
export interface OnnxValueInfo {
  name: string;
  /** `TensorProto.DataType` code; absent when the model does not say (or the value is not a tensor). */
  elemType?: number;
  /** Absent when the model gives no shape; a dimension with neither size nor name is `"?"`. */
  dims?: OnnxDim[];
}

/** A node of the graph (attributes and subgraphs are not read). */
export interface OnnxNode {
  name: string;
  opType: string;
  /** `""` for ai.onnx, `com.microsoft` for ONNX Runtime contrib ops. */
  domain: string;
  /** Input tensor names; `""` marks an omitted optional input. */
  inputs: string[];
  /** Output tensor names; `""` marks an output the graph does not use. */
  outputs: string[];
}

/** An initializer's description; its payload stays where it is (in the model bytes or an external file). */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  /** The payload lives in an external data file (`data_location` = EXTERNAL). */
  external: boolean;
  /** The external file, relative to the model's folder (the `location` key of `external_data`). */
  location?: string;
}

// Field numbers of onnx.proto3 that this view reads.
const Model = { irVersion: 1, graph: 7, opsetImport: 8 } as const;
const Graph = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const Node = { input: 1, output: 2, name: 3, opType: 4, domain: 7 } as const;
const Tensor = { dims: 1, dataType: 2, name: 8, externalData: 13, dataLocation: 14 } as const;
const External = 1; // TensorProto.DataLocation.EXTERNAL

/**
 * The parsed structure of one ONNX model, with `producer` / `consumers` lookups by tensor name.
 * Repeated `graph` fields are merged as protobuf (and ONNX Runtime) merge them, so a model with appended fragments
 * (see `appendGraphOutputs`) reads as ONNX Runtime will see it.
 */
export class OnnxGraph {
  #producers?: Map<string, OnnxNode>;
  #consumers?: Map<string, OnnxNode[]>;
  #sources?: Set<string>;

  readonly irVersion: number;
  readonly opsets: readonly OnnxOpset[];
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Types the model declares for intermediate tensors (often none). */
  readonly valueInfo: readonly OnnxValueInfo[];
  /** In file order, which exporters keep topological (ONNX does not require it). */
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];

  constructor(
    /** Where the bytes came from (a path or URL), named in errors. */
    readonly source: string,
    parts: Omit<OnnxGraph, "source" | "producer" | "consumers" | "has" | "typeOf">,
  ) {
    ({
      irVersion: this.irVersion,
      opsets: this.opsets,
      name: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      valueInfo: this.valueInfo,
      nodes: this.nodes,
      initializers: this.initializers,
    } = parts);
  }

  /** The node whose output is `tensor`; `undefined` for graph inputs, initializers and unknown names. */
  producer(tensor: string): OnnxNode | undefined {
    if (!this.#producers) {
      this.#producers = new Map();
      for (const node of this.nodes) {
        for (const out of node.outputs) if (out !== "") this.#producers.set(out, node);
      }
    }
    return this.#producers.get(tensor);
  }

  /** The nodes that read `tensor`, in graph order (a node reading it twice is listed once). */
  consumers(tensor: string): readonly OnnxNode[] {
    if (!this.#consumers) {
      this.#consumers = new Map();
      for (const node of this.nodes) {
        for (const input of new Set(node.inputs)) {
          if (input === "") continue;
          const list = this.#consumers.get(input);
          if (list) list.push(node);
          else this.#consumers.set(input, [node]);
        }
      }
    }
    return this.#consumers.get(tensor) ?? [];
  }

  /** Whether `tensor` is a value of the graph: a graph input, an initializer or some node's output. */
  has(tensor: string): boolean {
    this.#sources ??= new Set([...this.inputs.map((v) => v.name), ...this.initializers.map((t) => t.name)]);
    return this.producer(tensor) !== undefined || this.#sources.has(tensor);
  }

  /** The declared type and shape of `tensor` (graph input/output or `value_info`), if the model declares one. */
  typeOf(tensor: string): OnnxValueInfo | undefined {
    return this.outputs.find((v) => v.name === tensor) ?? this.valueInfo.find((v) => v.name === tensor) ??
      this.inputs.find((v) => v.name === tensor);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Where a nested message starts in the model's bytes, so that errors give file offsets. */
let fileStart = 0;

/** Reads fields of one message, checking the wire type of each field this view knows. */
function* fieldsOf(
  bytes: Uint8Array,
  what: string,
  expected: Record<number, number>,
): Generator<ProtoField> {
  const at = bytes.byteOffset - fileStart;
  try {
    for (const f of readFields(bytes)) {
      const want = expected[f.field];
      if (want !== undefined && f.wireType !== want) {
        const offset = f.wireType === WireType.bytes ? f.offset : 0;
        throw new ProtoDecodeError(`${what} field ${f.field} has wire type ${f.wireType}, not ${want}`, offset);
      }
      yield f;
    }
  } catch (e) {
    if (e instanceof ProtoDecodeError && !(e instanceof NestedDecodeError)) {
      throw new NestedDecodeError(`${what}: ${e.message.replace(/ at byte \d+$/, "")}`, at + e.offset);
    }
    throw e;
  }
}

/** A decode error whose offset is already relative to the start of the file. */
class NestedDecodeError extends ProtoDecodeError {}

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NestedDecodeError("a name is not valid UTF-8", bytes.byteOffset - fileStart);
  }
}

function int(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

const bytesOf = (...fields: number[]) => Object.fromEntries(fields.map((f) => [f, WireType.bytes]));
const varintsOf = (...fields: number[]) => Object.fromEntries(fields.map((f) => [f, WireType.varint]));

function parseNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [] };
  for (const f of fieldsOf(bytes, "NodeProto", bytesOf(Node.input, Node.output, Node.name, Node.opType, Node.domain))) {
    if (f.wireType !== WireType.bytes) continue;
    if (f.field === Node.input) node.inputs.push(text(f.value));
    else if (f.field === Node.output) node.outputs.push(text(f.value));
    else if (f.field === Node.name) node.name = text(f.value);
    else if (f.field === Node.opType) node.opType = text(f.value);
    else if (f.field === Node.domain) node.domain = text(f.value);
  }
  // The standard domain has two spellings.
  if (node.domain === "ai.onnx") node.domain = "";
  return node;
}

function parseValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: "" };
  for (const f of fieldsOf(bytes, "ValueInfoProto", bytesOf(1, 2))) {
    if (f.field === 1 && f.wireType === WireType.bytes) info.name = text(f.value);
    if (f.field !== 2 || f.wireType !== WireType.bytes) continue;
    for (const t of fieldsOf(f.value, "TypeProto", bytesOf(1))) {
      if (t.field !== 1 || t.wireType !== WireType.bytes) continue; // only tensor_type
      for (const tt of fieldsOf(t.value, "TypeProto.Tensor", { 1: WireType.varint, 2: WireType.bytes })) {
        if (tt.field === 1 && tt.wireType === WireType.varint) info.elemType = int(tt.value);
        if (tt.field !== 2 || tt.wireType !== WireType.bytes) continue;
        info.dims = [];
        for (const d of fieldsOf(tt.value, "TensorShapeProto", bytesOf(1))) {
          if (d.field !== 1 || d.wireType !== WireType.bytes) continue;
          let dim: OnnxDim = "?";
          for (const v of fieldsOf(d.value, "Dimension", { 1: WireType.varint, 2: WireType.bytes })) {
            if (v.field === 1 && v.wireType === WireType.varint) dim = int(v.value);
            if (v.field === 2 && v.wireType === WireType.bytes) dim = text(v.value);
          }
          info.dims.push(dim);
        }
      }
    }
  }
  return info;
}

function parseInitializer(bytes: Uint8Array): OnnxInitializer {
  const t: OnnxInitializer = { name: "", dims: [], dataType: 0, external: false };
  const expected = {
    ...varintsOf(Tensor.dataType, Tensor.dataLocation),
    ...bytesOf(Tensor.name, Tensor.externalData),
  };
  for (const f of fieldsOf(bytes, "TensorProto", expected)) {
    if (f.field === Tensor.dims) {
      // dims may be packed (proto3 default) or one varint per entry.
      if (f.wireType === WireType.bytes) t.dims.push(...readPackedVarints(f.value).map(int));
      else if (f.wireType === WireType.varint) t.dims.push(int(f.value));
    } else if (f.wireType === WireType.varint) {
      if (f.field === Tensor.dataType) t.dataType = int(f.value);
      if (f.field === Tensor.dataLocation) t.external = int(f.value) === External;
    } else if (f.wireType === WireType.bytes) {
      if (f.field === Tensor.name) t.name = text(f.value);
      if (f.field === Tensor.externalData) {
        let key = "", value = "";
        for (const kv of fieldsOf(f.value, "StringStringEntryProto", bytesOf(1, 2))) {
          if (kv.wireType !== WireType.bytes) continue;
          if (kv.field === 1) key = text(kv.value);
          if (kv.field === 2) value = text(kv.value);
        }
        if (key === "location") t.location = value;
      }
    }
  }
  return t;
}

/**
 * Parses the structure of an ONNX `ModelProto`. Payload bytes are skipped (read as views and dropped), so this is
 * cheap even for a model whose weights are inside the file.
 *
 * @param bytes the `.onnx` file's bytes
 * @param source where they came from, named in errors
 * @throws {DataError} when the bytes are not an ONNX model (truncated, corrupted, or another format)
 *
 * @example
 * ```ts
 * const graph = parseOnnxGraph(await Deno.readFile("model.onnx"), "model.onnx");
 * graph.nodes.filter((n) => n.opType === "Add").map((n) => n.name);
 * graph.consumers(graph.inputs[0].name);
 * ```
 */
export function parseOnnxGraph(bytes: Uint8Array, source: string): OnnxGraph {
  try {
    return parse(bytes, source);
  } catch (e) {
    if (!(e instanceof ProtoDecodeError)) throw e;
    throw new DataError(
      source,
      {},
      `not an ONNX model: the protobuf is truncated or corrupted (${e.message}; the file has ${bytes.length} bytes)`,
      "a complete ONNX ModelProto (.onnx)",
      { cause: e },
    );
  }
}

function parse(bytes: Uint8Array, source: string): OnnxGraph {
  fileStart = bytes.byteOffset;
  let irVersion: number | undefined;
  let graphs = 0;
  let name = "";
  const opsets: OnnxOpset[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const valueInfo: OnnxValueInfo[] = [];
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const modelFields = { [Model.irVersion]: WireType.varint, ...bytesOf(Model.graph, Model.opsetImport) };
  for (const f of fieldsOf(bytes, "ModelProto", modelFields)) {
    if (f.field === Model.irVersion && f.wireType === WireType.varint) irVersion = int(f.value);
    else if (f.field === Model.opsetImport && f.wireType === WireType.bytes) {
      const opset: OnnxOpset = { domain: "", version: 0 };
      for (const o of fieldsOf(f.value, "OperatorSetIdProto", { 1: WireType.bytes, 2: WireType.varint })) {
        if (o.field === 1 && o.wireType === WireType.bytes) opset.domain = text(o.value);
        if (o.field === 2 && o.wireType === WireType.varint) opset.version = int(o.value);
      }
      opsets.push(opset);
    } else if (f.field === Model.graph && f.wireType === WireType.bytes) {
      graphs++;
      const graphFields = bytesOf(
        Graph.node,
        Graph.name,
        Graph.initializer,
        Graph.input,
        Graph.output,
        Graph.valueInfo,
      );
      for (const g of fieldsOf(f.value, "GraphProto", graphFields)) {
        if (g.wireType !== WireType.bytes) continue;
        switch (g.field) {
          case Graph.node:
            nodes.push(parseNode(g.value));
            break;
          case Graph.name:
            name = text(g.value);
            break;
          case Graph.initializer:
            initializers.push(parseInitializer(g.value));
            break;
          case Graph.input:
            inputs.push(parseValueInfo(g.value));
            break;
          case Graph.output:
            outputs.push(parseValueInfo(g.value));
            break;
          case Graph.valueInfo:
            valueInfo.push(parseValueInfo(g.value));
            break;
        }
      }
    }
  }
  if (irVersion === undefined || graphs === 0) {
    const missing = [irVersion === undefined ? "ir_version" : "", graphs === 0 ? "graph" : ""].filter(Boolean);
    throw new DataError(
      source,
      {},
      `not an ONNX model: the ModelProto has no ${missing.join(" and no ")} (${bytes.length} bytes)`,
      "an ONNX ModelProto (.onnx) with a graph",
    );
  }
  return new OnnxGraph(source, { irVersion, opsets, name, inputs, outputs, valueInfo, nodes, initializers });
}
