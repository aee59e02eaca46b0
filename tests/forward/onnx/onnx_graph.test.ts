import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { GraphBuilder, OnnxType } from "../../../modules/forward/onnx/onnx_builder.ts";
import { parseOnnxGraph } from "../../../modules/forward/onnx/onnx_graph.ts";
import { appendGraphOutputs } from "../../../modules/forward/onnx/graph_surgery.ts";
import { ProtoWriter } from "../../../modules/forward/onnx/proto_wire.ts";
import { tinyDecoder } from "./tiny_decoder.ts";

function smallModel(): Uint8Array {
  const g = new GraphBuilder("small");
  const x = g.input("x", OnnxType.float, ["batch", 4]);
  const w = g.initializer("w", Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [4, 2]);
  const h = g.scope("layer", () => g.node("MatMul", [x, w]));
  const y = g.node("Add", [h, h]);
  g.nodeOutputs("SkipSimplifiedLayerNormalization", [y, y, g.initializer("gamma", Float32Array.of(1, 1), [2])], {}, {
    domain: "com.microsoft",
    outputs: 4,
  });
  g.output(y, OnnxType.float, ["batch", 2], "y");
  return g.toModelBytes({ opset: 17 });
}

Deno.test("parseOnnxGraph reads opsets, typed inputs and outputs, nodes and initializers", () => {
  const graph = parseOnnxGraph(smallModel(), "small.onnx");
  assert.equal(graph.source, "small.onnx");
  assert.equal(graph.irVersion, 8);
  assert.equal(graph.name, "small");
  assert.deepEqual(graph.opsets, [{ domain: "", version: 17 }, { domain: "com.microsoft", version: 1 }]);
  assert.deepEqual(graph.inputs, [{ name: "x", elemType: OnnxType.float, dims: ["batch", 4] }]);
  assert.deepEqual(graph.outputs, [{ name: "y", elemType: OnnxType.float, dims: ["batch", 2] }]);
  assert.deepEqual(graph.initializers, [
    { name: "w", dims: [4, 2], dataType: OnnxType.float, external: false },
    { name: "gamma", dims: [2], dataType: OnnxType.float, external: false },
  ]);
  assert.deepEqual(graph.nodes.map((n) => [n.name, n.opType, n.domain]), [
    ["/layer/MatMul_0", "MatMul", ""],
    ["/Add_1", "Add", ""],
    ["/SkipSimplifiedLayerNormalization_2", "SkipSimplifiedLayerNormalization", "com.microsoft"],
    ["/Identity_3", "Identity", ""],
  ]);
  assert.deepEqual(graph.nodes[2].outputs.length, 4);
});

Deno.test("producer and consumers follow tensors through the graph", () => {
  const graph = parseOnnxGraph(smallModel(), "small.onnx");
  const add = graph.nodes[1];
  assert.equal(graph.producer(add.outputs[0]), add);
  assert.equal(graph.producer("x"), undefined, "graph inputs have no producer");
  assert.equal(graph.producer("w"), undefined, "initializers have no producer");
  assert.deepEqual(graph.consumers("x").map((n) => n.opType), ["MatMul"]);
  // Add reads the MatMul output twice but is one consumer; the fused norm and Identity read the sum.
  assert.deepEqual(graph.consumers("/layer/MatMul_0_output_0").map((n) => n.opType), ["Add"]);
  assert.deepEqual(graph.consumers(add.outputs[0]).map((n) => n.opType), [
    "SkipSimplifiedLayerNormalization",
    "Identity",
  ]);
  assert.deepEqual(graph.consumers("nothing"), []);
  assert.ok(graph.has("x") && graph.has("w") && graph.has(add.outputs[0]) && !graph.has("nothing"));
  assert.deepEqual(graph.typeOf("y"), { name: "y", elemType: OnnxType.float, dims: ["batch", 2] });
});

Deno.test("appended fragments merge into the graph the way protobuf (and ONNX Runtime) merge them", () => {
  const { model } = tinyDecoder();
  const before = parseOnnxGraph(model, "tiny.onnx");
  const extra = before.nodes[5].outputs[0];
  const after = parseOnnxGraph(
    appendGraphOutputs(model, [{ name: extra, elemType: OnnxType.float, dims: ["b", "s", 8] }], {
      nodes: [{ name: "added", opType: "Neg", inputs: [extra], outputs: ["negated"] }],
    }),
    "tiny+outputs.onnx",
  );
  assert.deepEqual(after.outputs.map((o) => o.name), ["logits", extra]);
  assert.deepEqual(after.outputs[1], { name: extra, elemType: OnnxType.float, dims: ["b", "s", 8] });
  assert.equal(after.nodes.length, before.nodes.length + 1);
  assert.equal(after.producer("negated")?.name, "added");
  assert.equal(after.name, before.name);
  assert.deepEqual(after.initializers, before.initializers);
});

Deno.test("parseOnnxGraph does not copy weights: a 256 MB initializer costs next to nothing", () => {
  const payload = new Uint8Array(256 * 2 ** 20);
  const w = new ProtoWriter();
  w.intField(1, 8);
  w.messageField(7, (g) => {
    g.messageField(1, (n) => n.stringField(1, "x").stringField(1, "big").stringField(2, "y").stringField(4, "Add"));
    g.messageField(
      5,
      (t) => t.packedVarints(1, [64, 2 ** 20]).intField(2, OnnxType.float).stringField(8, "big").bytesField(9, payload),
    );
  });
  const model = w.finish();
  const before = Deno.memoryUsage();
  const graph = parseOnnxGraph(model, "big.onnx");
  const after = Deno.memoryUsage();
  assert.equal(graph.initializers[0].dims.reduce((a, b) => a * b) * 4, payload.length);
  const grown = after.heapUsed + after.external - before.heapUsed - before.external;
  assert.ok(grown < 8 * 2 ** 20, `parsing grew memory by ${grown} bytes`);
});

Deno.test("bytes that are not an ONNX model give a DataError naming the file", () => {
  const model = tinyDecoder().model;
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated.onnx", model.subarray(0, Math.floor(model.length * 0.6)), /truncated or corrupted.*claims \d+ bytes/],
    ["cut-in-varint.onnx", model.subarray(0, 1), /truncated or corrupted.*truncated varint/],
    ["empty.onnx", new Uint8Array(0), /has no ir_version and no graph/],
    ["image.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /not an ONNX model/],
    ["notes.txt", new TextEncoder().encode("hello, this is plain text\n"), /not an ONNX model/],
  ];
  // Random bytes, several seeds: whatever fails first, the error is ours.
  let s = 12345;
  for (let seed = 0; seed < 20; seed++) {
    const bytes = Uint8Array.from({ length: 4096 }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24);
    cases.push([`random-${seed}.bin`, bytes, /not an ONNX model/]);
  }
  for (const [source, bytes, pattern] of cases) {
    assert.throws(() => parseOnnxGraph(bytes, source), (e) => {
      assert.ok(e instanceof DataError, `${source}: ${e}`);
      assert.equal(e.source, source);
      assert.match(e.message, new RegExp(`^${source.replace(".", "\\.")}: `));
      assert.match(e.message, pattern);
      assert.match(e.message, /expected .*ONNX ModelProto/);
      return true;
    });
  }
});

Deno.test("every truncation of a model is either a clean DataError or a shorter valid prefix", () => {
  const model = tinyDecoder({ layers: 1 }).model;
  let errors = 0;
  for (let cut = 0; cut < model.length; cut += 97) {
    try {
      parseOnnxGraph(model.subarray(0, cut), "cut.onnx");
    } catch (e) {
      assert.ok(e instanceof DataError, `cut at ${cut}: ${e}`);
      errors++;
    }
  }
  assert.ok(errors > 0);
});
