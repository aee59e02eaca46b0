/**
 * Which latents are dead (no firing for a window of tokens: AuxK's targets and a training diagnostic) and how often
 * each fired since the last report (dense latents fire on more than a tenth of tokens).
 * @module
 */

/** Dead/dense bookkeeping over the training stream, in O(dSae) memory. */
export class FeatureActivity {
  constructor(
    /** Per latent: tokens seen since it last fired. */
    readonly tokensSinceFired: Float64Array,
    /** Per latent: firings since the last {@link report}. */
    readonly firedSinceReport: Float64Array = new Float64Array(tokensSinceFired.length),
    public tokensSinceReport = 0,
  ) {}

  static fresh(dSae: number): FeatureActivity {
    return new FeatureActivity(new Float64Array(dSae));
  }

  /** Adds a batch of `rows` tokens where latent i fired `fired[i]` times. */
  add(fired: Float32Array, rows: number): void {
    for (let i = 0; i < fired.length; i++) {
      if (fired[i] > 0) this.tokensSinceFired[i] = 0;
      else this.tokensSinceFired[i] += rows;
      this.firedSinceReport[i] += fired[i];
    }
    this.tokensSinceReport += rows;
  }

  /** `[dSae]` 1 for latents silent for at least `window` tokens, and their count. */
  deadMask(window: number): { mask: Float32Array; count: number } {
    const mask = new Float32Array(this.tokensSinceFired.length);
    let count = 0;
    for (let i = 0; i < mask.length; i++) if (this.tokensSinceFired[i] >= window) mask[i] = 1, count++;
    return { mask, count };
  }

  /**
   * Fractions of latents that never fired since the last report (dead) and that fired on more than `denseAbove` of
   * its tokens (dense); starts a new report interval.
   */
  report(denseAbove = 0.1): { deadFraction: number; denseFraction: number; tokens: number } {
    const n = this.firedSinceReport.length;
    let dead = 0;
    let dense = 0;
    for (const fired of this.firedSinceReport) {
      if (fired === 0) dead++;
      else if (fired > denseAbove * this.tokensSinceReport) dense++;
    }
    const tokens = this.tokensSinceReport;
    this.firedSinceReport.fill(0);
    this.tokensSinceReport = 0;
    return { deadFraction: dead / n, denseFraction: dense / n, tokens };
  }
}
