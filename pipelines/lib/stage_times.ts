/**
 * Wall time per pipeline stage, for the share-of-time lines of progress summaries and benchmarks.
 * @module
 */

/** Milliseconds spent in each named stage, in the order stages were first seen. */
export class StageTimes {
  readonly #ms = new Map<string, number>();

  /** Adds `ms` to `stage`. */
  add(stage: string, ms: number): void {
    this.#ms.set(stage, (this.#ms.get(stage) ?? 0) + ms);
  }

  /** Runs `work`, counting its time to `stage`. */
  measure<T>(stage: string, work: () => T): T {
    const start = performance.now();
    try {
      return work();
    } finally {
      this.add(stage, performance.now() - start);
    }
  }

  /** Awaits `work`, counting its time to `stage`. */
  async measureAsync<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(stage, performance.now() - start);
    }
  }

  /** Stage → milliseconds (rounded to 0.1 ms). */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#ms].map(([stage, ms]) => [stage, Math.round(ms * 10) / 10]));
  }

  /**
   * `forward 3.2 s (52%) · sae encode 4.3 s (71%) · …`: each stage's busy time and its share of `totalMs` of wall
   * time. Stages of a stream pipeline overlap (the model runs the next batch while the SAE encodes this one), so the
   * shares can add up past 100%.
   */
  shares(totalMs: number): string {
    return [...this.#ms].sort((a, b) => b[1] - a[1]).map(([stage, ms]) =>
      `${stage} ${(ms / 1000).toFixed(1)} s (${(100 * ms / totalMs).toFixed(0)}%)`
    )
      .join(" · ");
  }
}
