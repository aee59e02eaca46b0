/**
 * What a probe run reports: one small JSON-able record per feature set × probe (metrics with bootstrap confidence
 * intervals, the chosen hyper-parameters, the top features with signed weights — never a dense coefficient vector),
 * and their flattening into a tidy table (one row per feature set × probe × metric) for arquero.
 * @module
 */

/** A metric on the test split with its percentile-bootstrap interval. */
export interface MetricWithCI {
  value: number;
  lo: number;
  hi: number;
}

/** One feature of a probe, with its signed weight (or importance) for a class. */
export interface TopFeature {
  feature: number;
  weight: number;
  /** `{neuronpediaId}/{feature}` when the SAE has a Neuronpedia source. */
  neuronpedia?: string;
  /** A readable name when there is one (a TF-IDF term). */
  name?: string;
}

/** Where the features came from, from the shard set's metadata. */
export interface FeatureSetInfo {
  /** The shard set's path under the run (`sae/l1.random-512-k32-s0/sum.no-bos/gt-1`). */
  featureSet: string;
  /** `sae`, `sae-binary`, `hidden-last`, `hidden-mean`, `tfidf`. */
  featureKind: string;
  hook?: string;
  layer?: number;
  sae?: string;
  pooling?: string;
  threshold?: string;
  width: number;
}

/** One probe on one feature set. */
export interface ProbeResult extends FeatureSetInfo {
  /** `logistic`, `tree`, `k-sparse(k=5)` … */
  probe: string;
  /** Chosen hyper-parameters and how (e.g. `{ C: 0.1, chosenBy: "5-fold CV on train" }`). */
  params: Record<string, unknown>;
  classes: string[];
  nTrain: number;
  nTest: number;
  macroF1: MetricWithCI;
  accuracy: MetricWithCI;
  /** Binary: AUC of the second class; multiclass: one-vs-rest macro. Absent where undefined. */
  rocAuc?: MetricWithCI;
  perClass: { class: string; precision: number; recall: number; f1: number; support: number }[];
  /** Rows: true class; columns: predicted. */
  confusion: number[][];
  /** Per class, its strongest features (logistic: signed weights; tree: importances). */
  topFeatures?: { class: string; features: TopFeature[] }[];
  /** The fitted tree as readable JSON (tree probes only). */
  tree?: unknown;
  seconds: number;
}

/** A tidy row: one metric of one probe on one feature set. */
export interface MetricRow {
  featureSet: string;
  featureKind: string;
  layer: number | null;
  pooling: string | null;
  threshold: string | null;
  probe: string;
  metric: string;
  value: number;
  lo: number;
  hi: number;
}

/**
 * Flattens results into tidy rows (`arquero.from(rows)` makes the table).
 *
 * @example
 * ```ts
 * const table = aq.from(metricRows(results)).filter((d) => d.metric === "macroF1").orderby(aq.desc("value"));
 * ```
 */
export function metricRows(results: readonly ProbeResult[]): MetricRow[] {
  return results.flatMap((r) =>
    (["macroF1", "accuracy", "rocAuc"] as const).flatMap((metric) => {
      const m = r[metric];
      return m
        ? [{
          featureSet: r.featureSet,
          featureKind: r.featureKind,
          layer: r.layer ?? null,
          pooling: r.pooling ?? null,
          threshold: r.threshold ?? null,
          probe: r.probe,
          metric,
          value: m.value,
          lo: m.lo,
          hi: m.hi,
        }]
        : [];
    })
  );
}
