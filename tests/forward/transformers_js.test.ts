import assert from "node:assert/strict";
import { AutoModelForCausalLM, Tensor } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { ConfigError, DataError } from "@saeflow/core";
import { hookTensors } from "../../modules/forward/onnx/hook_tensors.ts";
import { parseOnnxGraph } from "../../modules/forward/onnx/onnx_graph.ts";
import { loadSessionWithOutputs } from "../../modules/forward/onnx/session_with_outputs.ts";
import { loadTransformersJsWithHooks } from "../../modules/forward/transformers_js.ts";
import { tempDir } from "../helpers.ts";
import { TINY_LLAMA, writeTinyLlamaFolder } from "./fixtures/tiny_llama_kv.ts";

const HOOKS = [
  "blocks.1.hook_resid_post",
  "blocks.0.hook_resid_post",
  "blocks.1.hook_attn_out",
  "blocks.0.hook_resid_mid",
];
// Right-padded, as saeflow's token batches are.
const IDS = [[1, 5, 9, 3, 7], [1, 4, 12, 0, 0], [1, 2, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]];

const int64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), BigInt);

/** The feeds transformers.js gives the decoder: positions `cumsum(mask) - 1`, 1 on padding; an empty cache. */
function plainFeeds(layers: number): Record<string, ort.Tensor> {
  const [batch, seq] = [IDS.length, IDS[0].length];
  const positions = MASK.map((row) => {
    let n = 0;
    return row.map((m) => m ? n++ : 1);
  });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", int64(IDS), [batch, seq]),
    attention_mask: new ort.Tensor("int64", int64(MASK), [batch, seq]),
    position_ids: new ort.Tensor("int64", int64(positions), [batch, seq]),
  };
  for (let i = 0; i < layers; i++) {
    for (const kv of ["key", "value"]) {
      feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor("float32", new Float32Array(0), [
        batch,
        TINY_LLAMA.heads,
        0,
        TINY_LLAMA.headDim,
      ]);
    }
  }
  return feeds;
}

for (const externalData of [false, true]) {
  Deno.test(
    `transformers.js loading returns the hooks a plain ORT session computes, logits unchanged${
      externalData ? " (external data)" : ""
    }`,
    async () => {
      await using dir = await tempDir();
      const path = await writeTinyLlamaFolder(dir.path, { layers: 2, externalData });

      const hooked = await loadTransformersJsWithHooks(dir.path, HOOKS);
      try {
        const { activations, dModel, logits } = await hooked.run(IDS, MASK);
        assert.deepEqual([...activations.keys()], HOOKS);
        assert.equal(dModel, TINY_LLAMA.hidden);
        assert.equal(hooked.modelPath, path);

        // The same tensors from a plain ORT session on the same file, fed what transformers.js feeds.
        const { tensors, nodes } = hookTensors(parseOnnxGraph(await Deno.readFile(path), path), HOOKS);
        assert.deepEqual(hooked.tensors, tensors);
        const plain = await loadSessionWithOutputs(path, Object.values(tensors), {}, { nodes });
        const reference = await plain.run(plainFeeds(2));
        await plain.release();
        for (const hook of HOOKS) {
          const expected = reference[tensors[hook]].data as Float32Array;
          assert.equal(activations.get(hook)!.length, IDS.length * IDS[0].length * TINY_LLAMA.hidden);
          assert.deepEqual(activations.get(hook), expected, hook);
        }
        assert.deepEqual(logits, reference.logits.data);

        // Logits of the untouched transformers.js model: the surgery changes nothing transformers.js sees.
        const untouched = await AutoModelForCausalLM.from_pretrained(dir.path, {
          local_files_only: true,
          dtype: "fp32",
          device: "cpu",
        });
        const t = (rows: number[][]) => new Tensor("int64", int64(rows), [rows.length, rows[0].length]);
        const out = await untouched.forward({ input_ids: t(IDS), attention_mask: t(MASK) });
        await untouched.dispose();
        assert.deepEqual(logits, out.logits.data);
        assert.deepEqual(Object.keys(out), [
          "logits",
          "present.0.key",
          "present.0.value",
          "present.1.key",
          "present.1.value",
        ]);
      } finally {
        await hooked.release();
      }
    },
  );
}

Deno.test("transformers.js hooks: one row, and generation still runs on the hooked session", async () => {
  await using dir = await tempDir();
  await writeTinyLlamaFolder(dir.path, { layers: 2 });
  const hooked = await loadTransformersJsWithHooks(dir.path, ["blocks.0.hook_resid_post"]);
  try {
    const { activations } = await hooked.run([IDS[1].slice(0, 3)], [MASK[1].slice(0, 3)]);
    const batched = (await hooked.run(IDS, MASK)).activations.get("blocks.0.hook_resid_post")!;
    const D = TINY_LLAMA.hidden, T = IDS[0].length;
    const alone = activations.get("blocks.0.hook_resid_post")!;
    // Right padding: the real tokens of row 1 see what they see alone (up to float summation order).
    const row1 = batched.subarray(T * D, T * D + 3 * D);
    assert.ok(alone.every((v, i) => Math.abs(v - row1[i]) < 1e-5));

    const input_ids = new Tensor("int64", BigInt64Array.from([1n, 5n, 9n]), [1, 3]);
    const generated = await hooked.model.generate({ input_ids, max_new_tokens: 3, do_sample: false }) as Tensor;
    assert.deepEqual(generated.dims, [1, 6]);
  } finally {
    await hooked.release();
  }
});

Deno.test("transformers.js hooks: an unknown hook is the graph's ConfigError, raised before transformers.js loads", async () => {
  await using dir = await tempDir();
  const path = await writeTinyLlamaFolder(dir.path, { layers: 2 });
  // Without config.json transformers.js cannot load the folder: the hook errors below come first.
  await Deno.remove(`${dir.path}/config.json`);
  await assert.rejects(
    () => loadTransformersJsWithHooks(dir.path, ["blocks.0.hook_resid_post", "blocks.2.hook_resid_post"]),
    (e) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(
        e.message,
        `${path}: the graph has no hook "blocks.2.hook_resid_post": saeflow found 2 transformer blocks in it ` +
          `(layers 0-1, by names); hooks available: blocks.{0..1}.hook_{resid_pre,attn_out,resid_mid,mlp_out,resid_post}`,
      );
      return true;
    },
  );
  await assert.rejects(
    () => loadTransformersJsWithHooks(dir.path, ["blocks.0.hook_q"]),
    /unknown hook "blocks\.0\.hook_q"/,
  );
  await assert.rejects(
    () => loadTransformersJsWithHooks(dir.path, ["blocks.0.hook_resid_post"], { dtype: "q8" }),
    (e) => e instanceof ConfigError && /no onnx\/model_quantized\.onnx \(dtype q8\)/.test(e.message),
  );
  await assert.rejects(
    () => loadTransformersJsWithHooks(dir.path, ["blocks.0.hook_resid_post"]),
    (e) => e instanceof DataError && e.message.startsWith(`${dir.path}: transformers.js cannot load the model: `),
  );
});
