/**
 * Hyperparameter choice for the decision-tree probe: every grid point fitted on train and scored on validation
 * only (MOSAIC picked on the test split in one path; the test split stays untouched here).
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { checkMatrix, type LabeledMatrix } from "../feature_matrix.ts";
import type { DecisionTree } from "./decision_tree.ts";
import { growTree } from "./fit_tree.ts";
import { macroF1 } from "../metrics/mod.ts";
import { sortColumns } from "./sorted_columns.ts";

/** One grid point; `maxDepth` omitted means unlimited. */
export interface TreeParams {
  maxDepth?: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
}

/** A score of predictions against labels, higher is better (class ids `0 .. numClasses - 1`). */
export type TreeScore = (yTrue: Int32Array, yPred: Int32Array, numClasses: number) => number;

/** MOSAIC's grid: max_depth {3, 5, 7, 9} x min_samples_split {2, 5, 10} x min_samples_leaf {1, 2, 4}. */
export const MOSAIC_TREE_GRID: readonly Readonly<TreeParams>[] = Object.freeze(
  [3, 5, 7, 9].flatMap((maxDepth) =>
    [2, 5, 10].flatMap((minSamplesSplit) =>
      [1, 2, 4].map((minSamplesLeaf) => Object.freeze({ maxDepth, minSamplesSplit, minSamplesLeaf }))
    )
  ),
);

/** Options of {@link selectTree}. */
export interface SelectTreeOptions {
  /** Default {@link MOSAIC_TREE_GRID}. */
  grid?: readonly TreeParams[];
  /** Default macro-F1. */
  score?: TreeScore;
  /** Passed to every fit (see `TreeOptions.classWeight`). */
  classWeight?: "balanced";
}

/** What {@link selectTree} chose, with every grid point's validation score (in grid order). */
export interface TreeSelection {
  params: TreeParams;
  /** Validation score of `tree`. */
  score: number;
  /** Fitted on train with `params`. */
  tree: DecisionTree;
  scores: { params: TreeParams; score: number }[];
}

/** Scores closer than this are a tie (the same predictions can score a rounding apart when counted differently). */
const TIE = 1e-12;

/**
 * Fits each grid point on `train`, scores it on `validation`, and returns the best; a tie goes to the simpler tree
 * (smaller maxDepth, then larger minSamplesLeaf, then larger minSamplesSplit). Points that differ only in depth
 * share one fit, cut to each depth (`DecisionTree.truncate` gives exactly the shallower fit). Throws a ConfigError
 * for an empty grid or differing class lists, and what `fitTree` and `predict` throw.
 *
 * @example
 * ```ts
 * const { params, score, tree } = selectTree(train, validation);
 * tree.predict(test.X);
 * ```
 */
export function selectTree(
  train: LabeledMatrix,
  validation: LabeledMatrix,
  options: SelectTreeOptions = {},
): TreeSelection {
  const { grid = MOSAIC_TREE_GRID, score = macroF1, classWeight } = options;
  if (grid.length === 0) throw new ConfigError("selectTree: empty grid");
  const { classes } = train;
  if (classes.length !== validation.classes.length || classes.some((c, i) => c !== validation.classes[i])) {
    throw new ConfigError(
      `selectTree: train classes ${JSON.stringify(classes)} differ from validation classes ${
        JSON.stringify(validation.classes)
      }`,
    );
  }
  if (validation.y.length !== validation.X.rows) {
    throw new RangeError(`${validation.y.length} validation labels for ${validation.X.rows} rows`);
  }
  for (const c of validation.y) {
    if (!(c >= 0 && c < classes.length)) throw new RangeError(`validation label ${c} outside [0, ${classes.length})`);
  }
  for (const { maxDepth } of grid) {
    if (maxDepth !== undefined && !(Number.isInteger(maxDepth) && maxDepth >= 1)) {
      throw new ConfigError(`selectTree: grid maxDepth ${maxDepth}, expected an integer >= 1 or none`);
    }
  }
  checkMatrix(train.X, "train features");
  const columns = sortColumns(train.X);
  const numClasses = classes.length;
  const deepest = new Map<string, number>();
  for (const p of grid) {
    const key = `${p.minSamplesSplit}/${p.minSamplesLeaf}`;
    deepest.set(key, Math.max(deepest.get(key) ?? 0, p.maxDepth ?? Infinity));
  }
  const fits = new Map<string, DecisionTree>();
  let chosen: { params: TreeParams; score: number; tree: DecisionTree } | undefined;
  const scores = grid.map((params) => {
    const key = `${params.minSamplesSplit}/${params.minSamplesLeaf}`;
    let full = fits.get(key);
    if (!full) {
      const maxDepth = deepest.get(key)!;
      full = growTree(columns, train.y, numClasses, {
        ...(maxDepth < Infinity ? { maxDepth } : {}),
        minSamplesSplit: params.minSamplesSplit,
        minSamplesLeaf: params.minSamplesLeaf,
        classWeight,
      });
      fits.set(key, full);
    }
    const tree = params.maxDepth === undefined ? full : full.truncate(params.maxDepth);
    const s = score(validation.y, tree.predict(validation.X), numClasses);
    if (!chosen || s > chosen.score + TIE || (s >= chosen.score - TIE && simpler(params, chosen.params))) {
      chosen = { params, score: s, tree };
    }
    return { params, score: s };
  });
  return { ...chosen!, scores };
}

/** Whether `a` is a strictly simpler tree than `b`. */
function simpler(a: TreeParams, b: TreeParams): boolean {
  const depthA = a.maxDepth ?? Infinity, depthB = b.maxDepth ?? Infinity;
  if (depthA !== depthB) return depthA < depthB;
  if (a.minSamplesLeaf !== b.minSamplesLeaf) return a.minSamplesLeaf > b.minSamplesLeaf;
  return a.minSamplesSplit > b.minSamplesSplit;
}
