/**
 * SAE training on tfjs-webgpu (Deno's navigator.gpu; in CI mesa's software Vulkan adapter) takes the same steps as on
 * wasm: the same active latents and metrics, weights equal to float32 rounding. Where WebGPU cannot start, the
 * backend refuses with a ConfigError that says so.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { resolveTrainingConfig, SaeTrainer, startTfjsBackend, type TfjsBackend } from "@saeflow/sae";
import { mulberry32, standardNormal } from "../../random.ts";

const gaussian = standardNormal(mulberry32(3));
const batches = Array.from({ length: 6 }, () => Float32Array.from({ length: 256 * 16 }, () => 2 * gaussian()));

async function trainOn(backend: TfjsBackend, architecture: "topk" | "jumprelu") {
  await startTfjsBackend(backend);
  const config = resolveTrainingConfig({
    architecture,
    dIn: 16,
    dSae: 64,
    totalSteps: 6,
    batchSize: 256,
    k: 4,
    learningRate: 1e-2,
    warmupSteps: 0,
    deadAfterTokens: 512,
  });
  const trainer = SaeTrainer.create(config, batches[0]);
  try {
    const metrics = [];
    for (const batch of batches) metrics.push(await trainer.step(batch));
    const spec = await trainer.toSpec({ id: backend });
    return { metrics, decoder: (spec.weights.W_dec as { data: Float32Array }).data };
  } finally {
    trainer.dispose();
  }
}

Deno.test({
  name: "SaeTrainer on webgpu takes the steps it takes on wasm (or webgpu refuses with a ConfigError)",
  sanitizeResources: false, // the WebGPU device stays open for the process
  async fn() {
    try {
      await startTfjsBackend("webgpu");
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /webgpu/);
      console.log(`webgpu skipped: ${error.message}`);
      return;
    }
    for (const architecture of ["topk", "jumprelu"] as const) {
      const gpu = await trainOn("webgpu", architecture);
      const cpu = await trainOn("wasm", architecture);
      for (const [i, m] of gpu.metrics.entries()) {
        assert.equal(m.l0, cpu.metrics[i].l0, `${architecture} step ${i + 1}: L0`);
        assert.ok(Math.abs(m.fvu - cpu.metrics[i].fvu) < 1e-4, `${architecture} step ${i + 1}: FVU`);
      }
      let worst = 0;
      for (let i = 0; i < cpu.decoder.length; i++) worst = Math.max(worst, Math.abs(gpu.decoder[i] - cpu.decoder[i]));
      assert.ok(worst < 1e-4, `${architecture}: decoder differs by ${worst}`);
    }
    await startTfjsBackend("wasm");
  },
});
