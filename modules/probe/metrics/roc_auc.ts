/**
 * ROC-AUC as the Mann–Whitney statistic: the probability that a random positive row outscores a random negative
 * one, ties counting one half. This equals the trapezoidal area under scikit-learn's ROC curve (`roc_auc_score`),
 * and is computed exactly: twice the statistic is an integer, divided once. Scores are sorted once
 * ({@linkcode rankScores}); a bootstrap resample then costs one pass per class, with rows weighted by how often they
 * were drawn.
 * @module
 */
import { checkLabels, checkScores } from "./validate.ts";

/** How one-vs-rest AUCs of a multiclass problem are combined: plain mean, or weighted by class prevalence. */
export type RocAverage = "macro" | "weighted";

/** Options of {@linkcode rocAuc}. */
export interface RocAucOptions {
  /** Multiclass only (binary has a single AUC). Default `"macro"`. */
  average?: RocAverage;
}

/** A ROC-AUC, or why it is undefined. Plain JSON. */
export interface RocAucResult {
  /** The AUC; `null` where undefined (see `reason`): never NaN, which JSON cannot carry. */
  value: number | null;
  /** `"binary"` for two classes (class 1's score against class 1), else the one-vs-rest average used. */
  average: "binary" | RocAverage;
  /** Multiclass: one-vs-rest AUC of each class id (column `c` of the scores against class `c`); `null` where undefined. */
  perClass?: (number | null)[];
  /** Why `value` is `null`. */
  reason?: string;
}

/** Row orders by score, computed once per scored column and reused by every resample. */
export interface RankedScores {
  yTrue: Int32Array;
  numClasses: number;
  /** The classes scored: `[1]` for binary, every class for one-vs-rest. */
  columns: number[];
  /** `order[k]`: row ids by ascending score of class `columns[k]`. */
  order: Int32Array[];
  /** `sorted[k][j]`: the score of row `order[k][j]`, to find runs of ties. */
  sorted: Float64Array[];
}

/**
 * Sorts rows by the score of each class that will be scored. Checks labels (RangeError, ConfigError if empty) and
 * scores `[n, numClasses]` row-major (RangeError on length, ConfigError naming the row on NaN).
 */
export function rankScores(yTrue: Int32Array, scores: Float64Array, numClasses: number): RankedScores {
  checkLabels(yTrue, undefined, numClasses);
  checkScores(scores, yTrue.length, numClasses);
  const columns = numClasses === 2 ? [1] : Array.from({ length: numClasses }, (_, c) => c);
  const order: Int32Array[] = [];
  const sorted: Float64Array[] = [];
  for (const c of columns) {
    const rows = Int32Array.from({ length: yTrue.length }, (_, i) => i);
    rows.sort((a, b) => {
      const x = scores[a * numClasses + c], y = scores[b * numClasses + c];
      return x < y ? -1 : x > y ? 1 : 0;
    });
    order.push(rows);
    sorted.push(Float64Array.from(rows, (i) => scores[i * numClasses + c]));
  }
  return { yTrue, numClasses, columns, order, sorted };
}

/**
 * AUC of class `columns[k]` against the rest, rows weighted by `counts` (all 1 when absent), with the weight of the
 * positives. The AUC is NaN when there is no positive or no negative row.
 */
function columnAuc(r: RankedScores, k: number, counts?: Int32Array): { auc: number; positives: number } {
  const order = r.order[k], sorted = r.sorted[k], positive = r.columns[k], yTrue = r.yTrue;
  let negativesBelow = 0, positives = 0, twiceU = 0;
  for (let i = 0; i < order.length;) {
    // One run of tied scores: its positives beat every negative below and tie (one half) with its negatives.
    const score = sorted[i];
    let pos = 0, neg = 0;
    do {
      const row = order[i];
      const w = counts ? counts[row] : 1;
      if (yTrue[row] === positive) pos += w;
      else neg += w;
      i++;
    } while (i < order.length && sorted[i] === score);
    twiceU += pos * (2 * negativesBelow + neg);
    negativesBelow += neg;
    positives += pos;
  }
  return { auc: twiceU / (2 * positives * negativesBelow), positives };
}

/** The AUC of ranked scores with rows weighted by `counts` (a bootstrap resample) or once each. */
export function aucFromRanks(r: RankedScores, average: RocAverage, counts?: Int32Array): RocAucResult {
  if (r.numClasses === 2) {
    const { auc } = columnAuc(r, 0, counts);
    return Number.isNaN(auc)
      ? { value: null, average: "binary", reason: "only one class present in yTrue: ROC-AUC is undefined" }
      : { value: auc, average: "binary" };
  }
  const perClass: (number | null)[] = [];
  const absent: number[] = [];
  let sum = 0, weighted = 0, total = 0;
  for (let k = 0; k < r.columns.length; k++) {
    const { auc, positives } = columnAuc(r, k, counts);
    if (positives === 0) absent.push(r.columns[k]);
    perClass.push(Number.isNaN(auc) ? null : auc);
    sum += auc;
    weighted += auc * positives;
    total += positives;
  }
  if (absent.length === r.numClasses - 1) {
    return { value: null, average, perClass, reason: "only one class present in yTrue: ROC-AUC is undefined" };
  }
  if (absent.length > 0) {
    // scikit-learn raises here; one undefined class makes the average undefined rather than silently partial.
    const reason = `class${absent.length > 1 ? "es" : ""} ${absent.join(", ")} absent from yTrue: ` +
      "one-vs-rest ROC-AUC is undefined for them, hence for the average";
    return { value: null, average, perClass, reason };
  }
  return { value: average === "macro" ? sum / r.numClasses : weighted / total, average, perClass };
}

/**
 * ROC-AUC of scores `[n, numClasses]` (row-major probabilities) against yTrue, as scikit-learn 1.2's
 * `roc_auc_score`: for two classes the AUC of class 1's score (`roc_auc_score(y, proba[:, 1])`), else one-vs-rest,
 * `average` `"macro"` (default) or `"weighted"` by prevalence (`multi_class="ovr"`). Unlike scikit-learn, scores need
 * not sum to 1 (the one-vs-rest AUCs do not depend on it).
 *
 * Never throws on a test set where the AUC is undefined (only one class in yTrue; in one-vs-rest, any class absent
 * from yTrue): `value` is then `null` with a `reason`, so a report is still produced. Bad input throws: RangeError
 * (lengths, class ids), ConfigError (empty, NaN score naming its row).
 *
 * @example
 * ```ts
 * const y = Int32Array.from([0, 0, 1, 1]);
 * const proba = Float64Array.from([0.9, 0.1, 0.6, 0.4, 0.6, 0.4, 0.2, 0.8]);
 * rocAuc(y, proba, 2).value; // 0.875: of 4 (positive, negative) pairs, 3 ordered right and 1 tied
 * ```
 */
export function rocAuc(
  yTrue: Int32Array,
  scores: Float64Array,
  numClasses: number,
  options: RocAucOptions = {},
): RocAucResult {
  return aucFromRanks(rankScores(yTrue, scores, numClasses), options.average ?? "macro");
}
