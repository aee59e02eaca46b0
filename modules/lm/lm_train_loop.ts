/**
 * The training loop around {@link LmTrainer}: a batch per step, a checkpoint every so often, and an exact resume.
 * Batches are a function of the step number ({@link ShuffledBatches}), so a resumed run starts at the checkpoint's
 * step and reads exactly the batches the stopped run would have read next: the result is bit-identical to a run
 * never stopped.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { statIfExists } from "@saeflow/io";
import type { LlamaConfig } from "./llama_config.ts";
import { type LmStepMetrics, LmTrainer } from "./lm_trainer.ts";
import type { LmTrainingConfig } from "./lm_training_config.ts";

/** Options of {@link trainLm}. */
export interface TrainLmOptions {
  modelConfig: LlamaConfig;
  config: LmTrainingConfig;
  /** The ids of the batch of step `step` (0-based), `[batchSize, seqLen]` row-major: `ShuffledBatches.batch`. */
  batch: (step: number) => Int32Array;
  /**
   * Where to keep the checkpoint, and how often (in steps) to write it; it is also written at the end and when the
   * run is stopped. `dataKey` (a hash of where the rows come from) must match for a checkpoint to be resumed.
   */
  checkpoint?: { path: string; every: number; dataKey?: string };
  /** Called (and awaited) after every step: logging, evaluation. */
  onStep?: (metrics: LmStepMetrics, trainer: LmTrainer) => void | Promise<void>;
  /** Stops between steps; the checkpoint is written first, so the same call resumes. */
  signal?: AbortSignal;
}

/** What {@link trainLm} did. */
export interface TrainLmResult {
  trainer: LmTrainer;
  /** Steps restored from the checkpoint (0 for a fresh run). */
  resumedAt: number;
  /** Steps taken by this call, and the time they took (the `onStep` callbacks included). */
  steps: number;
  seconds: number;
}

/**
 * Trains to `config.totalSteps`, resuming from `checkpoint.path` when it exists. The caller disposes the returned
 * trainer. Stopped by `signal`, it writes the checkpoint and rethrows the signal's reason.
 *
 * @example
 * ```ts
 * const batches = new ShuffledBatches(trainRows, { batchSize: config.batchSize, seed: config.seed });
 * const { trainer } = await trainLm({
 *   modelConfig, config, batch: (step) => batches.batch(step),
 *   checkpoint: { path: "out/checkpoint.safetensors", every: 200 },
 * });
 * ```
 */
export async function trainLm(
  { modelConfig, config, batch, checkpoint, onStep, signal }: TrainLmOptions,
): Promise<TrainLmResult> {
  if (checkpoint && !(Number.isInteger(checkpoint.every) && checkpoint.every > 0)) {
    throw new ConfigError(`checkpoint every ${checkpoint.every} steps: expected a positive integer`);
  }
  const trainer = checkpoint && (await statIfExists(checkpoint.path))?.isFile
    ? await LmTrainer.resume(checkpoint.path, modelConfig, config, checkpoint.dataKey)
    : LmTrainer.create(modelConfig, config, checkpoint?.dataKey);
  const resumedAt = trainer.steps;
  const started = performance.now();
  let lastYield = started;
  try {
    while (trainer.steps < config.totalSteps) {
      lastYield = await letEventLoopRun(lastYield);
      signal?.throwIfAborted(); // the checkpoint is written on the way out
      const metrics = await trainer.step(batch(trainer.steps));
      await onStep?.(metrics, trainer);
      if (checkpoint && trainer.steps % checkpoint.every === 0) await trainer.saveCheckpoint(checkpoint.path);
    }
    if (checkpoint && trainer.steps > resumedAt && trainer.steps % checkpoint.every !== 0) {
      await trainer.saveCheckpoint(checkpoint.path);
    }
    return { trainer, resumedAt, steps: trainer.steps - resumedAt, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    // Stopped between steps (or by onStep): the trainer's state is whole, and worth keeping.
    if (signal?.aborted && checkpoint && trainer.steps > resumedAt) await trainer.saveCheckpoint(checkpoint.path);
    trainer.dispose();
    throw error;
  }
}

/**
 * Lets timers and signal handlers run (Ctrl-C sets `signal` that way) at least every 100 ms: a wasm step resolves
 * as microtasks only, which would starve them for the whole run.
 */
async function letEventLoopRun(last: number): Promise<number> {
  if (performance.now() - last < 100) return last;
  await new Promise((resolve) => setTimeout(resolve, 0));
  return performance.now();
}
