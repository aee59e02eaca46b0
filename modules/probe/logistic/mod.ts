/**
 * Logistic-regression probes: scikit-learn's objective (L2, L1, elastic net; class-balanced weights) on sparse or
 * dense features, solved deterministically, with C chosen by stratified cross-validation on the training split.
 * @module
 */
export { fitLogistic } from "./fit.ts";
export {
  type ClassTopFeatures,
  type FeatureWeight,
  JSON_TOP_FEATURES,
  type LogisticFit,
  LogisticModel,
  type LogisticModelJson,
} from "./model.ts";
export type { ColumnScaling } from "./column_scaling.ts";
export type { LogisticOptions, Penalty, ResolvedLogisticOptions } from "./options.ts";
export { type CScore, MOSAIC_CS, selectC, type SelectCOptions, type SelectCResult } from "./select_c.ts";
export { stratifiedFolds } from "./folds.ts";
