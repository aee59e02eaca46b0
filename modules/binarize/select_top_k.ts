/**
 * Feature selection as SAEBench's sparse probing does it: the k features whose class means differ most.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { checkSparseVector, type SparseVector } from "./sparse_vector.ts";

/** Options of {@linkcode selectTopKByMeanDifference}. */
export interface SelectTopKOptions {
  /** Width of the SAE: features are 0 .. dSae - 1. */
  dSae: number;
  /**
   * One-vs-rest: records labelled `positiveClass` are positive, all others negative. Without it labels must be 0 or 1
   * (1 positive).
   */
  positiveClass?: number;
}

/**
 * The `k` features with the largest |mean over positives − mean over negatives|, best first (so a prefix is the
 * selection for a smaller k), ties going to the lower feature id. Means are over all records, an absent feature
 * counting as 0, summed sparsely in float64 in record order. Pass the training split only. Values must be finite;
 * both classes must occur.
 *
 * @example
 * ```ts
 * const vectors = [
 *   { indices: new Int32Array([0, 2]), values: new Float32Array([1, 5]) },
 *   { indices: new Int32Array([0]), values: new Float32Array([1]) },
 * ];
 * selectTopKByMeanDifference(vectors, [1, 0], 1, { dSae: 3 }); // Int32Array [2]
 * ```
 */
export function selectTopKByMeanDifference(
  vectors: Iterable<SparseVector>,
  labels: ArrayLike<number>,
  k: number,
  options: SelectTopKOptions,
): Int32Array {
  const { dSae, positiveClass } = options;
  if (!Number.isInteger(dSae) || dSae <= 0) throw new ConfigError(`dSae must be a positive integer, got ${dSae}`);
  if (!Number.isInteger(k) || k < 0 || k > dSae) {
    throw new ConfigError(`selectTopKByMeanDifference: k must be an integer in [0, dSae = ${dSae}], got ${k}`);
  }
  const positiveSum = new Float64Array(dSae);
  const negativeSum = new Float64Array(dSae);
  let positives = 0;
  let negatives = 0;
  let r = 0;
  for (const vector of vectors) {
    const location = { row: r + 1 };
    if (r >= labels.length) {
      throw new DataError(
        "feature selection",
        location,
        `more vectors than the ${labels.length} labels`,
        "one label per vector",
      );
    }
    checkSparseVector(vector, dSae, "feature selection", location);
    const label = labels[r];
    let positive: boolean;
    if (positiveClass === undefined) {
      if (label !== 0 && label !== 1) {
        throw new DataError(
          "feature selection",
          location,
          `label ${label} is not binary`,
          "0 or 1 (or pass positiveClass for one-vs-rest)",
        );
      }
      positive = label === 1;
    } else positive = label === positiveClass;
    const sums = positive ? positiveSum : negativeSum;
    if (positive) positives++;
    else negatives++;
    const { indices, values } = vector;
    for (let i = 0; i < indices.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new DataError(
          "feature selection",
          location,
          `feature ${indices[i]} has value ${values[i]}`,
          "finite values",
        );
      }
      sums[indices[i]] += values[i];
    }
    r++;
  }
  if (r !== labels.length) {
    throw new DataError("feature selection", {}, `${r} vectors but ${labels.length} labels`, "one label per vector");
  }
  if (positives === 0 || negatives === 0) {
    throw new DataError(
      "feature selection",
      {},
      `${positives} positive and ${negatives} negative records`,
      "both classes present",
    );
  }
  const score = new Float64Array(dSae);
  for (let f = 0; f < dSae; f++) score[f] = Math.abs(positiveSum[f] / positives - negativeSum[f] / negatives);
  const order = new Int32Array(dSae);
  for (let f = 0; f < dSae; f++) order[f] = f;
  order.sort((a, b) => score[b] - score[a] || a - b);
  return order.slice(0, k);
}
