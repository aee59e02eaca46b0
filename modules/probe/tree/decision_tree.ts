/**
 * A fitted classification tree: prediction, class probabilities, Gini importances and a readable JSON form, each as
 * scikit-learn's `DecisionTreeClassifier` computes them.
 * @module
 */
import { checkMatrix, type FeatureMatrix } from "../feature_matrix.ts";

/** The nodes of a tree, breadth first: the root is 0 and every depth's nodes come before the next depth's. */
export interface TreeNodes {
  /** Split feature, -1 for a leaf. */
  feature: number[];
  /** Rows with `value <= threshold` go left (NaN for a leaf). */
  threshold: number[];
  /** Child node ids, -1 for a leaf. */
  left: number[];
  right: number[];
  /** Training rows that reached the node. */
  samples: number[];
  /** Their total weight (equal to `samples` without class weights). */
  weightedSamples: number[];
  /** Gini impurity of the weighted class counts. */
  impurity: number[];
  depth: number[];
  /** Weighted class counts (scikit-learn's `tree_.value`). */
  value: Float64Array[];
}

/** A split node of {@link DecisionTree.toJSON}: rows with `x[feature] <= threshold` go `left`. */
export interface TreeSplitJson {
  /** Column of the feature matrix (the caller maps it to a name or a Neuronpedia id). */
  feature: number;
  threshold: number;
  /** Training rows that reached the node. */
  samples: number;
  /** Class counts of those rows, weighted by the class weights when the tree was fitted with them. */
  value: number[];
  /** Gini impurity of `value`. */
  impurity: number;
  left: TreeNodeJson;
  right: TreeNodeJson;
}

/** A leaf of {@link DecisionTree.toJSON}: `class` is the predicted class, the first argmax of `value`. */
export interface TreeLeafJson {
  samples: number;
  value: number[];
  class: number;
}

/** A node of {@link DecisionTree.toJSON}. */
export type TreeNodeJson = TreeSplitJson | TreeLeafJson;

/** A CART classification tree; fit one with `fitTree` (or choose one with `selectTree`). */
export class DecisionTree {
  /** Depth of the deepest leaf (a lone root: 0), as scikit-learn's `get_depth()`. */
  readonly depth: number;
  /** Number of leaves, as scikit-learn's `get_n_leaves()`. */
  readonly leaves: number;
  readonly #nodes: TreeNodes;

  /** Use `fitTree`; `nodes` must be breadth first. */
  constructor(readonly numFeatures: number, readonly numClasses: number, nodes: TreeNodes) {
    this.#nodes = nodes;
    this.depth = nodes.depth.reduce((a, b) => Math.max(a, b), 0);
    this.leaves = nodes.feature.filter((f) => f < 0).length;
  }

  /**
   * The predicted class of each row: the first class of largest weighted count in its leaf. Throws a RangeError
   * when `X` has another width than the training matrix, a ConfigError for NaN or infinite values.
   *
   * @example
   * ```ts
   * const tree = fitTree(train.X, train.y, 2, { maxDepth: 5 });
   * const predicted = tree.predict(test.X); // Int32Array of class ids
   * ```
   */
  predict(X: FeatureMatrix): Int32Array {
    const leaves = this.#leafOf(X);
    const classes = this.#nodes.value.map(argmax);
    return leaves.map((leaf) => classes[leaf]);
  }

  /**
   * Class probabilities, row-major `[X.rows, numClasses]`: each row's leaf class counts (weighted, as scikit-learn's
   * `predict_proba`) divided by their sum.
   */
  predictProba(X: FeatureMatrix): Float64Array {
    const C = this.numClasses;
    const proba = new Float64Array(X.rows * C);
    this.#leafOf(X).forEach((leaf, r) => {
      const value = this.#nodes.value[leaf];
      const sum = value.reduce((a, b) => a + b, 0) || 1;
      for (let c = 0; c < C; c++) proba[r * C + c] = value[c] / sum;
    });
    return proba;
  }

  /**
   * Gini importance per feature: the weighted impurity decrease of the splits on it, over the root's weight, then
   * normalised to sum to 1 (all zeros for a lone root), as scikit-learn's `feature_importances_`.
   */
  featureImportances(): Float64Array {
    const { feature, left, right, weightedSamples: w, impurity } = this.#nodes;
    const importances = new Float64Array(this.numFeatures);
    feature.forEach((f, i) => {
      if (f < 0) return;
      const l = left[i], r = right[i];
      importances[f] += w[i] * impurity[i] - w[l] * impurity[l] - w[r] * impurity[r];
    });
    const scaled = importances.map((x) => x / w[0]);
    const total = scaled.reduce((a, b) => a + b, 0);
    return total > 0 ? scaled.map((x) => x / total) : scaled;
  }

  /** The same tree cut at `maxDepth`: nodes at that depth become leaves, exactly what a fit with `maxDepth` gives. */
  truncate(maxDepth: number): DecisionTree {
    const n = this.#nodes;
    const keep = n.depth.filter((d) => d <= maxDepth).length; // breadth first: a prefix
    const cut = (value: number, i: number) => (n.depth[i] < maxDepth ? value : -1);
    return new DecisionTree(this.numFeatures, this.numClasses, {
      feature: n.feature.slice(0, keep).map(cut),
      threshold: n.threshold.slice(0, keep).map((t, i) => (n.depth[i] < maxDepth ? t : NaN)),
      left: n.left.slice(0, keep).map(cut),
      right: n.right.slice(0, keep).map(cut),
      samples: n.samples.slice(0, keep),
      weightedSamples: n.weightedSamples.slice(0, keep),
      impurity: n.impurity.slice(0, keep),
      depth: n.depth.slice(0, keep),
      value: n.value.slice(0, keep),
    });
  }

  /**
   * The tree as nested JSON, root first.
   *
   * @example
   * ```ts
   * JSON.stringify(tree); // {"feature":12,"threshold":0.5,"samples":800,"value":[420,380],"impurity":0.4987,...}
   * ```
   */
  toJSON(): TreeNodeJson {
    const { feature, threshold, left, right, samples, impurity, value } = this.#nodes;
    const node = (i: number): TreeNodeJson => {
      if (feature[i] < 0) return { samples: samples[i], value: [...value[i]], class: argmax(value[i]) };
      return {
        feature: feature[i],
        threshold: threshold[i],
        samples: samples[i],
        value: [...value[i]],
        impurity: impurity[i],
        left: node(left[i]),
        right: node(right[i]),
      };
    };
    return node(0);
  }

  /** The leaf each row of `X` falls in. */
  #leafOf(X: FeatureMatrix): Int32Array {
    if (X.cols !== this.numFeatures) {
      throw new RangeError(`tree input has ${X.cols} features, the tree was fitted on ${this.numFeatures}`);
    }
    checkMatrix(X, "tree input");
    const { feature, threshold, left, right } = this.#nodes;
    const leaves = new Int32Array(X.rows);
    for (let r = 0; r < X.rows; r++) {
      let i = 0;
      while (feature[i] >= 0) i = valueAt(X, r, feature[i]) <= threshold[i] ? left[i] : right[i];
      leaves[r] = i;
    }
    return leaves;
  }
}

/** `X[row, feature]`; a sparse row is searched by bisection (its feature ids ascend), absent meaning 0. */
function valueAt(X: FeatureMatrix, row: number, feature: number): number {
  if (X.kind === "dense") return X.data[row * X.cols + feature];
  let lo = X.rowPtr[row], hi = X.rowPtr[row + 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (X.indices[mid] < feature) lo = mid + 1;
    else hi = mid;
  }
  if (lo === X.rowPtr[row + 1] || X.indices[lo] !== feature) return 0;
  return X.values ? X.values[lo] : 1;
}

/** The first index of the largest value (numpy's argmax). */
function argmax(value: Float64Array): number {
  let best = 0;
  for (let c = 1; c < value.length; c++) if (value[c] > value[best]) best = c;
  return best;
}
