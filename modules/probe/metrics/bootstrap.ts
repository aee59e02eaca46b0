/**
 * Percentile bootstrap confidence intervals over test rows. A resample is a vector of draw counts per row (how many
 * times each row was drawn), not a copied index array: memory is O(n) whatever the number of samples, and metrics
 * evaluate it in O(n) by weighting rows (ROC-AUC reuses one sort). Several metrics share each resample, so a
 * report gets accuracy, macro-F1 and ROC-AUC intervals from one set of draws.
 * @module
 */
import { ConfigError, mulberry32 } from "@saeflow/core";
import { checkLabels } from "./validate.ts";

/** One resample of the test rows: row `i` of yTrue/yPred counts `counts[i]` times (the counts sum to n). */
export interface Resample {
  yTrue: Int32Array;
  yPred: Int32Array;
  numClasses: number;
  counts: Int32Array;
}

/**
 * A metric of a resample; NaN where undefined on it (e.g. ROC-AUC of a resample missing a class). Built-ins:
 * {@linkcode accuracyMetric}, {@linkcode f1Metric}, {@linkcode rocAucMetric}.
 */
export type BootstrapMetric = (sample: Resample) => number;

/** Options of {@linkcode bootstrapCI}. */
export interface BootstrapOptions {
  /** Seed of the mulberry32 generator drawing the resamples: same seed, same intervals. */
  seed: number;
  /** Resamples drawn; default 1000. */
  samples?: number;
  /** Coverage of the interval; default 0.95. */
  level?: number;
  /**
   * Resample within each true class, keeping the class counts of the test split (default `true`). The protocol's
   * test split is itself stratified, so this mirrors how it was drawn, and a resample never loses a rare class
   * (which would make its recall and a one-vs-rest ROC-AUC undefined). `false`: plain resampling of all rows.
   */
  stratified?: boolean;
}

/** A bootstrap interval. Plain JSON: `null` where the metric is undefined. */
export interface BootstrapInterval {
  /** The metric on the test rows themselves. */
  estimate: number | null;
  lo: number | null;
  hi: number | null;
  level: number;
  /** Resamples drawn. */
  samples: number;
  /** Resamples where the metric was undefined (NaN), left out of the percentiles. */
  undefinedSamples: number;
  stratified: boolean;
  seed: number;
}

/**
 * Percentile bootstrap intervals of one metric, or of several named metrics evaluated on the same resamples.
 * The bounds are NumPy's default (linear) percentiles `(1 - level) / 2` and `(1 + level) / 2` of the resampled
 * values. Deterministic for a seed. Throws as {@linkcode classificationReport} on bad labels, ConfigError on bad
 * options.
 *
 * @example
 * ```ts
 * import { accuracyMetric, f1Metric, rocAucMetric } from "./bootstrap_metrics.ts";
 * const yTrue = Int32Array.from([0, 0, 1, 1, 2, 2]), yPred = Int32Array.from([0, 1, 1, 1, 2, 0]);
 * const proba = Float64Array.from([.8, .1, .1, .4, .5, .1, .2, .7, .1, .1, .8, .1, .1, .1, .8, .5, .2, .3]);
 * const metrics = { accuracy: accuracyMetric, macroF1: f1Metric(), rocAuc: rocAucMetric(proba) };
 * const ci = bootstrapCI(yTrue, yPred, 3, metrics, { seed: 42 });
 * ci.macroF1; // { estimate, lo, hi, level: 0.95, samples: 1000, undefinedSamples: 0, stratified: true, seed: 42 }
 * ```
 */
export function bootstrapCI(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  metric: BootstrapMetric,
  options: BootstrapOptions,
): BootstrapInterval;
export function bootstrapCI<Name extends string>(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  metrics: Record<Name, BootstrapMetric>,
  options: BootstrapOptions,
): Record<Name, BootstrapInterval>;
export function bootstrapCI(
  yTrue: Int32Array,
  yPred: Int32Array,
  numClasses: number,
  metrics: BootstrapMetric | Record<string, BootstrapMetric>,
  options: BootstrapOptions,
): BootstrapInterval | Record<string, BootstrapInterval> {
  checkLabels(yTrue, yPred, numClasses);
  const { seed, samples = 1000, level = 0.95, stratified = true } = options;
  if (!Number.isInteger(seed)) throw new ConfigError(`bootstrap seed must be an integer, got ${seed}`);
  if (!Number.isInteger(samples) || samples < 1) {
    throw new ConfigError(`bootstrap samples must be a positive integer, got ${samples}`);
  }
  if (!(level > 0 && level < 1)) throw new ConfigError(`bootstrap level must be in (0, 1), got ${level}`);

  const named = typeof metrics === "function" ? { metric: metrics } : metrics;
  const names = Object.keys(named);
  const n = yTrue.length;
  const counts = new Int32Array(n).fill(1);
  const sample: Resample = { yTrue, yPred, numClasses, counts };
  const estimates = names.map((name) => named[name](sample));
  const values = names.map(() => new Float64Array(samples));
  const draw = resampler(yTrue, numClasses, stratified, mulberry32(seed));
  for (let b = 0; b < samples; b++) {
    draw(counts);
    names.forEach((name, m) => (values[m][b] = named[name](sample)));
  }

  const intervals = names.map((_, m): BootstrapInterval => {
    const defined = values[m].filter((v) => !Number.isNaN(v)).sort();
    const bounds = defined.length === 0
      ? [null, null]
      : [percentile(defined, (1 - level) / 2), percentile(defined, (1 + level) / 2)];
    return {
      estimate: Number.isNaN(estimates[m]) ? null : estimates[m],
      lo: bounds[0],
      hi: bounds[1],
      level,
      samples,
      undefinedSamples: samples - defined.length,
      stratified,
      seed,
    };
  });
  return typeof metrics === "function"
    ? intervals[0]
    : Object.fromEntries(names.map((name, m) => [name, intervals[m]]));
}

/** A function refilling `counts` with one resample's draw counts. */
function resampler(
  yTrue: Int32Array,
  numClasses: number,
  stratified: boolean,
  uniform: () => number,
): (counts: Int32Array) => void {
  const n = yTrue.length;
  if (!stratified) {
    return (counts) => {
      counts.fill(0);
      for (let j = 0; j < n; j++) counts[Math.floor(uniform() * n)]++;
    };
  }
  // Rows grouped by true class (a counting sort): class c owns byClass[start[c] .. start[c + 1]].
  const start = new Int32Array(numClasses + 1);
  for (const t of yTrue) start[t + 1]++;
  for (let c = 0; c < numClasses; c++) start[c + 1] += start[c];
  const byClass = new Int32Array(n);
  const next = start.slice(0, numClasses);
  yTrue.forEach((t, i) => (byClass[next[t]++] = i));
  return (counts) => {
    counts.fill(0);
    for (let c = 0; c < numClasses; c++) {
      const size = start[c + 1] - start[c];
      for (let j = 0; j < size; j++) counts[byClass[start[c] + Math.floor(uniform() * size)]]++;
    }
  };
}

/** NumPy's `percentile(method="linear")` of ascending `sorted` at fraction `q`, with NumPy's two-sided lerp. */
function percentile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  if (i + 1 >= sorted.length) return sorted[sorted.length - 1];
  const a = sorted[i], b = sorted[i + 1], t = h - i;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
