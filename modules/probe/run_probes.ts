/**
 * The probes of one feature set, as the paper ran them and as a demanding user checks them: a class-balanced
 * logistic regression with C chosen by stratified 5-fold CV on the training split, a decision tree chosen on a
 * validation split (MOSAIC's grid), and SAEBench's k-sparse probes; each scored on the test split with
 * bootstrap confidence intervals. Nothing is tuned on the test split.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { selectTopKByMeanDifference, type SparseVector } from "@saeflow/binarize";
import { stratifiedSplit } from "@saeflow/io";
import {
  checkMatrix,
  type FeatureMatrix,
  type LabeledMatrix,
  selectRows,
  type SparseMatrix,
} from "./feature_matrix.ts";
import { countClasses, presentClasses } from "./logistic/labels.ts";
import { fitLogistic, type LogisticModel, selectC } from "./logistic/mod.ts";
import { selectTree } from "./tree/mod.ts";
import {
  accuracyMetric,
  bootstrapCI,
  type BootstrapMetric,
  classificationReport,
  f1Metric,
  rocAucMetric,
} from "./metrics/mod.ts";
import type { FeatureSetInfo, MetricWithCI, ProbeResult, TopFeature } from "./probe_result.ts";

/** The probes {@link runProbes} knows. */
export const PROBES = ["logistic", "tree", "k-sparse"] as const;
export type ProbeKind = typeof PROBES[number];

/** SAEBench's k-sparse probe sizes. */
export const K_SPARSE = Object.freeze([1, 2, 5, 10, 20, 50]);

/** Options of {@link runProbes}. */
export interface ProbeOptions {
  probes: readonly ProbeKind[];
  /** Seeds the CV folds, the validation carve-out and the bootstrap. */
  seed: number;
  /** Logistic C grid (default MOSAIC's {0.001, 0.01, 0.1, 1}). */
  cs?: readonly number[];
  /**
   * Most L-BFGS iterations per cross-validation fit (default 100, scikit-learn's default): CV only ranks the C grid,
   * and near-separable SAE features can take thousands of iterations to converge fully at C ≥ 0.1.
   */
  cvMaxIter?: number;
  /** Most iterations of the final fit (default 300); whether it converged is reported in `params`. */
  maxIter?: number;
  /** Bootstrap resamples for the confidence intervals (default 1000). */
  bootstrap?: number;
  /** k-sparse sizes (default {@link K_SPARSE}); sparse SAE features only. */
  ks?: readonly number[];
  /** Names feature ids in top-feature lists (TF-IDF terms); Neuronpedia ids come from `neuronpediaId`. */
  featureName?: (feature: number) => string | undefined;
  /** The SAE's Neuronpedia source (`gemma-2-2b/12-gemmascope-res-16k`), when it has one. */
  neuronpediaId?: string;
}

/** A feature set's train / test (and optional validation) rows. */
export interface ProbeData {
  train: LabeledMatrix;
  test: LabeledMatrix;
  validation?: LabeledMatrix;
}

/**
 * Runs the requested probes on one feature set. Throws a ConfigError when the training split has a single class
 * (nothing to learn) or the test split is empty.
 *
 * @example
 * ```ts
 * const results = runProbes({ train, test }, info, { probes: ["logistic", "tree"], seed: 42 });
 * results[0].macroF1; // { value, lo, hi }
 * ```
 */
export function runProbes(data: ProbeData, info: FeatureSetInfo, options: ProbeOptions): ProbeResult[] {
  const { train, test } = data;
  if (test.X.rows === 0) throw new ConfigError(`${info.featureSet}: the test split is empty`);
  const results: ProbeResult[] = [];
  const K = train.classes.length;
  for (const probe of options.probes) {
    const started = performance.now();
    if (probe === "logistic") {
      const base = logisticBase(train.X, info.featureKind);
      const { C, scores } = selectC(train.X, train.y, K, {
        ...base,
        maxIter: options.cvMaxIter ?? 100,
        Cs: options.cs,
        seed: options.seed,
      });
      const model = fitLogistic(train.X, train.y, K, { ...base, C, maxIter: options.maxIter ?? 300 });
      const cv = scores.map((s) => ({ C: s.C, cvMacroF1: round(s.meanMacroF1) }));
      results.push({
        ...evaluate(info, "logistic", data, model.predict(test.X), model.predictProba(test.X), options),
        params: {
          C,
          chosenBy: "stratified 5-fold CV on train (macro-F1)",
          cv,
          ...(base.scale ? { scaled: "columns / std on train, not centred" } : {}),
          converged: model.converged,
        },
        topFeatures: logisticTopFeatures(model, train.classes, options),
        seconds: (performance.now() - started) / 1000,
      });
    } else if (probe === "tree") {
      const { fit, validation } = data.validation
        ? { fit: train, validation: data.validation }
        : carveValidation(train, options.seed);
      const chosen = selectTree(fit, validation, { classWeight: "balanced" });
      const importances = chosen.tree.featureImportances();
      results.push({
        ...evaluate(info, "tree", data, chosen.tree.predict(test.X), chosen.tree.predictProba(test.X), options),
        params: { ...chosen.params, chosenBy: "validation macro-F1", validationMacroF1: round(chosen.score) },
        topFeatures: [{ class: "all (Gini importance)", features: strongest(importances, 10, options) }],
        tree: chosen.tree.toJSON(),
        seconds: (performance.now() - started) / 1000,
      });
    } else if (info.featureKind.startsWith("sae") && train.X.kind === "sparse") {
      for (const k of options.ks ?? K_SPARSE) {
        if (k > train.X.cols) continue;
        const began = performance.now();
        const features = meanDifferenceFeatures(train.X, train.y, K, k);
        const narrow = (m: LabeledMatrix) => ({ ...m, X: selectColumns(m.X as SparseMatrix, features) });
        const X0 = narrow(train).X;
        const model = fitLogistic(X0, train.y, K, {
          ...logisticBase(X0, info.featureKind),
          maxIter: options.maxIter ?? 300,
        });
        const X = narrow(test).X;
        results.push({
          ...evaluate(info, `k-sparse(k=${k})`, data, model.predict(X), model.predictProba(X), options),
          params: { k, features: features.length, chosenBy: "|mean(pos) - mean(neg)| on train", C: 1 },
          topFeatures: logisticTopFeatures(model, train.classes, options, features),
          seconds: (performance.now() - began) / 1000,
        });
      }
    }
  }
  return results;
}

/**
 * The logistic options every fit of a feature set shares: class-balanced, and continuous SAE features (pooled sums
 * reach the hundreds) divided by their standard deviation on train (scikit-learn's `StandardScaler(with_mean=False)`):
 * unscaled, L-BFGS needed 5× the iterations and often stopped short. Dense features are standardised by
 * `fitLogistic` itself; binarized ones and TF-IDF (L2-normalised rows, MOSAIC's baseline as it ran) stay as they are.
 */
export function logisticBase(X: FeatureMatrix, featureKind: string): { classWeight: "balanced"; scale?: true } {
  const scale = featureKind === "sae" && X.kind === "sparse" && X.values !== undefined;
  return { classWeight: "balanced", ...(scale ? { scale: true } : {}) };
}

/** The test metrics of one probe's predictions, with 95% bootstrap intervals. */
function evaluate(
  info: FeatureSetInfo,
  probe: string,
  { train, test }: ProbeData,
  predicted: Int32Array,
  proba: Float64Array,
  options: ProbeOptions,
): Omit<ProbeResult, "params" | "seconds"> {
  const K = test.classes.length;
  const report = classificationReport(test.y, predicted, K, { classes: test.classes, scores: proba });
  const hasAuc = report.rocAuc?.value != null;
  const metrics: Record<string, BootstrapMetric> = { macroF1: f1Metric(), accuracy: accuracyMetric };
  if (hasAuc) metrics.rocAuc = rocAucMetric(proba);
  const intervals = bootstrapCI(test.y, predicted, K, metrics, { seed: options.seed, samples: options.bootstrap });
  const withCI = (value: number, name: string): MetricWithCI => ({
    value,
    lo: intervals[name].lo ?? NaN,
    hi: intervals[name].hi ?? NaN,
  });
  return {
    ...info,
    probe,
    classes: [...test.classes],
    nTrain: train.X.rows,
    nTest: test.X.rows,
    macroF1: withCI(report.macroF1, "macroF1"),
    accuracy: withCI(report.accuracy, "accuracy"),
    ...(hasAuc ? { rocAuc: withCI(report.rocAuc!.value!, "rocAuc") } : {}),
    perClass: report.perClass,
    confusion: report.confusion,
  };
}

/** MOSAIC's "10% of train as validation": a stratified, seeded cut of the training rows. */
function carveValidation(train: LabeledMatrix, seed: number): { fit: LabeledMatrix; validation: LabeledMatrix } {
  const split = stratifiedSplit(
    train.ids.map((id, i) => ({ id, label: train.classes[train.y[i]] })),
    { seed, fractions: { train: 0.9, test: 0.1 } },
  );
  const pick = (name: string) => {
    const rows = Int32Array.from(train.ids.flatMap((id, i) => split.get(id) === name ? [i] : []));
    return {
      X: selectRows(train.X, rows),
      y: rows.map((r) => train.y[r]),
      classes: train.classes,
      ids: Array.from(rows, (r) => train.ids[r]),
    };
  };
  return { fit: pick("train"), validation: pick("test") };
}

/**
 * Per class (one-vs-rest; class 1 alone when binary), the top k features by mean difference, merged ascending.
 * Refuses NaN values and a single training class with a ConfigError, as the other probes do; a class with no
 * training row has no mean to compare and is left out (the fit never predicts it).
 */
function meanDifferenceFeatures(X: SparseMatrix, y: Int32Array, K: number, k: number): Int32Array {
  checkMatrix(X);
  const present = presentClasses(countClasses(y, X.rows, K));
  const chosen = new Set<number>();
  for (const positiveClass of K === 2 ? [1] : present) {
    for (const f of selectTopKByMeanDifference(sparseRows(X), y, k, { dSae: X.cols, positiveClass })) chosen.add(f);
  }
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

function* sparseRows(X: SparseMatrix): Generator<SparseVector> {
  const ones = new Float32Array(X.cols).fill(1);
  for (let r = 0; r < X.rows; r++) {
    const lo = X.rowPtr[r], hi = X.rowPtr[r + 1];
    yield {
      indices: X.indices.subarray(lo, hi),
      values: X.values ? X.values.subarray(lo, hi) : ones.subarray(0, hi - lo),
    };
  }
}

/** The columns `features` (ascending) of a sparse matrix, renumbered 0 .. features.length - 1. */
export function selectColumns(X: SparseMatrix, features: Int32Array): FeatureMatrix {
  const position = new Map(Array.from(features, (f, i) => [f, i]));
  const rowPtr = new Int32Array(X.rows + 1);
  const indices: number[] = [], values: number[] = [];
  for (let r = 0; r < X.rows; r++) {
    for (let e = X.rowPtr[r]; e < X.rowPtr[r + 1]; e++) {
      const at = position.get(X.indices[e]);
      if (at === undefined) continue;
      indices.push(at);
      values.push(X.values ? X.values[e] : 1);
    }
    rowPtr[r + 1] = indices.length;
  }
  return {
    kind: "sparse",
    rows: X.rows,
    cols: features.length,
    rowPtr,
    indices: Int32Array.from(indices),
    ...(X.values ? { values: Float32Array.from(values) } : {}),
  };
}

/**
 * The 10 features that push most towards each class. Two classes share one weight vector: class 1's are its largest
 * positive weights, class 0's its most negative ones (sign flipped, so a positive weight always pushes towards the
 * class it is listed under).
 */
function logisticTopFeatures(
  model: LogisticModel,
  classes: readonly string[],
  options: ProbeOptions,
  columns?: Int32Array,
): { class: string; features: TopFeature[] }[] {
  const name = (features: { feature: number; weight: number }[]) =>
    features.map(({ feature, weight }) => named(columns ? columns[feature] : feature, weight, options));
  if (model.coefficientRows === 1) {
    const [{ features }] = model.topFeatures(model.cols);
    return [
      { class: classes[0], features: name(features.filter((f) => f.weight < 0).slice(0, 10).map(flipped)) },
      { class: classes[1], features: name(features.filter((f) => f.weight > 0).slice(0, 10)) },
    ];
  }
  return model.topFeatures(10).map(({ class: c, features }) => ({ class: classes[c], features: name(features) }));
}

const flipped = ({ feature, weight }: { feature: number; weight: number }) => ({ feature, weight: -weight });

function strongest(importances: Float64Array, k: number, options: ProbeOptions): TopFeature[] {
  return Array.from(importances.keys()).filter((f) => importances[f] > 0)
    .sort((a, b) => importances[b] - importances[a] || a - b).slice(0, k)
    .map((f) => named(f, importances[f], options));
}

function named(feature: number, weight: number, options: ProbeOptions): TopFeature {
  const name = options.featureName?.(feature);
  return {
    feature,
    weight,
    ...(options.neuronpediaId ? { neuronpedia: `${options.neuronpediaId}/${feature}` } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
