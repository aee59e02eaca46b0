/**
 * Diagnostics of an SAE over a stream: mean L0 (active features per token), fraction of variance unexplained by its
 * reconstruction, and the features that never fired.
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
}

/** Accumulates diagnostics batch by batch in O(dSae + dIn) memory, whatever the stream's length. */
export class FeatureStats {
  #tokens = 0;
  #active = 0;
  #squaredError = 0;
  #measuredError = false;
  /** Some batch came without inputs: the FVU cannot be computed. */
  #unmeasured = false;
  readonly #fired: Uint8Array;
  readonly #sum: Float64Array;
  readonly #sumSquares: Float64Array;

  constructor(readonly dSae: number, readonly dIn: number) {
    this.#fired = new Uint8Array(dSae);
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
    for (const i of features.indices) this.#fired[i] = 1;
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
    const dead = this.#fired.length - this.#fired.reduce((a, b) => a + b, 0);
    return {
      tokens: n,
      meanL0: n === 0 ? 0 : this.#active / n,
      ...(this.#measuredError && !this.#unmeasured && n > 0 ? { fvu: this.#squaredError / variance } : {}),
      deadFeatures: dead,
      deadFraction: dead / this.dSae,
    };
  }
}
