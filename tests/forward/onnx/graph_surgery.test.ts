import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { ConfigError, DataError } from "@saeflow/core";
import { appendGraphOutputs, graphFragment } from "../../../modules/forward/onnx/graph_surgery.ts";
import { parseOnnxGraph } from "../../../modules/forward/onnx/onnx_graph.ts";
import { loadSessionWithOutputs } from "../../../modules/forward/onnx/session_with_outputs.ts";
import { tempDir } from "../../helpers.ts";
import { rewriteModel } from "./model_rewrite.ts";
import { tinyDecoder, tokenIds } from "./tiny_decoder.ts";

const feeds = () => ({ input_ids: new ort.Tensor("int64", tokenIds(2, 5), [2, 5]) });

Deno.test("appendGraphOutputs keeps the model's bytes and adds a fragment after them", () => {
  const { model, blocks } = tinyDecoder();
  const outputs = [{ name: blocks[0].residPost! }, { name: blocks[1].residPost!, elemType: 1 }];
  const augmented = appendGraphOutputs(model, outputs);
  assert.deepEqual(augmented.subarray(0, model.length), model);
  assert.deepEqual(augmented.subarray(model.length), graphFragment(outputs));
  assert.ok(augmented.length - model.length < 200, `fragment of ${augmented.length - model.length} bytes`);
});

Deno.test("ONNX Runtime reads appended outputs (typed or not) and leaves the model's own outputs bit-identical", async () => {
  const { model, blocks } = tinyDecoder();
  const plain = await ort.InferenceSession.create(model);
  const expected = (await plain.run(feeds())).logits;
  for (const elemType of [undefined, 1]) {
    const names = blocks.flatMap((b) => [b.residPre, b.residMid, b.residPost!]);
    const unique = [...new Set(names)];
    const session = await ort.InferenceSession.create(
      appendGraphOutputs(model, unique.map((name) => ({ name, elemType }))),
    );
    assert.deepEqual(session.outputNames, ["logits", ...unique]);
    const out = await session.run(feeds());
    assert.deepEqual(out.logits.data, expected.data);
    for (const name of unique) assert.deepEqual(out[name].dims, [2, 5, 8]);
  }
});

Deno.test("appended nodes compute new tensors (ONNX Runtime sorts them into place)", async () => {
  const { model, blocks } = tinyDecoder();
  const { residMid, mlpOut, residPost } = blocks[0];
  const session = await ort.InferenceSession.create(
    appendGraphOutputs(model, [{ name: "recomputed" }, { name: residPost! }], {
      nodes: [{ name: "recompute", opType: "Add", inputs: [residMid, mlpOut], outputs: ["recomputed"] }],
    }),
  );
  const out = await session.run(feeds());
  assert.deepEqual(out.recomputed.data, out[residPost!].data);
});

Deno.test("loadSessionWithOutputs: unknown tensors are a ConfigError naming the file; outputs are not doubled", async () => {
  await using dir = await tempDir();
  const { model, blocks } = tinyDecoder();
  const path = `${dir.path}/model.onnx`;
  await Deno.writeFile(path, model);
  await assert.rejects(
    loadSessionWithOutputs(path, [blocks[0].residPost!, "/model/layers.9/Add_1_output_0"]),
    (e) =>
      e instanceof ConfigError && e.message.startsWith(`${path}: no tensor named "/model/layers.9/Add_1_output_0"`),
  );
  const session = await loadSessionWithOutputs(path, ["logits", blocks[0].residPost!, blocks[0].residPost!]);
  assert.deepEqual(session.outputNames, ["logits", blocks[0].residPost]);

  await Deno.writeFile(`${dir.path}/broken.onnx`, model.subarray(0, 100));
  await assert.rejects(
    loadSessionWithOutputs(`${dir.path}/broken.onnx`, []),
    (e) => e instanceof DataError && e.message.startsWith(`${dir.path}/broken.onnx: not an ONNX model`),
  );
});

Deno.test("external data: the appended model finds its weights through the model folder session option", async () => {
  await using dir = await tempDir();
  const { model, blocks } = tinyDecoder();
  const external = rewriteModel(model, { externalData: "model.onnx_data" });
  const path = `${dir.path}/model.onnx`;
  await Deno.writeFile(path, external.model);
  await Deno.writeFile(`${dir.path}/model.onnx_data`, external.data);

  const graph = parseOnnxGraph(external.model, path);
  const weights = graph.initializers.filter((t) => t.name.endsWith(".weight"));
  assert.equal(weights.length, 1 + 3 * 9 + 1 + 1);
  assert.ok(weights.every((t) => t.external && t.location === "model.onnx_data"));

  // Why the option: from bytes, ONNX Runtime looks for external files in the working directory, and refuses.
  await assert.rejects(ort.InferenceSession.create(external.model), /External data path .* does not exist/);

  const reference = await (await ort.InferenceSession.create(model)).run(feeds());
  const names = blocks.map((b) => b.residPost!);
  const session = await loadSessionWithOutputs(path, names);
  const out = await session.run(feeds());
  assert.deepEqual(out.logits.data, reference.logits.data);
  const inMemory = await (await ort.InferenceSession.create(appendGraphOutputs(model, names.map((name) => ({ name })))))
    .run(feeds());
  for (const name of names) assert.deepEqual(out[name].data, inMemory[name].data);
});
