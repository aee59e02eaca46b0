import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { ConfigError } from "@saeflow/core";
import { hookTensors } from "../../../modules/forward/onnx/hook_tensors.ts";
import { GraphBuilder, OnnxType } from "../../../modules/forward/onnx/onnx_builder.ts";
import { parseOnnxGraph } from "../../../modules/forward/onnx/onnx_graph.ts";
import { loadSessionWithOutputs } from "../../../modules/forward/onnx/session_with_outputs.ts";
import { tempDir } from "../../helpers.ts";
import { tinyDecoder, tokenIds } from "./tiny_decoder.ts";

Deno.test("hookTensors maps TransformerLens hook names to tensors, in the order asked", () => {
  const { model, blocks } = tinyDecoder({ layers: 3 });
  const graph = parseOnnxGraph(model, "tiny.onnx");
  const { tensors, nodes } = hookTensors(graph, [
    "blocks.2.hook_resid_post",
    "blocks.0.hook_resid_pre",
    "blocks.1.hook_attn_out",
    "blocks.1.hook_mlp_out",
    "blocks.1.hook_resid_mid",
    "blocks.2.hook_resid_pre",
  ]);
  assert.deepEqual(tensors, {
    "blocks.2.hook_resid_post": blocks[2].residPost,
    "blocks.0.hook_resid_pre": blocks[0].residPre,
    "blocks.1.hook_attn_out": blocks[1].attnOut,
    "blocks.1.hook_mlp_out": blocks[1].mlpOut,
    "blocks.1.hook_resid_mid": blocks[1].residMid,
    "blocks.2.hook_resid_pre": blocks[1].residPost,
  });
  assert.deepEqual(Object.keys(tensors)[0], "blocks.2.hook_resid_post");
  assert.deepEqual(nodes, []);
});

Deno.test("hookTensors brings the nodes a fused graph needs, and the session reads them", async () => {
  await using dir = await tempDir();
  const fused = tinyDecoder({ layers: 2, fused: true });
  const plain = tinyDecoder({ layers: 2 });
  const path = `${dir.path}/fused.onnx`;
  await Deno.writeFile(path, fused.model);
  const { tensors, nodes } = hookTensors(parseOnnxGraph(fused.model, path), [
    "blocks.1.hook_resid_post",
    "blocks.1.hook_resid_post",
    "blocks.0.hook_resid_post",
  ]);
  assert.equal(nodes.length, 1);
  const session = await loadSessionWithOutputs(path, Object.values(tensors), {}, { nodes });
  const feeds = { input_ids: new ort.Tensor("int64", tokenIds(1, 4), [1, 4]) };
  const out = await session.run(feeds);
  await Deno.writeFile(`${dir.path}/plain.onnx`, plain.model);
  const reference = await (await loadSessionWithOutputs(`${dir.path}/plain.onnx`, [plain.blocks[1].residPost!]))
    .run(feeds);
  const x = out[tensors["blocks.1.hook_resid_post"]].data as Float32Array;
  const y = reference[plain.blocks[1].residPost!].data as Float32Array;
  assert.ok(x.every((v, i) => Math.abs(v - y[i]) < 1e-5), "fused resid_post matches the plain graph's");
});

Deno.test("hooks the graph does not have: a ConfigError naming the file, the layers found and the hooks there are", () => {
  const graph = parseOnnxGraph(tinyDecoder({ layers: 3 }).model, "models/tiny.onnx");
  const cases: [string, RegExp][] = [
    [
      "blocks.3.hook_resid_post",
      /^models\/tiny\.onnx: the graph has no hook "blocks\.3\.hook_resid_post": saeflow found 3 transformer blocks in it \(layers 0-2, by names\); hooks available: blocks\.\{0\.\.2\}\.hook_\{resid_pre,attn_out,resid_mid,mlp_out,resid_post\}$/,
    ],
    ["blocks.0.hook_q", /^models\/tiny\.onnx: unknown hook "blocks\.0\.hook_q"; expected blocks\.\{layer\}\.hook_\{/],
    ["hook_resid_post", /unknown hook "hook_resid_post"/],
    ["blocks.-1.hook_resid_post", /unknown hook/],
  ];
  for (const [hook, pattern] of cases) {
    assert.throws(() => hookTensors(graph, ["blocks.0.hook_resid_post", hook]), (e) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("a graph without a residual stream says so", () => {
  const g = new GraphBuilder("conv");
  const x = g.input("x", OnnxType.float, [1, 4]);
  g.output(g.node("Relu", [x]), OnnxType.float, [1, 4], "y");
  const graph = parseOnnxGraph(g.toModelBytes(), "conv.onnx");
  assert.throws(
    () => hookTensors(graph, ["blocks.0.hook_resid_post"]),
    (e) =>
      e instanceof ConfigError &&
      /^conv\.onnx: the graph has no hook "blocks\.0\.hook_resid_post": saeflow found no residual stream/.test(
        e.message,
      ) && e.message.endsWith("hooks available: none"),
  );
});
