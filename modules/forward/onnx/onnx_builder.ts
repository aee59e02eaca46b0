/**
 * A small ONNX graph builder: typed inputs/outputs, initializers, nodes with scoped names (`/model/layers.0/...`,
 * like the Optimum exports), serialized straight to `ModelProto` bytes for ONNX Runtime.
 * @module
 */
import { basename } from "node:path";
import { ProtoWriter } from "./proto_wire.ts";

/** ONNX `TensorProto.DataType` codes used here. */
export const OnnxType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  bfloat16: 16,
} as const;
export type OnnxTypeCode = typeof OnnxType[keyof typeof OnnxType];

/** A dimension: a fixed size or a symbolic name (`batch`, `sequence`). */
export type Dim = number | string;

/** Tensor payloads an initializer can hold; `Uint16Array` carries float16/bfloat16 bits. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/** A node attribute, tagged with its ONNX type because JS numbers do not tell ints from floats. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { t: { data: TensorData; dims: readonly number[]; type?: OnnxTypeCode } };

interface NodeSpec {
  op: string;
  domain: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Record<string, Attr>;
}

interface ValueSpec {
  name: string;
  type: OnnxTypeCode;
  /** Undefined: shape not declared (ONNX Runtime infers it). */
  dims?: readonly Dim[];
}

/** Where an initializer's bytes live outside the model. */
export interface ExternalData {
  /** The file holding them (absolute); the model names it relative to its external-data folder when serialized. */
  file: string;
  /** Byte offset of the tensor in that file. */
  offset: number;
  /** Byte length of the tensor. */
  length: number;
}

interface InitializerSpec {
  name: string;
  data: TensorData | ExternalData;
  dims: readonly number[];
  type: OnnxTypeCode;
}

/** Options for {@link GraphBuilder.node}. */
export interface NodeOptions {
  /** Number of outputs (default 1), or their explicit names. */
  outputs?: number | readonly string[];
  /** Operator domain (`""` = ai.onnx, `com.microsoft` for ONNX Runtime contrib ops). */
  domain?: string;
}

/** Options for {@link GraphBuilder.toModelBytes}. */
export interface ModelOptions {
  producerName?: string;
  producerVersion?: string;
  /** ai.onnx opset (default 17). */
  opset?: number;
  /** String metadata stored in the model (`metadata_props`). */
  metadata?: Record<string, string>;
  /** How external-data files are named relative to the folder ONNX Runtime is given (default: their base name). */
  externalLocation?: (file: string) => string;
}

function defaultType(data: TensorData): OnnxTypeCode {
  if (data instanceof Float32Array) return OnnxType.float;
  if (data instanceof Int32Array) return OnnxType.int32;
  if (data instanceof BigInt64Array) return OnnxType.int64;
  if (data instanceof Uint16Array) return OnnxType.float16;
  return OnnxType.uint8;
}

function writeTensor(w: ProtoWriter, t: InitializerSpec, locate: (file: string) => string = basename): void {
  w.packedVarints(1, t.dims);
  w.intField(2, t.type);
  if (t.name) w.stringField(8, t.name);
  if ("file" in t.data) {
    const { file, offset, length } = t.data;
    const location = locate(file);
    for (const [key, value] of [["location", location], ["offset", String(offset)], ["length", String(length)]]) {
      w.messageField(13, (entry) => entry.stringField(1, key).stringField(2, value));
    }
    w.intField(14, 1); // data_location = EXTERNAL
    return;
  }
  // raw_data is little-endian; typed arrays on every platform Deno runs on are too.
  w.bytesField(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeValueInfo(w: ProtoWriter, v: ValueSpec): void {
  w.stringField(1, v.name);
  w.messageField(2, (type) =>
    type.messageField(1, (tensor) => {
      tensor.intField(1, v.type);
      if (v.dims === undefined) return;
      tensor.messageField(2, (shape) => {
        for (const d of v.dims!) {
          shape.messageField(1, (dim) => typeof d === "number" ? dim.intField(1, d) : dim.stringField(2, d));
        }
      });
    }));
}

function writeAttribute(w: ProtoWriter, name: string, a: Attr): void {
  w.stringField(1, name);
  if ("i" in a) w.intField(3, a.i).intField(20, 2);
  else if ("f" in a) w.floatField(2, a.f).intField(20, 1);
  else if ("s" in a) w.stringField(4, a.s).intField(20, 3);
  else if ("ints" in a) w.packedVarints(8, a.ints).intField(20, 7);
  else if ("floats" in a) {
    for (const f of a.floats) w.floatField(7, f);
    w.intField(20, 6);
  } else {
    w.messageField(5, (t) => writeTensor(t, { name: "", ...a.t, type: a.t.type ?? defaultType(a.t.data) }));
    w.intField(20, 4);
  }
}

/**
 * Builds one ONNX graph. Value names are unique: nodes get `${scope}/${op}_${n}` names and outputs `${name}_output_${i}`.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder("double");
 * const x = g.input("x", OnnxType.float, ["n"]);
 * g.output(g.node("Add", [x, x]), OnnxType.float, ["n"], "y");
 * const bytes = g.toModelBytes();
 * ```
 */
export class GraphBuilder {
  readonly #nodes: NodeSpec[] = [];
  readonly #inputs: ValueSpec[] = [];
  readonly #outputs: ValueSpec[] = [];
  readonly #initializers: InitializerSpec[] = [];
  readonly #names = new Set<string>();
  readonly #scopes: string[] = [];
  #counter = 0;

  constructor(readonly name: string) {}

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`ONNX value name used twice: ${name}`);
    this.#names.add(name);
    return name;
  }

  /** Runs `build` with node names prefixed by `/${scope}` (nested scopes join with `/`). */
  scope<T>(scope: string, build: () => T): T {
    this.#scopes.push(scope);
    try {
      return build();
    } finally {
      this.#scopes.pop();
    }
  }

  /** A graph input. */
  input(name: string, type: OnnxTypeCode, dims: readonly Dim[]): string {
    this.#inputs.push({ name: this.#claim(name), type, dims });
    return name;
  }

  /** Makes `value` a graph output (`dims` undefined: shape left to inference), renamed to `name` through an Identity
   * node when they differ. */
  output(value: string, type: OnnxTypeCode, dims: readonly Dim[] | undefined, name = value): string {
    const out = name === value ? value : this.node("Identity", [value], {}, { outputs: [name] });
    this.#outputs.push({ name: out, type, dims });
    return out;
  }

  /** A constant tensor stored in the model. */
  initializer(name: string, data: TensorData, dims: readonly number[], type: OnnxTypeCode = defaultType(data)): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(`initializer ${name}: ${data.length} values for shape [${dims.join(", ")}]`);
    }
    this.#initializers.push({ name: this.#claim(name), data, dims, type });
    return name;
  }

  /**
   * A constant tensor whose bytes stay in another file (a safetensors shard, say): the model holds only the
   * reference, so multi-GB checkpoints build into small models without being read into JS memory.
   */
  externalInitializer(name: string, type: OnnxTypeCode, dims: readonly number[], data: ExternalData): string {
    this.#initializers.push({ name: this.#claim(name), data, dims, type });
    return name;
  }

  /** The distinct files external initializers refer to. */
  externalFiles(): string[] {
    return [...new Set(this.#initializers.flatMap((t) => ("file" in t.data ? [t.data.file] : [])))];
  }

  /** A small int64 constant (shapes, axes), named after the current scope. */
  ints(values: readonly number[], name?: string): string {
    return this.initializer(
      name ?? this.#scoped(`const_${this.#counter++}`),
      BigInt64Array.from(values, BigInt),
      [values.length],
    );
  }

  /** An int64 scalar constant. */
  intScalar(value: number): string {
    return this.initializer(this.#scoped(`const_${this.#counter++}`), BigInt64Array.of(BigInt(value)), []);
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.initializer(this.#scoped(`const_${this.#counter++}`), Float32Array.of(value), []);
  }

  #scoped(name: string): string {
    return this.#scopes.length === 0 ? `/${name}` : `/${this.#scopes.join("/")}/${name}`;
  }

  /** Adds a node; returns its first output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, options: NodeOptions = {}): string {
    return this.nodeOutputs(op, inputs, attrs, options)[0];
  }

  /** Adds a node; returns all its outputs' names. */
  nodeOutputs(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, Attr> = {},
    options: NodeOptions = {},
  ): string[] {
    const name = this.#scoped(`${op}_${this.#counter++}`);
    const spec = options.outputs ?? 1;
    const outputs = typeof spec === "number"
      ? Array.from({ length: spec }, (_, i) => this.#claim(`${name}_output_${i}`))
      : spec.map((o) => this.#claim(o));
    this.#nodes.push({ op, domain: options.domain ?? "", name, inputs, outputs, attrs });
    return outputs;
  }

  /** Serializes the graph as an ONNX `ModelProto` (IR version 8). */
  toModelBytes(options: ModelOptions = {}): Uint8Array {
    const { producerName = "saeflow", producerVersion = "", opset = 17, metadata = {}, externalLocation } = options;
    const domains = new Set(this.#nodes.map((n) => n.domain).filter((d) => d !== ""));
    const w = new ProtoWriter();
    w.intField(1, 8);
    w.stringField(2, producerName);
    if (producerVersion) w.stringField(3, producerVersion);
    w.messageField(7, (g) => {
      for (const n of this.#nodes) {
        g.messageField(1, (node) => {
          for (const i of n.inputs) node.stringField(1, i);
          for (const o of n.outputs) node.stringField(2, o);
          node.stringField(3, n.name);
          node.stringField(4, n.op);
          for (const [k, v] of Object.entries(n.attrs)) node.messageField(5, (a) => writeAttribute(a, k, v));
          if (n.domain) node.stringField(7, n.domain);
        });
      }
      g.stringField(2, this.name);
      for (const t of this.#initializers) g.messageField(5, (tw) => writeTensor(tw, t, externalLocation));
      for (const v of this.#inputs) g.messageField(11, (vw) => writeValueInfo(vw, v));
      for (const v of this.#outputs) g.messageField(12, (vw) => writeValueInfo(vw, v));
    });
    w.messageField(8, (o) => o.intField(2, opset));
    for (const d of domains) w.messageField(8, (o) => o.stringField(1, d).intField(2, 1));
    for (const [key, value] of Object.entries(metadata)) {
      w.messageField(14, (m) => m.stringField(1, key).stringField(2, value));
    }
    return w.finish();
  }
}
