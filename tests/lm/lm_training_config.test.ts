/** The learning-rate schedule (warm-up, then cosine, linear or constant to the floor) and the config's checks. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { lmLearningRate, resolveLmTrainingConfig } from "@saeflow/lm";

Deno.test("lmLearningRate: linear warm-up, then the schedule from the peak to the floor at the last step", () => {
  const base = resolveLmTrainingConfig({
    totalSteps: 111,
    batchSize: 1,
    seqLen: 2,
    learningRate: 1e-2,
    warmupSteps: 10,
  });
  assert.equal(base.schedule, "cosine");
  assert.equal(base.minLearningRateRatio, 0.1);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-15, `${a} vs ${b}`);
  close(lmLearningRate(0, base), 1e-3);
  close(lmLearningRate(9, base), 1e-2);
  close(lmLearningRate(10, base), 1e-2); // the decay starts at the peak
  close(lmLearningRate(60, base), 1e-3 + 9e-3 * 0.5); // halfway: cosine is at half
  close(lmLearningRate(110, base), 1e-3);
  const linear = { ...base, schedule: "linear" as const };
  close(lmLearningRate(35, linear), 1e-3 + 9e-3 * 0.75);
  close(lmLearningRate(110, linear), 1e-3);
  const constant = { ...base, schedule: "constant" as const };
  close(lmLearningRate(110, constant), 1e-2);
  close(lmLearningRate(0, { ...base, warmupSteps: 0 }), 1e-2);
});

Deno.test("resolveLmTrainingConfig: impossible settings are ConfigErrors naming the key", () => {
  const base = { totalSteps: 10, batchSize: 2, seqLen: 8 };
  for (
    const bad of [
      { totalSteps: 0 },
      { seqLen: 1 },
      { learningRate: 0 },
      { minLearningRateRatio: 2 },
      { beta2: 1 },
      { gradClip: -1 },
      { seed: 1.5 },
      { schedule: "step" as never },
    ]
  ) {
    const key = Object.keys(bad)[0];
    assert.throws(
      () => resolveLmTrainingConfig({ ...base, ...bad }),
      (e) => e instanceof ConfigError && e.message.includes(key),
    );
  }
});
