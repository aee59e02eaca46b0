/**
 * The settings of a language-model training run besides the model's shape, with the defaults of small-GPT recipes
 * (nanoGPT, Pythia's smallest): AdamW with β = (0.9, 0.95), decoupled weight decay 0.1 on the matrices, gradients
 * clipped to global norm 1, a linear warm-up and a cosine decay to a tenth of the peak learning rate.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** How the learning rate falls after the warm-up. */
export const LR_SCHEDULES = ["cosine", "linear", "constant"] as const;
export type LrSchedule = typeof LR_SCHEDULES[number];

/** Every setting of the optimisation; checkpoints record it and a resumed run must match it. */
export interface LmTrainingConfig {
  totalSteps: number;
  /** Rows per step. */
  batchSize: number;
  /** Tokens per row. */
  seqLen: number;
  /** Peak learning rate. */
  learningRate: number;
  /** The learning rate at the last step, as a fraction of the peak (cosine and linear schedules). */
  minLearningRateRatio: number;
  warmupSteps: number;
  schedule: LrSchedule;
  /** AdamW's decoupled weight decay, applied to matrices (embeddings and projections), not to norm scales. */
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Gradients are scaled down to this global L2 norm when above it; 0 turns clipping off. */
  gradClip: number;
  /** Seeds the initialisation and the order of the rows. */
  seed: number;
}

const DEFAULTS = {
  learningRate: 1e-3,
  minLearningRateRatio: 0.1,
  warmupSteps: 100,
  schedule: "cosine",
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  epsilon: 1e-8,
  gradClip: 1,
  seed: 0,
} as const satisfies Partial<LmTrainingConfig>;

/**
 * `settings` completed with the defaults and checked; a ConfigError names the setting that cannot work.
 *
 * @example
 * ```ts
 * const config = resolveLmTrainingConfig({ totalSteps: 2000, batchSize: 16, seqLen: 128, learningRate: 3e-3 });
 * config.schedule; // "cosine"
 * ```
 */
export function resolveLmTrainingConfig(
  settings: Pick<LmTrainingConfig, "totalSteps" | "batchSize" | "seqLen"> & Partial<LmTrainingConfig>,
): LmTrainingConfig {
  const config: LmTrainingConfig = { ...DEFAULTS, ...settings };
  const check = (key: keyof LmTrainingConfig, ok: (v: number) => boolean, expected: string) => {
    const value = config[key];
    if (typeof value !== "number" || !ok(value)) {
      throw new ConfigError(`LM training: ${key} is ${JSON.stringify(value)}; expected ${expected}`);
    }
  };
  const positiveInteger = (v: number) => Number.isInteger(v) && v > 0;
  check("totalSteps", positiveInteger, "a positive integer");
  check("batchSize", positiveInteger, "a positive integer");
  check("seqLen", (v) => Number.isInteger(v) && v >= 2, "an integer of at least 2");
  check("learningRate", (v) => v > 0 && v < Infinity, "a positive number");
  check("minLearningRateRatio", (v) => v >= 0 && v <= 1, "a number in [0, 1]");
  check("warmupSteps", (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0");
  check("weightDecay", (v) => v >= 0 && v < Infinity, "a number ≥ 0");
  check("beta1", (v) => v >= 0 && v < 1, "a number in [0, 1)");
  check("beta2", (v) => v >= 0 && v < 1, "a number in [0, 1)");
  check("epsilon", (v) => v > 0 && v < Infinity, "a positive number");
  check("gradClip", (v) => v >= 0 && v < Infinity, "a number ≥ 0");
  check("seed", (v) => Number.isSafeInteger(v) && v >= 0, "an integer ≥ 0");
  if (!LR_SCHEDULES.includes(config.schedule)) {
    throw new ConfigError(`LM training: schedule "${config.schedule}"; expected one of ${LR_SCHEDULES.join(", ")}`);
  }
  return config;
}

/**
 * The learning rate of step `step` (0-based): linear warm-up to the peak over `warmupSteps` (the first step is
 * already `peak / warmupSteps`), then the schedule from the peak at the end of the warm-up down to
 * `minLearningRateRatio · peak` at the last step.
 *
 * @example
 * ```ts
 * lmLearningRate(0, config); // config.learningRate / config.warmupSteps
 * lmLearningRate(config.totalSteps - 1, config); // config.learningRate * config.minLearningRateRatio
 * ```
 */
export function lmLearningRate(
  step: number,
  config: Pick<
    LmTrainingConfig,
    "learningRate" | "minLearningRateRatio" | "warmupSteps" | "totalSteps" | "schedule"
  >,
): number {
  const { learningRate: peak, minLearningRateRatio: floor, warmupSteps, totalSteps, schedule } = config;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const span = totalSteps - 1 - warmupSteps;
  const progress = span > 0 ? Math.min(1, (step - warmupSteps) / span) : 0;
  const fall = schedule === "cosine"
    ? 0.5 * (1 + Math.cos(Math.PI * progress))
    : schedule === "linear"
    ? 1 - progress
    : 1;
  return peak * (floor + (1 - floor) * fall);
}
