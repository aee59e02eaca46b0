/**
 * Split options: the seed and the train / validation / test fractions, checked once.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** The splits saeflow assigns. Records that arrive with their own split keep its name, whatever it is. */
export type SplitName = "train" | "validation" | "test";

/** The seed and the fractions of a split; the fractions must sum to 1. */
export interface SplitOptions {
  /** Any safe integer; the same seed gives the same split everywhere. */
  seed: number;
  fractions: { train: number; validation?: number; test: number };
}

/**
 * MOSAIC's split: stratified 80/20 with seed 42.
 *
 * @example
 * ```ts
 * stratifiedSplit(records, MOSAIC_SPLIT); // Map id -> "train" | "test"
 * ```
 */
export const MOSAIC_SPLIT: SplitOptions = Object.freeze({
  seed: 42,
  fractions: Object.freeze({ train: 0.8, test: 0.2 }),
});

/**
 * MOSAIC's split where a validation set is needed: 10% of the 80% train as validation (72/8/20). The test split is
 * the same records as {@link MOSAIC_SPLIT}'s, because test is always cut first (see `stratifiedSplit`).
 */
export const MOSAIC_SPLIT_WITH_VALIDATION: SplitOptions = Object.freeze({
  seed: 42,
  fractions: Object.freeze({ train: 0.72, validation: 0.08, test: 0.2 }),
});

/** The fractions with validation made explicit, after checking them; throws a `ConfigError` naming the problem. */
export function checkSplitOptions(options: SplitOptions): { train: number; validation: number; test: number } {
  if (!Number.isSafeInteger(options.seed)) {
    throw new ConfigError(`split seed must be a safe integer, got ${options.seed}`);
  }
  const { train, validation = 0, test } = options.fractions;
  for (const [name, f] of [["train", train], ["validation", validation], ["test", test]] as const) {
    if (!Number.isFinite(f) || f < 0 || f > 1) {
      throw new ConfigError(`split fraction ${name} must be in [0, 1], got ${f}`);
    }
  }
  if (Math.abs(train + validation + test - 1) > 1e-9) {
    throw new ConfigError(
      `split fractions must sum to 1, got train ${train} + validation ${validation} + test ${test}`,
    );
  }
  return { train, validation, test };
}
