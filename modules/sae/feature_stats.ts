/**
 * Diagnostics of an SAE over a stream: mean L0 (active features per token), fraction of variance unexplained by its
 * reconstruction, the features that never fired and those that fire on more than a tenth of tokens (dense).
 * @module
 */
import type { SparseFeatures } from "./sparse_features.ts";

/** A summary of {@link FeatureStats}. */
export interface FeatureSummary {
  tokens: number;
  /** Mean active features per token. */
  meanL0: number;
  /** Fraction of variance unexplained, `Σ‖x − x̂‖² / Σ‖x − mean(x)‖²`, when reconstructions were measured. */
  fvu?: number;
  /** Features that never fired. */
  deadFeatures: number;
  deadFraction: number;
  /** Features active on more than {@link DENSE_ABOVE} of the tokens. */
  denseFeatures: number;
  denseFraction: number;
}

/** A feature firing on more than this fraction of tokens is dense (SAEBench's and Gao et al.'s cut). */
export const DENSE_ABOVE = 0.1;

/** Accumulates diagnostics batch by batch in O(dSae + dIn) memory, whatever the stream's length. */
export class FeatureStats {
  #tokens = 0;
  #active = 0;
  #squaredError = 0;
  #measuredError = false;
  /** Some batch came without inputs: the FVU cannot be computed. */
  #unmeasured = false;
  /** Tokens each feature fired on. */
  readonly #fired: Float64Array;
  readonly #sum: Float64Array;
  readonly #sumSquares: Float64Array;

  constructor(readonly dSae: number, readonly dIn: number) {
    this.#fired = new Float64Array(dSae);
    this.#sum = new Float64Array(dIn);
    this.#sumSquares = new Float64Array(dIn);
  }

  /**
   * Adds a batch: its features and, when known, its input rows `x` (`[rows, dIn]`) and their squared reconstruction
   * errors (the FVU needs both, for every batch; fused encoders give neither, so they report L0 and dead features).
   */
  add(features: SparseFeatures, x?: Float32Array, sqError?: Float32Array): void {
    this.#tokens += features.rows;
    this.#active += features.indices.length;
    for (const i of features.indices) this.#fired[i]++;
    if (!x) {
      this.#unmeasured = true;
      return;
    }
    const { dIn } = this;
    for (let r = 0; r < features.rows; r++) {
      for (let d = 0; d < dIn; d++) {
        const v = x[r * dIn + d];
        this.#sum[d] += v;
        this.#sumSquares[d] += v * v;
      }
    }
    if (sqError) {
      this.#measuredError = true;
      for (const e of sqError) this.#squaredError += e;
    }
  }

  summary(): FeatureSummary {
    const n = this.#tokens;
    let variance = 0;
    for (let d = 0; d < this.dIn; d++) variance += this.#sumSquares[d] - (this.#sum[d] * this.#sum[d]) / n;
    const dead = this.#fired.filter((count) => count === 0).length;
    const dense = this.#fired.filter((count) => count > DENSE_ABOVE * n).length;
    return {
      tokens: n,
      meanL0: n === 0 ? 0 : this.#active / n,
      ...(this.#measuredError && !this.#unmeasured && n > 0 ? { fvu: this.#squaredError / variance } : {}),
      deadFeatures: dead,
      deadFraction: dead / this.dSae,
      denseFeatures: dense,
      denseFraction: dense / this.dSae,
    };
  }
}
