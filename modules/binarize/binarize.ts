/**
 * Sparse vector -> index set of active features, for one rule.
 * @module
 */
import { ConfigError, type DataLocation } from "@saeflow/core";
import { type BinarizeSpec, validateBinarizeSpec } from "./binarize_spec.ts";
import { checkSparseVector, type SparseVector } from "./sparse_vector.ts";

/** A compiled rule: a record's vector (and where it came from, for errors) -> its active feature ids, ascending. */
export type Binarizer = (vector: SparseVector, location?: DataLocation) => Int32Array;

/**
 * Checks per-feature thresholds: no NaN, none below 0 (a negative threshold would make every absent, zero-valued
 * feature active, which an index set of stored features cannot express). `+Infinity` switches a feature off.
 */
export function checkThresholds(thresholds: Float32Array): void {
  if (!(thresholds instanceof Float32Array)) {
    throw new ConfigError(
      `per-feature thresholds must be a Float32Array, got ${Object.prototype.toString.call(thresholds)}`,
    );
  }
  for (let f = 0; f < thresholds.length; f++) {
    if (!(thresholds[f] >= 0)) {
      throw new ConfigError(
        `per-feature threshold of feature ${f} is ${thresholds[f]}; expected >= 0 (not NaN): ` +
          `below 0 every absent feature would be active`,
      );
    }
  }
}

/**
 * Compiles a rule once (validating the spec and, for `per-feature`, the thresholds) for use on many records.
 * Values are compared as stored (float32) against `Math.fround(threshold)`, so `x == t` is inactive for `gt` and active
 * for `ge`; NaN values are never active. Each call checks the vector's shape (a {@linkcode DataError} names `location`).
 *
 * @example
 * ```ts
 * const mosaic = makeBinarizer({ rule: "gt", threshold: 1 });
 * mosaic({ indices: new Int32Array([3, 7, 9]), values: new Float32Array([0.5, 1, 2]) }); // Int32Array [9]
 * ```
 */
export function makeBinarizer(spec: BinarizeSpec, thresholds?: Float32Array): Binarizer {
  const valid = validateBinarizeSpec(spec);
  let scratch = new Int32Array(64);
  const collect = (
    vector: SparseVector,
    location: DataLocation,
    dSae: number | undefined,
    pass: (x: number, f: number) => boolean,
  ) => {
    checkSparseVector(vector, dSae, "binarize input", location);
    const { indices, values } = vector;
    if (scratch.length < indices.length) scratch = new Int32Array(indices.length);
    let n = 0;
    for (let i = 0; i < indices.length; i++) if (pass(values[i], indices[i])) scratch[n++] = indices[i];
    return scratch.slice(0, n);
  };
  switch (valid.rule) {
    case "gt": {
      const t = Math.fround(valid.threshold!);
      return (vector, location = {}) => collect(vector, location, undefined, (x) => x > t);
    }
    case "ge": {
      const t = Math.fround(valid.threshold!);
      return (vector, location = {}) => collect(vector, location, undefined, (x) => x >= t);
    }
    case "presence":
      return (vector, location = {}) => collect(vector, location, undefined, (x) => x > 0);
    case "per-feature": {
      if (thresholds === undefined) {
        throw new ConfigError(
          `binarize rule "per-feature" needs fitted thresholds (fitQuantileThresholds on the training split)`,
        );
      }
      checkThresholds(thresholds);
      const t = thresholds;
      return (vector, location = {}) => collect(vector, location, t.length, (x, f) => x > t[f]);
    }
  }
}

/**
 * One record's active feature ids (ascending) under `spec`. For many records, compile once with
 * {@linkcode makeBinarizer} (which checks per-feature thresholds once, not per record) or use `BinarizeStream`.
 *
 * @example
 * ```ts
 * const v = { indices: new Int32Array([3, 7, 9]), values: new Float32Array([0.5, 1, 2]) };
 * binarize(v, { rule: "gt", threshold: 1 }); // Int32Array [9]
 * binarize(v, { rule: "ge", threshold: 1 }); // Int32Array [7, 9]
 * binarize(v, { rule: "presence" }); // Int32Array [3, 7, 9]
 * ```
 */
export function binarize(vector: SparseVector, spec: BinarizeSpec, thresholds?: Float32Array): Int32Array {
  return makeBinarizer(spec, thresholds)(vector);
}
