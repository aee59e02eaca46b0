/**
 * trainSae, the loop around the trainer: it stops between steps when its signal fires even while every await
 * resolves as a microtask (a timer must get to run), writing the checkpoint first; a rerun replays the source and
 * resumes to the same bits; a source that runs dry is a DataError saying how far it got.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { resolveTrainingConfig, startTfjsBackend, trainSae } from "@saeflow/sae";
import { tempDir } from "../../helpers.ts";
import { mulberry32, standardNormal } from "../../random.ts";

await startTfjsBackend("wasm");

const D = 16;
const gaussian = standardNormal(mulberry32(9));
const batches = Array.from({ length: 400 }, () => Float32Array.from({ length: 256 * D }, () => gaussian()));
const config = resolveTrainingConfig({
  architecture: "topk",
  dIn: D,
  dSae: 64,
  k: 4,
  totalSteps: 400,
  batchSize: 256,
});

Deno.test("trainSae: a timer's abort stops it between steps (checkpoint written), and the rerun ends bit-identical", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/checkpoint.safetensors`;
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 150);
  // A plain array: every batch is there at once, so only the loop's own yields let the timer fire.
  await assert.rejects(
    trainSae({ config, batches, checkpoint: { path, every: 10_000 }, signal: controller.signal }),
    /stop/,
  );
  const resumed = await trainSae({ config, batches, checkpoint: { path, every: 10_000 } });
  assert.ok(resumed.resumedAt > 0 && resumed.resumedAt < 400, `stopped at step ${resumed.resumedAt}`);
  assert.equal(resumed.trainer.steps, 400);
  const straight = await trainSae({ config, batches });
  const [a, b] = [await resumed.trainer.toSpec({ id: "a" }), await straight.trainer.toSpec({ id: "b" })];
  for (const name of ["W_enc", "b_enc", "W_dec", "b_dec"] as const) {
    assert.deepEqual(
      (a.weights[name] as { data: Float32Array }).data,
      (b.weights[name] as { data: Float32Array }).data,
    );
  }
  resumed.trainer.dispose();
  straight.trainer.dispose();
});

Deno.test("trainSae: a source that runs dry is a DataError saying how many batches it gave", async () => {
  await assert.rejects(trainSae({ config, batches: batches.slice(0, 7) }), (e) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /ended after 7 batches \(7 of 400 steps done\)/);
    return true;
  });
});

Deno.test("trainSae: a checkpoint of a run on other data (another data key) is refused; so is a batch of the wrong size", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/checkpoint.safetensors`;
  const short = { ...config, totalSteps: 3 };
  (await trainSae({ config: short, batches, checkpoint: { path, every: 1, dataKey: "layer-1" } })).trainer.dispose();
  await assert.rejects(
    trainSae({ config: short, batches, checkpoint: { path, every: 1, dataKey: "layer-3" } }),
    (e) => e instanceof ConfigError && /other data \(data key layer-1 there, layer-3 now/.test(e.message),
  );
  const resumed = await trainSae({ config: short, batches, checkpoint: { path, every: 1, dataKey: "layer-1" } });
  assert.equal(resumed.steps, 0, "the same key resumes a finished run: nothing left to do");
  resumed.trainer.dispose();
  await assert.rejects(
    trainSae({ config: short, batches: [batches[0].subarray(0, 100 * D)] }),
    (e) => e instanceof DataError && /batch 1: 100 rows; expected the configured 256 rows/.test(e.message),
  );
});
