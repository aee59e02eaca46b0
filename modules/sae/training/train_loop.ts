/**
 * The training loop around {@link SaeTrainer}: batches in, a step each, checkpoints every so often, and an exact
 * resume. A resumed run replays its batch source from the start and skips the batches the checkpoint already
 * trained on, so the shuffle buffer draws the same rows and the result is bit-identical to a run never stopped (the
 * replay costs the source's time, not training time).
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { statIfExists } from "@saeflow/io";
import { SaeTrainer, type StepMetrics } from "./sae_trainer.ts";
import type { SaeTrainingConfig } from "./training_config.ts";

/** Options of {@link trainSae}. */
export interface TrainSaeOptions {
  config: SaeTrainingConfig;
  /** Training batches (`[batchSize, dIn]`), from the start of the run; enough for `config.totalSteps`. */
  batches: AsyncIterable<Float32Array> | Iterable<Float32Array>;
  /**
   * Where to keep the checkpoint, and how often (in steps) to write it; it is also written at the end and when the
   * run is stopped. `dataKey` (a hash of where the batches come from) must match for a checkpoint to be resumed.
   */
  checkpoint?: { path: string; every: number; dataKey?: string };
  /** Called (and awaited) after every step. */
  onStep?: (metrics: StepMetrics, trainer: SaeTrainer) => void | Promise<void>;
  /** Stops between steps; the checkpoint is written first, so the same call resumes. */
  signal?: AbortSignal;
}

/** What {@link trainSae} did. */
export interface TrainSaeResult {
  trainer: SaeTrainer;
  /** Steps restored from the checkpoint (0 for a fresh run). */
  resumedAt: number;
  /** Steps taken by this call, and the time they took (batch source included). */
  steps: number;
  seconds: number;
}

/**
 * Trains to `config.totalSteps` (resuming from `checkpoint.path` when it exists). The caller disposes the returned
 * trainer. A source that runs dry first is a DataError saying how many batches it gave.
 *
 * @example
 * ```ts
 * const { trainer } = await trainSae({ config, batches, checkpoint: { path: "out/checkpoint.safetensors", every: 500 } });
 * await saveSaeLens("out/sae", await trainer.toSpec({ id: "my-sae", hookName: "blocks.2.hook_resid_post" }));
 * ```
 */
export async function trainSae(
  { config, batches, checkpoint, onStep, signal }: TrainSaeOptions,
): Promise<TrainSaeResult> {
  if (checkpoint && !(Number.isInteger(checkpoint.every) && checkpoint.every > 0)) {
    throw new ConfigError(`checkpoint every ${checkpoint.every} steps: expected a positive integer`);
  }
  let trainer = checkpoint && (await statIfExists(checkpoint.path))?.isFile
    ? await SaeTrainer.resume(checkpoint.path, config, checkpoint.dataKey)
    : undefined;
  const resumedAt = trainer?.steps ?? 0;
  const started = performance.now();
  if (trainer && trainer.steps >= config.totalSteps) return { trainer, resumedAt, steps: 0, seconds: 0 };
  let seen = 0;
  let lastYield = performance.now();
  try {
    for await (const batch of batches) {
      seen++;
      if (seen <= resumedAt) continue;
      trainer ??= SaeTrainer.create(config, batch, checkpoint?.dataKey);
      lastYield = await letEventLoopRun(lastYield);
      signal?.throwIfAborted(); // the checkpoint is written on the way out
      const metrics = await trainer.step(batch);
      await onStep?.(metrics, trainer);
      if (checkpoint && trainer.steps % checkpoint.every === 0) await trainer.saveCheckpoint(checkpoint.path);
      if (trainer.steps >= config.totalSteps) break; // before the source is asked for a batch nobody needs
    }
    if (!trainer || trainer.steps < config.totalSteps) {
      throw new DataError(
        "SAE training data",
        {},
        `the batch source ended after ${seen} batches (${trainer?.steps ?? 0} of ${config.totalSteps} steps done)`,
        `at least ${config.totalSteps} batches of ${config.batchSize} rows`,
      );
    }
    if (checkpoint && trainer.steps % checkpoint.every !== 0) await trainer.saveCheckpoint(checkpoint.path);
    return { trainer, resumedAt, steps: trainer.steps - resumedAt, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    // Stopped (here, or while waiting for a batch from a source that saw the same signal and failed): the trainer is
    // between steps, so its state is worth keeping.
    if (signal?.aborted && trainer && checkpoint && trainer.steps > resumedAt) {
      await trainer.saveCheckpoint(checkpoint.path);
    }
    trainer?.dispose();
    throw error;
  }
}

/**
 * Lets timers and signal handlers run (Ctrl-C sets `signal` that way) at least every 100 ms: a wasm step and a
 * batch from memory resolve as microtasks only, which would starve them for the whole run.
 */
async function letEventLoopRun(last: number): Promise<number> {
  if (performance.now() - last < 100) return last;
  await new Promise((resolve) => setTimeout(resolve, 0));
  return performance.now();
}
