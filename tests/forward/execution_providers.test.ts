/**
 * Execution providers: where WebGPU starts (a machine with a GPU), its hidden states match the CPU's; where it
 * cannot (this CPU-only machine), the error says so and how to get it. Either way the test checks something real.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { loadDecoder } from "@saeflow/forward";
import { padBatch } from "@saeflow/tokenize";
import { sharedModel } from "../helpers.ts";

const HOOK = "blocks.4.hook_resid_post";

Deno.test("webgpu either matches cpu or fails with a ConfigError that says what it needs", async () => {
  const path = sharedModel("stories260K/stories260K.bin");
  const tokens = padBatch([[1, 403, 407, 261, 378], [1, 403]], { padId: 0, hasBos: true });
  const cpu = await loadDecoder(path, { hooks: [HOOK] });
  const expected = (await cpu.run(tokens)).activations.get(HOOK)!;
  await cpu.release();
  let gpu;
  try {
    gpu = await loadDecoder(path, { hooks: [HOOK], executionProvider: "webgpu" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /"webgpu" could not start: .*GPU with a Vulkan driver/);
    return;
  }
  try {
    const actual = (await gpu.run(tokens)).activations.get(HOOK)!;
    for (let i = 0; i < 5 * 64; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-3, `value ${i}`);
  } finally {
    await gpu.release();
  }
});
