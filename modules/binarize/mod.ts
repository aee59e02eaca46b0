/**
 * `@saeflow/binarize`: pooled features -> index sets of active features. Rules: `x > t` (MOSAIC: t = 1.0), `x >= t`
 * (MOSAIC's cross-lingual scripts), presence (`x > 0`) and per-feature thresholds fitted as a quantile on the
 * training split; SAEBench-style feature selection (top k by class mean difference) as an option. Values are
 * compared as stored float32 against float32 thresholds, as NumPy and PyTorch do.
 *
 * @example
 * ```ts
 * import { binarize, fitQuantileThresholds } from "@saeflow/binarize";
 * const v = { indices: new Int32Array([3, 7, 9]), values: new Float32Array([0.5, 1, 2]) };
 * binarize(v, { rule: "gt", threshold: 1 }); // Int32Array [9]
 * const thresholds = fitQuantileThresholds([v], 10, 0.5);
 * binarize(v, { rule: "per-feature", quantile: 0.5 }, thresholds); // Int32Array []
 * ```
 * @module
 */
export { checkSparseVector, indexSetRow, type IndexSets, type SparseVector } from "./sparse_vector.ts";
export {
  BINARIZE_RULES,
  type BinarizeRule,
  type BinarizeSpec,
  binarizeSpecLabel,
  checkQuantile,
  DEFAULT_BINARIZE_THRESHOLD,
  parseBinarizeSpec,
  validateBinarizeSpec,
} from "./binarize_spec.ts";
export { binarize, type Binarizer, checkThresholds, makeBinarizer } from "./binarize.ts";
export {
  fitQuantileThresholds,
  QuantileThresholdFitter,
  type QuantileThresholdOptions,
} from "./quantile_thresholds.ts";
export { selectTopKByMeanDifference, type SelectTopKOptions } from "./select_top_k.ts";
export { restrictToFeatures, restrictToSorted } from "./restrict_to_features.ts";
export {
  type Binarized,
  type BinarizeInput,
  type BinarizeOutput,
  BinarizeStream,
  type BinarizeStreamOptions,
} from "./binarize_stream.ts";
