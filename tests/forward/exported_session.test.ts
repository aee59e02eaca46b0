/**
 * Exported ONNX models through surgery: stories260K's graph exported with logits only (no hook outputs, node
 * names as the builder writes them) must give, once the residual stream is located by topology and made into
 * outputs, exactly the hidden states the directly-hooked graph returns.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import * as ort from "onnxruntime-node";
import {
  buildDecoderGraph,
  loadDecoder,
  outputAsFloat32,
  parseOnnxGraph,
  readLlama2cCheckpoint,
} from "@saeflow/forward";
import { padBatch } from "@saeflow/tokenize";
import { sharedModel, tempDir } from "../helpers.ts";

const HOOKS = [
  "blocks.0.hook_resid_pre",
  "blocks.1.hook_attn_out",
  "blocks.2.hook_mlp_out",
  "blocks.4.hook_resid_post",
];

Deno.test("an exported stories260K graph gives the same hooks as the graph built with them", async () => {
  await using dir = await tempDir();
  const path = sharedModel("stories260K/stories260K.bin");
  const { config, weights } = await readLlama2cCheckpoint(path);
  const exported = await buildDecoderGraph(config, weights, { hooks: [], logits: true });
  const file = join(dir.path, "model.onnx");
  await Deno.writeFile(file, exported.bytes);
  assert.deepEqual(parseOnnxGraph(exported.bytes, file).outputs.map((o) => o.name), ["logits"]);
  await Deno.writeTextFile(
    join(dir.path, "config.json"),
    JSON.stringify({ max_position_embeddings: 512, vocab_size: 512 }),
  );
  const tokens = padBatch([[1, 403, 407, 261, 378, 290], [1, 403, 407]], { padId: 0, hasBos: true });
  const direct = await loadDecoder(path, { hooks: HOOKS });
  const surgery = await loadDecoder(file, { hooks: HOOKS });
  try {
    assert.equal(surgery.info.format, "onnx");
    assert.equal(surgery.info.numLayers, 5);
    assert.equal(surgery.info.maxPositions, 512);
    const expected = await direct.run(tokens);
    const actual = await surgery.run(tokens);
    assert.equal(actual.dModel, 64);
    for (const hook of HOOKS) {
      const a = actual.activations.get(hook)!, e = expected.activations.get(hook)!;
      const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i])), 0);
      assert.ok(diff < 1e-6, `${hook}: max abs diff ${diff}`);
    }
    await assert.rejects(
      surgery.run(padBatch([new Array(513).fill(5)], { padId: 0, hasBos: false })),
      /longer than the model's context of 512/,
    );
  } finally {
    await direct.release();
    await surgery.release();
  }
  await assert.rejects(
    loadDecoder(file, { hooks: ["blocks.5.hook_resid_post"] }),
    (e) => e instanceof ConfigError && /asks for layer 5, but .*model.onnx has 5 layers/.test(e.message),
  );
});

Deno.test("float16 hook outputs (fp16 exports) are widened exactly; other types are refused by name", () => {
  const half = Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7bff); // 1, -2, the smallest subnormal, 65504
  const widened = outputAsFloat32(new ort.Tensor("float16", half, [4]), "blocks.0.hook_resid_post");
  assert.deepEqual(Array.from(widened), [1, -2, 2 ** -24, 65504]);
  const same = Float32Array.of(0.5);
  assert.equal(outputAsFloat32(new ort.Tensor("float32", same, [1]), "x"), same);
  assert.throws(
    () => outputAsFloat32(new ort.Tensor("int32", Int32Array.of(1), [1]), "blocks.0.hook_mlp_out"),
    /blocks\.0\.hook_mlp_out is a int32 tensor; expected float32 or float16/,
  );
});

Deno.test("exports: logits on request, config.json found beside or above onnx/, bad options and configs refused", async () => {
  await using dir = await tempDir();
  const { config, weights } = await readLlama2cCheckpoint(sharedModel("stories260K/stories260K.bin"));
  const exported = await buildDecoderGraph(config, weights, { hooks: [], logits: true });
  await Deno.mkdir(join(dir.path, "onnx"));
  const file = join(dir.path, "onnx", "model.onnx");
  await Deno.writeFile(file, exported.bytes);
  await Deno.writeTextFile(join(dir.path, "config.json"), JSON.stringify({ max_position_embeddings: 256 }));
  const model = await loadDecoder(file, { hooks: ["blocks.1.hook_resid_post"], logits: true });
  try {
    assert.equal(model.info.maxPositions, 256, "config.json above onnx/ is the model's");
    const out = await model.run(padBatch([[1, 403, 407]], { padId: 0, hasBos: true }));
    assert.equal(out.logits!.length, 3 * 512);
  } finally {
    await model.release();
  }
  await assert.rejects(
    loadDecoder(file, { hooks: ["blocks.1.hook_resid_post"], dtype: "fp16" }),
    (e) => e instanceof ConfigError && /dtype applies to graphs saeflow builds/.test(e.message),
  );
  await Deno.writeTextFile(join(dir.path, "onnx", "config.json"), "{ broken");
  await assert.rejects(
    loadDecoder(file, { hooks: ["blocks.1.hook_resid_post"] }),
    (e) => e instanceof DataError && /onnx\/config\.json: not valid JSON/.test(e.message),
  );
  // Outside an onnx/ folder, the parent's config.json belongs to something else and is not read.
  const loose = join(dir.path, "onnx", "loose");
  await Deno.mkdir(loose);
  await Deno.writeFile(join(loose, "model.onnx"), exported.bytes);
  const alone = await loadDecoder(join(loose, "model.onnx"), { hooks: ["blocks.0.hook_resid_post"] });
  assert.equal(alone.info.maxPositions, undefined);
  await alone.release();
});
