import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { appendGraphOutputs } from "../../../modules/forward/onnx/graph_surgery.ts";
import { GraphBuilder, OnnxType } from "../../../modules/forward/onnx/onnx_builder.ts";
import { parseOnnxGraph } from "../../../modules/forward/onnx/onnx_graph.ts";
import { locateResidualStream, type ResidualBlock } from "../../../modules/forward/onnx/residual_locator.ts";
import { rewriteModel } from "./model_rewrite.ts";
import { tinyDecoder, type TinyDecoderOptions, tokenIds } from "./tiny_decoder.ts";

const stripped = (b: ResidualBlock) => ({
  residPre: b.residPre,
  residMid: b.residMid,
  residPost: b.residPost,
  attnOut: b.attnOut,
  mlpOut: b.mlpOut,
});

function locate(options: TinyDecoderOptions) {
  const { model, blocks } = tinyDecoder(options);
  return { model, truth: blocks, located: locateResidualStream(parseOnnxGraph(model, "tiny.onnx")) };
}

/** Every residual tensor of every block, read in one run (with the nodes the locator asks to add). */
async function readAll(model: Uint8Array, blocks: ResidualBlock[]): Promise<Record<string, Float32Array>> {
  const names = [...new Set(blocks.flatMap((b) => [b.residPre, b.residMid!, b.residPost, b.attnOut!, b.mlpOut!]))];
  const nodes = blocks.flatMap((b) => b.nodes ?? []);
  const session = await ort.InferenceSession.create(
    appendGraphOutputs(model, names.map((name) => ({ name })), { nodes }),
  );
  const out = await session.run({ input_ids: new ort.Tensor("int64", tokenIds(2, 6), [2, 6]) });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("Optimum-named graph: blocks found by names, matching the builder's own record", () => {
  const { truth, located } = locate({ layers: 3 });
  assert.equal(located.length, 3);
  assert.ok(located.every((b, i) => b.via === "names" && b.layer === i && b.nodes === undefined));
  assert.deepEqual(located.map(stripped), truth);
  assert.match(located[1].residPost, /^\/model\/layers\.1\/Add_\d+_output_0$/);
});

Deno.test("the same graph with meaningless node names: found by topology, same tensors", () => {
  const named = locate({ layers: 4 });
  const opaque = locate({ layers: 4, names: "opaque" });
  assert.ok(opaque.located.every((b) => b.via === "topology"));
  assert.deepEqual(opaque.located.map(stripped), named.located.map(stripped));
  assert.deepEqual(opaque.located.map(stripped), opaque.truth);
});

Deno.test("names that do not match the topology are not trusted", () => {
  // Swap the names of each layer's two residual adds: the name convention says attention, the graph says MLP.
  const { model, blocks } = tinyDecoder({ layers: 2 });
  const swapped = rewriteModel(model, {
    nodeName: (name) => name.replace(/\/Add(_1)?$/, (_, one) => (one ? "/Add" : "/Add_1")),
  }).model;
  const located = locateResidualStream(parseOnnxGraph(swapped, "swapped.onnx"));
  assert.ok(located.every((b) => b.via === "topology"));
  assert.deepEqual(located.map(stripped), blocks);
});

Deno.test("fused SkipSimplifiedLayerNormalization graph: the residual sums are output 3 of the fused norms", () => {
  for (const names of ["optimum", "opaque"] as const) {
    const { truth, located } = locate({ layers: 3, fused: true, finalSum: true, names });
    assert.ok(located.every((b) => b.via === (names === "optimum" ? "names" : "topology")));
    assert.deepEqual(located.map(stripped), truth);
    assert.match(located[0].residMid!, /SkipSimplifiedLayerNormalization_\d+_output_3$/);
    assert.equal(located[2].nodes, undefined);
  }
});

Deno.test("fused graph whose final norm leaves its sum out: the last resid_post is recomputed by an added Add", () => {
  for (const names of ["optimum", "opaque"] as const) {
    const { truth, located } = locate({ layers: 3, fused: true, names });
    assert.equal(truth[2].residPost, undefined);
    assert.deepEqual(located.slice(0, 2).map(stripped), truth.slice(0, 2));
    const last = located[2];
    assert.equal(last.residPost, "saeflow/blocks.2.hook_resid_post");
    assert.deepEqual(last.nodes, [{
      name: "saeflow/blocks.2.hook_resid_post/Add",
      opType: "Add",
      inputs: [truth[2].mlpOut, truth[2].residMid],
      outputs: ["saeflow/blocks.2.hook_resid_post"],
    }]);
  }
});

Deno.test("fused and plain twins compute the same residual stream (located tensors, values compared)", async () => {
  const plain = locate({ layers: 3 });
  const fused = locate({ layers: 3, fused: true });
  const a = await readAll(plain.model, plain.located);
  const b = await readAll(fused.model, fused.located);
  const hooks = ["residPre", "attnOut", "residMid", "mlpOut", "residPost"] as const;
  let worst = 0, scale = 0;
  for (let layer = 0; layer < 3; layer++) {
    for (const hook of hooks) {
      const x = a[plain.located[layer][hook]!], y = b[fused.located[layer][hook]!];
      worst = Math.max(worst, maxDiff(x, y));
      scale = Math.max(scale, ...x.map(Math.abs));
    }
    // And within one graph, the stream adds up exactly (fp32 addition, as ORT does it).
    for (const [r, blk] of [[a, plain.located[layer]], [b, fused.located[layer]]] as const) {
      const [pre, attn, mid, mlp, post] = hooks.map((h) => r[blk[h]!]);
      assert.ok(pre.every((v, i) => Math.fround(v + attn[i]) === mid[i]), `layer ${layer} resid_mid`);
      assert.ok(mid.every((v, i) => Math.fround(v + mlp[i]) === post[i]), `layer ${layer} resid_post`);
    }
  }
  // Decomposed RMSNorm vs ORT's fused kernel: the same function up to float rounding.
  assert.ok(scale > 0.5, `values of size ${scale}`);
  assert.ok(worst < 1e-5 * Math.max(1, scale), `max difference ${worst}`);
});

Deno.test("graphs without a pre-norm residual stream give no blocks", () => {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", OnnxType.float, [1, 4]);
  const w = g.initializer("w", new Float32Array(16).fill(0.1), [4, 4]);
  // A skip connection without a norm (ResNet style), and `x + f(x)` inside GELU's tanh form.
  const skip = g.node("Add", [x, g.node("Relu", [g.node("MatMul", [x, w])])]);
  const cube = g.node("Mul", [g.node("Pow", [skip, g.scalar(3)]), g.scalar(0.044715)]);
  g.output(g.node("Tanh", [g.node("Add", [skip, cube])]), OnnxType.float, [1, 4], "y");
  assert.deepEqual(locateResidualStream(parseOnnxGraph(g.toModelBytes(), "mlp.onnx")), []);
});
