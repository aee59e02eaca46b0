/**
 * The best Gini split of every node at one depth, in one walk over the stored entries (all nodes of a level at
 * once: each entry is looked at once per level, so a level costs O(nnz x classes), whatever the width).
 *
 * Within a node a feature's values run: negatives, the zero block (absent entries and explicit zeros), positives.
 * Negatives are swept upwards (growing the left side), positives downwards (growing the right side), so the zero
 * block's counts are never needed per feature: they are the node's totals minus the two swept sides. A threshold
 * lies midway between consecutive distinct values, as in scikit-learn (values within 1e-7 count as one value, and
 * `a / 2 + b / 2` falls back to `a` when it rounds to `b`); rows with `value <= threshold` go left.
 *
 * Ties, documented because scikit-learn breaks them by a random feature permutation even with every feature: the
 * largest impurity decrease wins, then the lowest feature id, then the lowest threshold.
 * @module
 */
import type { FeatureSampler } from "./feature_sample.ts";
import type { SortedColumns } from "./sorted_columns.ts";

/** scikit-learn's FEATURE_THRESHOLD: closer values are one value. */
const FEATURE_THRESHOLD = 1e-7;

/** The nodes being split at one depth, numbered `0 .. count - 1`. */
export interface LevelNodes {
  count: number;
  /** Row → node number, or -1 for rows of nodes that are not split further. */
  nodeOf: Int32Array;
  /** Weighted class counts, `count x numClasses`, row-major. */
  totals: Float64Array;
  /** Rows per node. */
  samples: Int32Array;
  /** Weighted rows per node. */
  weights: Float64Array;
}

/** Per level node: the split feature (-1: no valid split) and its threshold. */
export interface LevelSplits {
  feature: Int32Array;
  threshold: Float64Array;
}

/**
 * Finds each node's best split. `classWeight[c]` is the weight of a row of class c; both sides of a split must keep
 * `minSamplesLeaf` rows. With a `sampler`, each node chooses among its sampled features only.
 */
export function findBestSplits(
  columns: SortedColumns,
  y: Int32Array,
  classWeight: Float64Array,
  level: LevelNodes,
  minSamplesLeaf: number,
  sampler?: FeatureSampler,
): LevelSplits {
  const C = classWeight.length, K = level.count;
  const { nodeOf, totals, samples, weights } = level;
  const { colPtr, entryRow, entryValue, zeroStart, positiveStart } = columns;
  // Per node, for the feature being walked: the swept negatives (low) and positives (high), and its best split.
  const seen = new Int32Array(K).fill(-1);
  const touched = new Int32Array(K);
  const lowCounts = new Float64Array(K * C), lowN = new Int32Array(K), lowW = new Float64Array(K);
  const highCounts = new Float64Array(K * C), highN = new Int32Array(K), highW = new Float64Array(K);
  const lowLast = new Float64Array(K), highFirst = new Float64Array(K);
  const varies = new Uint8Array(K), featureProxy = new Float64Array(K), featureThreshold = new Float64Array(K);
  const best: LevelSplits = { feature: new Int32Array(K).fill(-1), threshold: new Float64Array(K) };
  const bestProxy = new Float64Array(K).fill(-Infinity);

  /** A candidate of node k between values `lower` and `upper`; `side` holds the counts of either side. */
  const consider = (
    k: number,
    side: Float64Array,
    sideN: number,
    sideW: number,
    lower: number,
    upper: number,
  ): void => {
    varies[k] = 1;
    if (sideN < minSamplesLeaf || samples[k] - sideN < minSamplesLeaf) return;
    const otherW = weights[k] - sideW;
    let sqSide = 0, sqOther = 0;
    for (let c = k * C; c < k * C + C; c++) {
      const other = totals[c] - side[c];
      sqSide += side[c] * side[c];
      sqOther += other * other;
    }
    // scikit-learn's proxy for the impurity decrease: -(W_left * gini_left) - W_right * gini_right.
    const proxy = -sideW * (1 - sqSide / (sideW * sideW)) - otherW * (1 - sqOther / (otherW * otherW));
    if (proxy < featureProxy[k]) return;
    let threshold = lower / 2 + upper / 2;
    if (threshold === upper || !Number.isFinite(threshold)) threshold = lower;
    if (proxy > featureProxy[k] || threshold < featureThreshold[k]) {
      featureProxy[k] = proxy;
      featureThreshold[k] = threshold;
    }
  };

  // Starts node k's state for feature f, the first time one of its rows shows up in f's column.
  let f = 0, nTouched = 0;
  const touch = (k: number): void => {
    seen[k] = f;
    touched[nTouched++] = k;
    lowCounts.fill(0, k * C, k * C + C);
    highCounts.fill(0, k * C, k * C + C);
    lowN[k] =
      highN[k] =
      lowW[k] =
      highW[k] =
      varies[k] =
        0;
    featureProxy[k] = -Infinity;
    featureThreshold[k] = Infinity;
  };

  for (f = 0; f < columns.cols; f++) {
    nTouched = 0;
    for (let e = colPtr[f]; e < zeroStart[f]; e++) {
      const row = entryRow[e], k = nodeOf[row];
      if (k < 0) continue;
      if (seen[k] !== f) touch(k);
      const value = entryValue![e];
      if (lowN[k] > 0 && value > lowLast[k] + FEATURE_THRESHOLD) {
        consider(k, lowCounts, lowN[k], lowW[k], lowLast[k], value);
      }
      const w = classWeight[y[row]];
      lowCounts[k * C + y[row]] += w;
      lowN[k]++;
      lowW[k] += w;
      lowLast[k] = value;
    }
    for (let e = colPtr[f + 1] - 1; e >= positiveStart[f]; e--) {
      const row = entryRow[e], k = nodeOf[row];
      if (k < 0) continue;
      if (seen[k] !== f) touch(k);
      const value = entryValue ? entryValue[e] : 1;
      if (highN[k] > 0 && highFirst[k] > value + FEATURE_THRESHOLD) {
        consider(k, highCounts, highN[k], highW[k], value, highFirst[k]);
      }
      const w = classWeight[y[row]];
      highCounts[k * C + y[row]] += w;
      highN[k]++;
      highW[k] += w;
      highFirst[k] = value;
    }
    for (let t = 0; t < nTouched; t++) {
      const k = touched[t];
      // Candidates around the zero block, or between negatives and positives when it is empty.
      if (samples[k] - lowN[k] - highN[k] > 0) {
        if (lowN[k] > 0 && 0 > lowLast[k] + FEATURE_THRESHOLD) consider(k, lowCounts, lowN[k], lowW[k], lowLast[k], 0);
        if (highN[k] > 0 && highFirst[k] > FEATURE_THRESHOLD) {
          consider(k, highCounts, highN[k], highW[k], 0, highFirst[k]);
        }
      } else if (lowN[k] > 0 && highN[k] > 0 && highFirst[k] > lowLast[k] + FEATURE_THRESHOLD) {
        consider(k, lowCounts, lowN[k], lowW[k], lowLast[k], highFirst[k]);
      }
      if (!varies[k]) continue;
      if (sampler) sampler.offer(k, f, featureProxy[k], featureThreshold[k]);
      else if (featureProxy[k] > bestProxy[k]) {
        bestProxy[k] = featureProxy[k];
        best.feature[k] = f;
        best.threshold[k] = featureThreshold[k];
      }
    }
  }
  if (sampler) {
    for (let k = 0; k < K; k++) {
      const chosen = sampler.best(k);
      if (chosen) best.feature[k] = chosen.feature, best.threshold[k] = chosen.threshold;
    }
  }
  return best;
}
