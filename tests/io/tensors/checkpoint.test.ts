/** Checkpoint directories: one model.safetensors, or shards listed by model.safetensors.index.json. */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { openSafetensorsCheckpoint, writeSafetensors } from "@saeflow/io";
import { tempDir } from "../../helpers.ts";
import { bitsOf, pythonWriteSafetensors } from "./python_safetensors.ts";

const ramp = (n: number, from: number) => Float32Array.from({ length: n }, (_, i) => from + i / 4);

async function writeSharded(dir: string): Promise<void> {
  await writeSafetensors(`${dir}/model-00001-of-00002.safetensors`, {
    "embed.weight": { shape: [4, 3], data: ramp(12, 0) },
    "layers.0.w": { shape: [3, 3], data: ramp(9, 100) },
  });
  // The second shard comes from Python, BF16, with no padding: shards need not come from one writer.
  await pythonWriteSafetensors(`${dir}/model-00002-of-00002.safetensors`, [
    { name: "layers.1.w", dtype: "BF16", shape: [3, 3], values: [...ramp(9, 20)] },
    { name: "unlisted", dtype: "F32", shape: [1], values: [1] },
  ]);
  await Deno.writeTextFile(
    `${dir}/model.safetensors.index.json`,
    JSON.stringify({
      metadata: { total_size: 1234 },
      weight_map: {
        "embed.weight": "model-00001-of-00002.safetensors",
        "layers.0.w": "model-00001-of-00002.safetensors",
        "layers.1.w": "model-00002-of-00002.safetensors",
      },
    }),
  );
}

Deno.test("a sharded checkpoint reads every tensor of its weight_map from the right shard", async () => {
  await using dir = await tempDir();
  await writeSharded(dir.path);
  using weights = await openSafetensorsCheckpoint(dir.path);
  assert.equal(weights.source, dir.path);
  assert.deepEqual(weights.names().sort(), ["embed.weight", "layers.0.w", "layers.1.w"]);
  assert.deepEqual(weights.shape("layers.1.w"), [3, 3]);
  assert.equal(weights.shape("unlisted"), undefined, "only what the index lists");
  assert.deepEqual(await weights.readFloat32("embed.weight"), ramp(12, 0));
  assert.deepEqual(bitsOf(await weights.readFloat32("layers.1.w")), bitsOf(ramp(9, 20)), "exact in BF16");
  const entry = weights.entry("layers.1.w");
  assert.equal(entry.file, `${dir.path}/model-00002-of-00002.safetensors`);
  assert.equal(entry.dtype, "BF16");
  const onDisk = (await Deno.readFile(entry.file)).subarray(entry.begin, entry.end);
  assert.deepEqual(onDisk, await weights.read("layers.1.w"), "entry offsets are absolute in the shard file");
});

Deno.test("a single model.safetensors, or a .safetensors file given directly", async () => {
  await using dir = await tempDir();
  await writeSafetensors(`${dir.path}/model.safetensors`, { w: { shape: [2], data: Float32Array.of(1, 2) } });
  for (const path of [dir.path, `${dir.path}/model.safetensors`]) {
    using weights = await openSafetensorsCheckpoint(path);
    assert.deepEqual(weights.names(), ["w"]);
    assert.deepEqual(await weights.readFloat32("w"), Float32Array.of(1, 2));
    assert.equal(weights.entry("w").file, `${dir.path}/model.safetensors`);
  }
});

Deno.test("a missing tensor names the checkpoint, the tensor, and how many it has", async () => {
  await using dir = await tempDir();
  await writeSharded(dir.path);
  using weights = await openSafetensorsCheckpoint(dir.path);
  await assert.rejects(
    weights.readFloat32("lm_head.weight"),
    (error: Error) =>
      error instanceof DataError &&
      error.message === `${dir.path}: checkpoint has no tensor "lm_head.weight"; expected one of its 3 tensors`,
  );
  assert.throws(() => weights.entry("lm_head.weight"), DataError);
});

Deno.test("index problems name the index or shard: missing shard, tensor not in its shard, bad JSON", async () => {
  await using dir = await tempDir();
  await writeSharded(dir.path);
  const index = `${dir.path}/model.safetensors.index.json`;
  const original = JSON.parse(await Deno.readTextFile(index));

  await Deno.writeTextFile(
    index,
    JSON.stringify({ weight_map: { ...original.weight_map, x: "model-gone.safetensors" } }),
  );
  await assert.rejects(
    openSafetensorsCheckpoint(dir.path),
    (error: Error) =>
      error instanceof DataError &&
      error.message.startsWith(`${dir.path}/model-gone.safetensors: shard listed in ${index} not found`),
  );
  await Deno.writeTextFile(
    index,
    JSON.stringify({ weight_map: { ...original.weight_map, "lm_head": "model-00001-of-00002.safetensors" } }),
  );
  await assert.rejects(
    openSafetensorsCheckpoint(dir.path),
    (error: Error) =>
      error instanceof DataError &&
      error.message.startsWith(
        `${index}: weight_map puts tensor "lm_head" in model-00001-of-00002.safetensors, which has no such tensor`,
      ),
  );
  await Deno.writeTextFile(index, "{oops");
  await assert.rejects(
    openSafetensorsCheckpoint(dir.path),
    (error: Error) => error.message.startsWith(`${index}: not valid JSON (`) && error.message.includes("weight_map"),
  );
  await Deno.writeTextFile(index, '{"weight_map": ["a"]}');
  await assert.rejects(openSafetensorsCheckpoint(dir.path), /"weight_map" is missing or not an object/);
});

Deno.test("a directory without a checkpoint, or no directory at all, is a ConfigError naming it", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    openSafetensorsCheckpoint(dir.path),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message === `${dir.path}: no model.safetensors or model.safetensors.index.json; expected a Hugging Face ` +
          "checkpoint directory",
  );
  await writeSafetensors(`${dir.path}/sae_weights.safetensors`, {});
  await assert.rejects(openSafetensorsCheckpoint(dir.path), /it has sae_weights\.safetensors; pass one of them/);
  await assert.rejects(
    openSafetensorsCheckpoint(`${dir.path}/nope`),
    (error: Error) =>
      error instanceof ConfigError && error.message.startsWith(`${dir.path}/nope: checkpoint not found`),
  );
});
