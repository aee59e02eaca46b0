/**
 * Per-feature thresholds: a quantile of each feature's values over the training records, zeros included.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { checkQuantile } from "./binarize_spec.ts";
import { checkSparseVector, type SparseVector } from "./sparse_vector.ts";

/** Options of {@linkcode fitQuantileThresholds} and {@linkcode QuantileThresholdFitter}. */
export interface QuantileThresholdOptions {
  /**
   * A feature non-zero in fewer than `minCount` training records gets threshold `+Infinity` (never active): too rare
   * to have a distribution worth a quantile. Default 0 (every feature gets its quantile; one never seen in training
   * gets 0, i.e. presence).
   */
  minCount?: number;
}

/**
 * Fits per-feature thresholds record by record, so a training split can be streamed. Memory is proportional to the
 * number of non-zero training values (8 bytes each while adding, 4 more while finishing) plus `dSae`, never
 * records x dSae.
 *
 * Each feature's distribution is its value in every training record, a record where it is absent counting as 0.
 * The quantile is NumPy's default (`method="linear"`, Hyndman & Fan type 7): with the n values sorted, h = (n - 1) q,
 * the result interpolates between the values at ranks floor(h) and floor(h) + 1 with NumPy's `_lerp`, in float64 from
 * the float32 values, then rounds to float32. A quantile below 0 (possible only with negative values) is clamped to 0,
 * since a negative threshold would make every absent feature active.
 *
 * @example
 * ```ts
 * const fitter = new QuantileThresholdFitter(4, 0.5);
 * fitter.add({ indices: new Int32Array([1]), values: new Float32Array([2]) });
 * fitter.add({ indices: new Int32Array([1, 2]), values: new Float32Array([4, 1]) });
 * fitter.add({ indices: new Int32Array([]), values: new Float32Array([]) });
 * fitter.finish(); // Float32Array [0, 2, 0, 0]: feature 1 over (2, 4, 0) has median 2
 * ```
 */
export class QuantileThresholdFitter {
  readonly dSae: number;
  readonly quantile: number;
  readonly minCount: number;
  #records = 0;
  #nnz = 0;
  #features = new Int32Array(1024);
  #values = new Float32Array(1024);
  #counts: Int32Array;

  constructor(dSae: number, quantile: number, options: QuantileThresholdOptions = {}) {
    if (!Number.isInteger(dSae) || dSae <= 0) throw new ConfigError(`dSae must be a positive integer, got ${dSae}`);
    checkQuantile(quantile, "fitQuantileThresholds");
    const minCount = options.minCount ?? 0;
    if (!Number.isInteger(minCount) || minCount < 0) {
      throw new ConfigError(`fitQuantileThresholds: minCount must be a non-negative integer, got ${minCount}`);
    }
    this.dSae = dSae;
    this.quantile = quantile;
    this.minCount = minCount;
    this.#counts = new Int32Array(dSae);
  }

  /** Training records added so far. */
  get records(): number {
    return this.#records;
  }

  /** Adds one training record. Values must be finite (a {@linkcode DataError} names the record otherwise). */
  add(vector: SparseVector): void {
    const location = { row: this.#records + 1 };
    checkSparseVector(vector, this.dSae, "training split", location);
    const { indices, values } = vector;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new DataError(
          "training split",
          location,
          `feature ${indices[i]} has value ${values[i]}`,
          "finite values to fit thresholds on",
        );
      }
    }
    if (this.#nnz + values.length > this.#features.length) {
      const capacity = Math.max(this.#features.length * 2, this.#nnz + values.length);
      const features = new Int32Array(capacity);
      features.set(this.#features.subarray(0, this.#nnz));
      const stored = new Float32Array(capacity);
      stored.set(this.#values.subarray(0, this.#nnz));
      this.#features = features;
      this.#values = stored;
    }
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) continue; // a stored zero is the same as an absent feature
      this.#features[this.#nnz] = indices[i];
      this.#values[this.#nnz++] = values[i];
      this.#counts[indices[i]]++;
    }
    this.#records++;
  }

  /** The fitted thresholds, one per feature. The fitter may keep adding records afterwards. */
  finish(): Float32Array {
    const n = this.#records;
    if (n === 0) throw new DataError("training split", {}, "no records to fit thresholds on", "at least one record");
    const counts = this.#counts;
    const starts = new Int32Array(this.dSae + 1);
    for (let f = 0; f < this.dSae; f++) starts[f + 1] = starts[f] + counts[f];
    const next = starts.slice(0, this.dSae);
    const byFeature = new Float32Array(this.#nnz);
    for (let i = 0; i < this.#nnz; i++) byFeature[next[this.#features[i]]++] = this.#values[i];
    const thresholds = new Float32Array(this.dSae);
    for (let f = 0; f < this.dSae; f++) {
      const c = counts[f];
      if (c < this.minCount) {
        thresholds[f] = Infinity;
        continue;
      }
      if (c === 0) continue; // all zeros: quantile 0
      const sorted = byFeature.subarray(starts[f], starts[f + 1]).sort();
      thresholds[f] = Math.max(0, quantileWithZeros(sorted, n, this.quantile));
    }
    return thresholds;
  }
}

/**
 * NumPy's linear quantile of n values: the sorted non-zero `sorted` values plus n - sorted.length zeros (which sort
 * after the negatives and before the positives).
 */
function quantileWithZeros(sorted: Float32Array, n: number, q: number): number {
  const zeros = n - sorted.length;
  let negatives = 0;
  while (negatives < sorted.length && sorted[negatives] < 0) negatives++;
  const at = (rank: number) => rank < negatives ? sorted[rank] : rank < negatives + zeros ? 0 : sorted[rank - zeros];
  const h = (n - 1) * q;
  if (h >= n - 1) return at(n - 1);
  const lo = Math.floor(h);
  const t = h - lo;
  const a = at(lo);
  const b = at(lo + 1);
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Per-feature thresholds at `quantile` from the training records only (pass the train split: thresholds fitted on
 * test records would leak). See {@linkcode QuantileThresholdFitter} for the definition; this is its one-shot form.
 *
 * @example
 * ```ts
 * const train = [
 *   { indices: new Int32Array([0]), values: new Float32Array([3]) },
 *   { indices: new Int32Array([0]), values: new Float32Array([1]) },
 * ];
 * fitQuantileThresholds(train, 2, 0.5); // Float32Array [2, 0]
 * ```
 */
export function fitQuantileThresholds(
  vectors: Iterable<SparseVector>,
  dSae: number,
  quantile: number,
  options: QuantileThresholdOptions = {},
): Float32Array {
  const fitter = new QuantileThresholdFitter(dSae, quantile, options);
  for (const vector of vectors) fitter.add(vector);
  return fitter.finish();
}
