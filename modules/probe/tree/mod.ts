/**
 * Decision-tree probes: CART classification trees on sparse or dense features, and MOSAIC's grid search on a
 * validation split.
 *
 * @example
 * ```ts
 * import { fitTree, selectTree } from "./mod.ts";
 * const tree = fitTree(train.X, train.y, train.classes.length, { maxDepth: 5 });
 * const { params, tree: best } = selectTree(train, validation); // MOSAIC grid, macro-F1 on validation
 * ```
 * @module
 */
export { DecisionTree, type TreeLeafJson, type TreeNodeJson, type TreeSplitJson } from "./decision_tree.ts";
export { fitTree, type TreeOptions } from "./fit_tree.ts";
export {
  MOSAIC_TREE_GRID,
  selectTree,
  type SelectTreeOptions,
  type TreeParams,
  type TreeScore,
  type TreeSelection,
} from "./select_tree.ts";
