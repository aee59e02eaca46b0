/**
 * CART classification trees as scikit-learn's `DecisionTreeClassifier` grows them (Gini, best split over every
 * feature, the same stopping rules), grown one depth at a time so that each depth is one walk over the stored
 * entries: sparse inputs are never densified (memory O(nnz + rows), see `sortColumns`).
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { checkMatrix, type FeatureMatrix } from "../feature_matrix.ts";
import { DecisionTree, type TreeNodes } from "./decision_tree.ts";
import { FeatureSampler } from "./feature_sample.ts";
import { sortColumns, type SortedColumns } from "./sorted_columns.ts";
import { findBestSplits } from "./split_search.ts";

/** Options of {@link fitTree}; the defaults are scikit-learn's. */
export interface TreeOptions {
  /** No node deeper than this (the root is depth 0); omit to grow until leaves are pure or too small. */
  maxDepth?: number;
  /** A node with fewer rows is a leaf; default 2. */
  minSamplesSplit?: number;
  /** A split must leave at least this many rows on each side; default 1. */
  minSamplesLeaf?: number;
  /** `"balanced"`: a row of class c weighs `rows / (classes present * rows of class c)`; omit for weight 1. */
  classWeight?: "balanced";
  /** Consider a random subset of this many varying features per node; omit to consider all (deterministic). */
  maxFeatures?: number;
  /** Seed of the `maxFeatures` subsets; default 0. */
  seed?: number;
}

/**
 * Fits a tree to rows `X` with class ids `y` in `0 .. numClasses - 1`. Each node takes the split of largest Gini
 * decrease over all features (thresholds midway between consecutive distinct values, rows with `x <= threshold` go
 * left); ties go to the lowest feature id, then the lowest threshold, where scikit-learn draws a random feature order,
 * so the two can part at ties and nowhere else. A node is a leaf at `maxDepth`, below `minSamplesSplit` or
 * `2 * minSamplesLeaf` rows, when pure, or when no split keeps `minSamplesLeaf` rows a side. Throws a RangeError when
 * `y` and `X` differ in length or a label is out of range, a ConfigError for a single class, NaN or infinite values,
 * or bad options.
 *
 * @example
 * ```ts
 * const tree = fitTree(X, y, 2, { maxDepth: 5, minSamplesLeaf: 2 });
 * tree.predict(Xtest);
 * JSON.stringify(tree.toJSON());
 * ```
 */
export function fitTree(
  X: FeatureMatrix,
  y: Int32Array,
  numClasses: number,
  options: TreeOptions = {},
): DecisionTree {
  checkMatrix(X);
  return growTree(sortColumns(X), y, numClasses, options);
}

/** {@link fitTree} on columns already sorted (one sort shared by many fits); checks `y` and the options. */
export function growTree(
  columns: SortedColumns,
  y: Int32Array,
  numClasses: number,
  options: TreeOptions = {},
): DecisionTree {
  checkTreeInput(columns.rows, y, numClasses);
  const { maxDepth, minSamplesSplit, minSamplesLeaf, classWeight, maxFeatures, seed } = resolveOptions(
    options,
    columns.cols,
  );
  const C = numClasses, N = columns.rows;
  const weightOf = classWeights(y, C, classWeight);
  const nodes: TreeNodes = {
    feature: [],
    threshold: [],
    left: [],
    right: [],
    samples: [],
    weightedSamples: [],
    impurity: [],
    depth: [],
    value: [],
  };
  const addNode = (depth: number, value: Float64Array, samples: number, weight: number): number => {
    let squares = 0;
    for (const v of value) squares += v * v;
    nodes.feature.push(-1), nodes.threshold.push(NaN), nodes.left.push(-1), nodes.right.push(-1);
    nodes.samples.push(samples), nodes.weightedSamples.push(weight), nodes.depth.push(depth), nodes.value.push(value);
    nodes.impurity.push(1 - squares / (weight * weight));
    return nodes.feature.length - 1;
  };
  // scikit-learn's leaf rules; a node whose impurity is within rounding of 0 is pure.
  const splittable = (id: number): boolean =>
    nodes.depth[id] < maxDepth && nodes.samples[id] >= minSamplesSplit && nodes.samples[id] >= 2 * minSamplesLeaf &&
    nodes.impurity[id] > Number.EPSILON;

  const rootValue = new Float64Array(C);
  let rootWeight = 0;
  for (const c of y) rootValue[c] += weightOf[c], rootWeight += weightOf[c];
  addNode(0, rootValue, N, rootWeight);
  const rowNode = new Int32Array(N); // the node each row is in at the current depth, -1 once in a leaf
  for (let depth = 0, levelStart = 0;; depth++) {
    const levelEnd = nodes.feature.length;
    const ids: number[] = [];
    const local = new Int32Array(levelEnd - levelStart).fill(-1);
    for (let id = levelStart; id < levelEnd; id++) if (splittable(id)) local[id - levelStart] = ids.push(id) - 1;
    const K = ids.length;
    if (K === 0) break;
    const nodeOf = rowNode.map((id) => (id < 0 ? -1 : local[id - levelStart]));
    const totals = new Float64Array(K * C);
    ids.forEach((id, k) => totals.set(nodes.value[id], k * C));
    const splits = findBestSplits(
      columns,
      y,
      weightOf,
      {
        count: K,
        nodeOf,
        totals,
        samples: Int32Array.from(ids, (id) => nodes.samples[id]),
        weights: Float64Array.from(ids, (id) => nodes.weightedSamples[id]),
      },
      minSamplesLeaf,
      maxFeatures < columns.cols ? new FeatureSampler(maxFeatures, seed, Int32Array.from(ids)) : undefined,
    );
    const right = sendRight(columns, nodeOf, splits.feature, splits.threshold);
    // Children's class counts, row by row (as scikit-learn sums sample weights), left child before right.
    const childValue = new Float64Array(2 * K * C), childSamples = new Int32Array(2 * K);
    const childWeight = new Float64Array(2 * K);
    for (let r = 0; r < N; r++) {
      const k = nodeOf[r];
      if (k < 0 || splits.feature[k] < 0) continue;
      const child = 2 * k + right[r];
      childValue[child * C + y[r]] += weightOf[y[r]];
      childSamples[child]++;
      childWeight[child] += weightOf[y[r]];
    }
    const childId = new Int32Array(2 * K).fill(-1);
    for (let k = 0; k < K; k++) {
      if (splits.feature[k] < 0) continue;
      const id = ids[k];
      nodes.feature[id] = splits.feature[k];
      nodes.threshold[id] = splits.threshold[k];
      for (const side of [0, 1]) {
        const child = 2 * k + side;
        const value = childValue.slice(child * C, child * C + C);
        childId[child] = addNode(depth + 1, value, childSamples[child], childWeight[child]);
      }
      nodes.left[id] = childId[2 * k];
      nodes.right[id] = childId[2 * k + 1];
    }
    for (let r = 0; r < N; r++) rowNode[r] = nodeOf[r] < 0 ? -1 : childId[2 * nodeOf[r] + right[r]];
    levelStart = levelEnd;
  }
  return new DecisionTree(columns.cols, C, nodes);
}

/** Per row of a split node, 1 when it goes right (`value > threshold`); absent entries count as 0. */
function sendRight(columns: SortedColumns, nodeOf: Int32Array, feature: Int32Array, threshold: Float64Array) {
  const right = new Uint8Array(nodeOf.length);
  nodeOf.forEach((k, r) => {
    if (k >= 0 && feature[k] >= 0) right[r] = 0 > threshold[k] ? 1 : 0;
  });
  const { colPtr, entryRow, entryValue } = columns;
  for (const f of new Set(feature.filter((f) => f >= 0))) {
    for (let e = colPtr[f]; e < colPtr[f + 1]; e++) {
      const k = nodeOf[entryRow[e]];
      if (k >= 0 && feature[k] === f) right[entryRow[e]] = (entryValue ? entryValue[e] : 1) > threshold[k] ? 1 : 0;
    }
  }
  return right;
}

/** Weight of a row of each class: 1, or scikit-learn's "balanced" over the classes present. */
function classWeights(y: Int32Array, numClasses: number, classWeight: "balanced" | undefined): Float64Array {
  const weights = new Float64Array(numClasses).fill(1);
  if (classWeight !== "balanced") return weights;
  const counts = new Float64Array(numClasses);
  for (const c of y) counts[c]++;
  const present = counts.filter((n) => n > 0).length;
  return weights.map((_, c) => (counts[c] > 0 ? y.length / (present * counts[c]) : 0));
}

/** Throws a RangeError for labels that do not fit `rows` and `numClasses`, a ConfigError for a single class. */
function checkTreeInput(rows: number, y: Int32Array, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ConfigError(`numClasses ${numClasses}: a classification tree needs an integer >= 2`);
  }
  if (y.length !== rows) throw new RangeError(`${y.length} labels for ${rows} rows`);
  const seen = new Set<number>();
  for (let r = 0; r < y.length; r++) {
    if (!(y[r] >= 0 && y[r] < numClasses)) throw new RangeError(`label ${y[r]} of row ${r} outside [0, ${numClasses})`);
    seen.add(y[r]);
  }
  if (seen.size < 2) throw new ConfigError(`labels hold ${seen.size} class(es); a tree needs at least two`);
}

function resolveOptions(options: TreeOptions, cols: number) {
  const {
    maxDepth = Infinity,
    minSamplesSplit = 2,
    minSamplesLeaf = 1,
    classWeight,
    maxFeatures = cols,
    seed = 0,
  } = options;
  const integer = (name: string, value: number, min: number, max = Infinity) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`tree ${name} ${value}: expected an integer in [${min}, ${max}]`);
    }
  };
  if (maxDepth !== Infinity) integer("maxDepth", maxDepth, 1);
  integer("minSamplesSplit", minSamplesSplit, 2);
  integer("minSamplesLeaf", minSamplesLeaf, 1);
  integer("maxFeatures", maxFeatures, 1, cols);
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`tree seed ${seed}: expected a safe integer`);
  if (classWeight !== undefined && classWeight !== "balanced") {
    throw new ConfigError(`tree classWeight ${JSON.stringify(classWeight)}: expected "balanced" or none`);
  }
  return { maxDepth, minSamplesSplit, minSamplesLeaf, classWeight, maxFeatures, seed };
}
