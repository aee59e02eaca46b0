/**
 * One LmTrainer step against a reference computed by hand from the model's own gradients: the reported loss and
 * global gradient norm, the clipping, and AdamW's first update with decoupled weight decay (none on norm scales).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { isNormWeight, type LlamaConfig, LlamaModel, LmTrainer, resolveLmTrainingConfig } from "@saeflow/lm";
import { startTfjsBackend } from "@saeflow/sae";

await startTfjsBackend("wasm");

const modelConfig: LlamaConfig = {
  vocabSize: 64,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  nKvHeads: 1,
  dFf: 32,
  maxSeqLen: 8,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tieEmbeddings: false,
};

Deno.test("LmTrainer.step: loss, global norm, clipping and AdamW's first update as computed by hand", async () => {
  const [batchSize, seqLen] = [4, 8];
  const lr = 1e-2;
  const config = resolveLmTrainingConfig({
    totalSteps: 10,
    batchSize,
    seqLen,
    learningRate: lr,
    warmupSteps: 0,
    schedule: "constant",
    weightDecay: 0.5,
    gradClip: 0.05,
    seed: 9,
  });
  const ids = Int32Array.from({ length: batchSize * seqLen }, (_, i) => (i * 37 + 5) % 64);
  const reference = LlamaModel.init(modelConfig, 9);
  const before = await reference.toParams();
  const { loss, grads } = reference.lossAndGrads(ids, new Uint8Array(ids.length).fill(1), batchSize, seqLen);
  const expectedLoss = (await loss.data())[0];
  const gradValues = new Map<string, Float32Array>();
  let squares = 0;
  for (const [name, g] of Object.entries(grads)) {
    const data = Float32Array.from(await g.data() as Float32Array);
    gradValues.set(name, data);
    for (const x of data) squares += x * x;
  }
  tf.dispose([loss, ...Object.values(grads)]);
  reference.dispose();

  const trainer = LmTrainer.create(modelConfig, config);
  try {
    const metrics = await trainer.step(ids);
    assert.equal(metrics.step, 1);
    assert.equal(metrics.tokens, batchSize * seqLen);
    assert.equal(metrics.loss, expectedLoss);
    assert.equal(metrics.gradNorm, Math.sqrt(squares));
    assert.ok(metrics.gradNorm > 0.05, "the clip applies");
    const scale = Math.fround(0.05 / (metrics.gradNorm + 1e-6));
    const after = await trainer.toParams();
    let maxDiff = 0;
    for (const [name, { data }] of Object.entries(after)) {
      const g = gradValues.get(name)!;
      const decay = isNormWeight(name) ? 1 : 1 - lr * 0.5;
      for (let i = 0; i < data.length; i++) {
        // first step: m̂ = g', v̂ = g'², so the Adam step is lr · g' / (|g'| + ε), g' the clipped gradient
        const clipped = g[i] * scale;
        const expected = before[name].data[i] * decay - (lr * clipped) / (Math.abs(clipped) + 1e-8);
        maxDiff = Math.max(maxDiff, Math.abs(data[i] - expected));
      }
    }
    assert.ok(maxDiff < 1e-6, `max |trainer − reference| ${maxDiff}`);
  } finally {
    trainer.dispose();
  }
});
