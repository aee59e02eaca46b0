/**
 * Bad models, bad hooks and bad token batches: each fails with an error that names the file or record and says
 * what was expected.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, DataError } from "@saeflow/core";
import { loadDecoder, parseHooks } from "@saeflow/forward";
import { padBatch } from "@saeflow/tokenize";
import { sharedModel, tempDir } from "../helpers.ts";
import { writeCheckpoint } from "./fixtures/checkpoint_dir.ts";
import { gemma2Config, llamaConfig, randomCheckpoint } from "./reference/random_checkpoint.ts";

const STORIES = () => sharedModel("stories260K/stories260K.bin");

Deno.test("unknown hooks and layers past the model's depth are refused by name", async () => {
  assert.throws(() => parseHooks(["blocks.2.hook_resid_psot"], 5), /unknown hook "blocks.2.hook_resid_psot"; expected/);
  assert.throws(() => parseHooks(["resid_post"], 5), /unknown hook "resid_post"/);
  assert.throws(() => parseHooks(["blocks.1.hook_mlp_out", "blocks.1.hook_mlp_out"], 5), /requested twice/);
  await assert.rejects(
    loadDecoder(STORIES(), { hooks: ["blocks.5.hook_resid_post"] }),
    (e) =>
      e instanceof ConfigError && /asks for layer 5, but .*stories260K.bin has 5 layers \(0\.\.4\)/.test(e.message),
  );
});

Deno.test("a truncated llama2.c checkpoint names the file and the size its header implies", async () => {
  await using dir = await tempDir();
  const bytes = await Deno.readFile(STORIES());
  const path = join(dir.path, "cut.bin");
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 1000));
  await assert.rejects(
    loadDecoder(path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && e.message.startsWith(path) && /implies 1056540/.test(e.message),
  );
  await Deno.writeFile(path, bytes.subarray(0, 10));
  await assert.rejects(loadDecoder(path, { hooks: ["blocks.0.hook_resid_post"] }), /has 10 bytes; expected a llama2.c/);
});

Deno.test("config and weights that disagree (d_model mismatch) name the tensor and both shapes", async () => {
  await using dir = await tempDir();
  const config = llamaConfig({ num_hidden_layers: 1 });
  await writeCheckpoint(dir.path, { ...config, hidden_size: 96, head_dim: 16 }, randomCheckpoint(config, 1));
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) =>
      e instanceof DataError && e.message.includes("model.safetensors") &&
      /"model.embed_tokens.weight" has shape \[\d+, 64\].*expected \[\d+, 96\]/.test(e.message),
  );
});

Deno.test("a truncated model.safetensors, bad config.json and unknown architecture are named", async () => {
  await using dir = await tempDir();
  const config = gemma2Config({ num_hidden_layers: 1 });
  await writeCheckpoint(dir.path, config, randomCheckpoint(config, 1));
  const weights = join(dir.path, "model.safetensors");
  const bytes = await Deno.readFile(weights);
  await Deno.writeFile(weights, bytes.subarray(0, bytes.length - 4));
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && e.message.includes(weights) && /truncated/.test(e.message),
  );
  await Deno.writeTextFile(join(dir.path, "config.json"), "{ not json");
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && /config\.json: not valid JSON/.test(e.message),
  );
  await Deno.writeTextFile(join(dir.path, "config.json"), JSON.stringify({ ...config, model_type: "gpt2" }));
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    /model_type "gpt2" is not supported; expected "llama" or "gemma2"/,
  );
  await assert.rejects(loadDecoder(join(dir.path, "nowhere"), { hooks: [] }), /not found; expected a local path/);
});

Deno.test("rows longer than the context and ids outside the vocabulary name the record", async () => {
  const model = await loadDecoder(STORIES(), { hooks: ["blocks.0.hook_resid_post"] });
  try {
    const long = Array.from({ length: 513 }, () => 5);
    const records = [{ id: "short", text: "" }, { id: "too-long", text: "" }];
    await assert.rejects(
      model.run(padBatch([[1, 5], long], { padId: 0, hasBos: true, records })),
      (e) =>
        e instanceof DataError && /id "too-long"/.test(e.message) &&
        /513 tokens, longer than the model's context of 512/.test(e.message),
    );
    await assert.rejects(
      model.run(padBatch([[1, 512]], { padId: 0, hasBos: true, records: [records[0]] })),
      /id "short".*token id 512 at position 1 is outside the model's vocabulary/,
    );
  } finally {
    await model.release();
  }
});

Deno.test("cuda either starts or fails with how to enable it; fp16 on cpu and unknown providers are refused", async () => {
  const hooks = ["blocks.0.hook_resid_post"];
  try {
    await (await loadDecoder(STORIES(), { hooks, executionProvider: "cuda" })).release(); // a machine with the CUDA EP
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, /"cuda" could not start: .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
  }
  await assert.rejects(loadDecoder(STORIES(), { hooks, dtype: "fp16" }), /fp16 needs the cuda or webgpu/);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    loadDecoder(STORIES(), { hooks, executionProvider: "tpu" as any }),
    /unknown execution provider "tpu"/,
  );
});

Deno.test("token batches that are not right-padded as their lengths say, or pad outside the vocabulary, are refused", async () => {
  const model = await loadDecoder(STORIES(), { hooks: ["blocks.0.hook_resid_post"] });
  try {
    const records = [{ id: "left-padded", text: "" }];
    const batch = padBatch([[1, 5, 6]], { padId: 0, hasBos: true, records });
    batch.mask.set([0, 1, 1]);
    await assert.rejects(model.run(batch), /id "left-padded".*mask is 0 at position 0 of a row of length 3/);
    await assert.rejects(
      model.run(padBatch([[1, 5], [1]], { padId: 512, hasBos: true })),
      /pad id 512 is outside the model's vocabulary; expected 0\.\.511/,
    );
  } finally {
    await model.release();
  }
});

Deno.test("a llama2.c header with heads not divisible by kv heads is refused by name", async () => {
  await using dir = await tempDir();
  const bytes = (await Deno.readFile(STORIES())).slice();
  new Int32Array(bytes.buffer, 0, 7)[4] = 3; // n_kv_heads 3 for 8 heads
  const path = join(dir.path, "odd.bin");
  await Deno.writeFile(path, bytes);
  await assert.rejects(
    loadDecoder(path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && e.message.startsWith(path) && /n_heads a multiple of n_kv_heads/.test(e.message),
  );
});

Deno.test("config.json holding null and an index without weight_map are DataErrors naming the file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "config.json"), "null");
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && /config\.json: holds null, not a JSON object/.test(e.message),
  );
  const config = llamaConfig({ num_hidden_layers: 1 });
  await writeCheckpoint(dir.path, config, randomCheckpoint(config, 1));
  await Deno.remove(join(dir.path, "model.safetensors"));
  await Deno.writeTextFile(join(dir.path, "model.safetensors.index.json"), JSON.stringify({ shards: [] }));
  await assert.rejects(
    loadDecoder(dir.path, { hooks: ["blocks.0.hook_resid_post"] }),
    (e) => e instanceof DataError && /index\.json: "weight_map" is missing/.test(e.message),
  );
});

Deno.test("asking for nothing (no hooks, no logits) is refused; logits alone are fine", async () => {
  await assert.rejects(loadDecoder(STORIES(), { hooks: [] }), /nothing requested; give hooks/);
  const model = await loadDecoder(STORIES(), { hooks: [], logits: true });
  try {
    const { activations, logits } = await model.run(padBatch([[1, 403]], { padId: 0, hasBos: true }));
    assert.equal(activations.size, 0);
    assert.equal(logits!.length, 2 * 512);
  } finally {
    await model.release();
  }
});
