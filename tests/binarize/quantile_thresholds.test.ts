import assert from "node:assert/strict";
import { binarize, fitQuantileThresholds, QuantileThresholdFitter, type SparseVector } from "@saeflow/binarize";
import { ConfigError, DataError } from "@saeflow/core";
import { python } from "../helpers.ts";
import { dense, randomVectors, sv } from "./fixtures.ts";

/** NumPy's default quantile (linear) of each feature's column, zeros included, rounded to float32. */
async function numpyThresholds(vectors: SparseVector[], dSae: number, quantiles: number[]): Promise<number[][]> {
  const matrix = vectors.map((v) => [...dense(v, dSae)]);
  return await python<number[][]>(
    `import json, sys, numpy as np
m = np.array(json.loads(sys.argv[1]), dtype=np.float32).astype(np.float64)
print(json.dumps([np.quantile(m, q, axis=0).astype(np.float32).astype(np.float64).tolist() for q in json.loads(sys.argv[2])]))`,
    JSON.stringify(matrix),
    JSON.stringify(quantiles),
  );
}

/** A plain sort-based reference: the dense column, sorted, NumPy's linear interpolation written out. */
function naiveQuantile(column: number[], q: number): number {
  const s = [...column].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  if (lo >= s.length - 1) return s[s.length - 1];
  const t = h - lo;
  const d = s[lo + 1] - s[lo];
  return t >= 0.5 ? s[lo + 1] - d * (1 - t) : s[lo] + d * t;
}

const QUANTILES = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

Deno.test("thresholds equal NumPy's quantile (method linear) over the records, zeros included", async () => {
  const dSae = 30;
  // Rows 7 and 13 exercise n - 1 = 6 and 12 (exact and fractional ranks); densities from rare to dense features.
  for (const [seed, count, density] of [[1, 7, 0.5], [2, 13, 0.2], [3, 101, 0.05], [4, 250, 0.6]]) {
    const vectors = randomVectors(seed, count, dSae, density);
    const reference = await numpyThresholds(vectors, dSae, QUANTILES);
    QUANTILES.forEach((q, i) => {
      const ours = fitQuantileThresholds(vectors, dSae, q);
      assert.deepEqual([...ours], reference[i], `seed ${seed} q ${q}`);
      for (let f = 0; f < dSae; f++) {
        const column = vectors.map((v) => dense(v, dSae)[f]);
        assert.equal(ours[f], Math.fround(naiveQuantile(column, q)), `seed ${seed} q ${q} feature ${f}`);
      }
    });
  }
});

Deno.test("a feature absent from most records has threshold 0 (presence); one always present a real quantile", () => {
  const vectors = [sv([0, 1], [1, 5]), sv([1, 6]), sv([1, 7]), sv([1, 8])];
  assert.deepEqual([...fitQuantileThresholds(vectors, 3, 0.5)], [0, 6.5, 0]);
});

Deno.test("negative values: the quantile is clamped at 0 so absent features stay inactive", async () => {
  const vectors = [sv([0, -3], [1, -1]), sv([0, -2], [1, 4]), sv([0, -1]), sv([1, 2])];
  const numpy = await numpyThresholds(vectors, 2, [0.25, 0.75]);
  assert.deepEqual(numpy, [[-2.25, -0.25], [-0.75, 2.5]]);
  assert.deepEqual([...fitQuantileThresholds(vectors, 2, 0.25)], [0, 0]);
  assert.deepEqual([...fitQuantileThresholds(vectors, 2, 0.75)], [0, 2.5]);
});

Deno.test("thresholds are fitted on the train split only: adding test records would change them", () => {
  const dSae = 4;
  const records = [
    { split: "train", v: sv([0, 1], [2, 1]) },
    { split: "train", v: sv([0, 2]) },
    { split: "test", v: sv([0, 10], [1, 9], [2, 9]) },
    { split: "train", v: sv([0, 3], [2, 2]) },
    { split: "test", v: sv([0, 20], [1, 8], [2, 8]) },
    { split: "train", v: sv([0, 4]) },
  ];
  const train = records.filter((r) => r.split === "train").map((r) => r.v);
  const fitted = fitQuantileThresholds(train, dSae, 0.5);
  assert.deepEqual([...fitted], [2.5, 0, 0.5, 0]);
  const leaky = fitQuantileThresholds(records.map((r) => r.v), dSae, 0.5);
  assert.deepEqual([...leaky], [3.5, 0, 1.5, 0]);
  // And the choice matters downstream: a new record's features 0 = 3 and 2 = 0.75 are active only under the
  // train-fitted thresholds.
  assert.deepEqual([...binarize(sv([0, 3], [2, 0.75]), { rule: "per-feature" }, fitted)], [0, 2]);
  assert.deepEqual([...binarize(sv([0, 3], [2, 0.75]), { rule: "per-feature" }, leaky)], []);
});

Deno.test("streaming record by record equals the one-shot fit; the fitter can finish, add and finish again", () => {
  const dSae = 64;
  const vectors = randomVectors(11, 300, dSae, 0.1);
  const fitter = new QuantileThresholdFitter(dSae, 0.9);
  vectors.slice(0, 100).forEach((v) => fitter.add(v));
  assert.deepEqual(fitter.finish(), fitQuantileThresholds(vectors.slice(0, 100), dSae, 0.9));
  vectors.slice(100).forEach((v) => fitter.add(v));
  assert.equal(fitter.records, 300);
  assert.deepEqual(fitter.finish(), fitQuantileThresholds(vectors, dSae, 0.9));
});

Deno.test("minCount switches off features seen in too few training records; stored zeros do not count", () => {
  const vectors = [sv([0, 1], [1, 2], [2, 0]), sv([0, 3]), sv([0, 2], [2, 0]), sv()];
  assert.deepEqual([...fitQuantileThresholds(vectors, 4, 0.5, { minCount: 2 })], [1.5, Infinity, Infinity, Infinity]);
  assert.deepEqual([...fitQuantileThresholds(vectors, 4, 0.5, { minCount: 1 })], [1.5, 0, Infinity, Infinity]);
  assert.deepEqual([...fitQuantileThresholds(vectors, 4, 0.5)], [1.5, 0, 0, 0]);
  const thresholds = fitQuantileThresholds(vectors, 4, 0.5, { minCount: 2 });
  assert.deepEqual([...binarize(sv([0, 2], [1, 100], [3, 1]), { rule: "per-feature" }, thresholds)], [0]);
});

Deno.test("fitting errors are typed and name the record", () => {
  assert.throws(() => fitQuantileThresholds([], 3, 0.5), DataError);
  assert.throws(() => fitQuantileThresholds([sv([0, 1])], 0, 0.5), ConfigError);
  assert.throws(() => fitQuantileThresholds([sv([0, 1])], 3, 1.1), ConfigError);
  assert.throws(() => fitQuantileThresholds([sv([0, 1])], 3, NaN), ConfigError);
  assert.throws(() => fitQuantileThresholds([sv([0, 1])], 3, 0.5, { minCount: -1 }), ConfigError);
  assert.throws(() => fitQuantileThresholds([sv([0, 1]), sv([3, 1])], 3, 0.5), /record 2.*out of range/);
  assert.throws(() => fitQuantileThresholds([sv([0, 1]), sv([1, NaN])], 3, 0.5), /record 2.*NaN/);
  assert.throws(() => fitQuantileThresholds([sv([1, Infinity])], 3, 0.5), DataError);
});

Deno.test("memory grows with the non-zeros, not records x dSae: 20k records of a 65k-wide SAE", () => {
  const dSae = 65536;
  const fitter = new QuantileThresholdFitter(dSae, 0.5);
  const indices = new Int32Array([5, 70, 65535]);
  for (let r = 0; r < 20000; r++) fitter.add({ indices, values: new Float32Array([r % 7, 1, 2]) });
  const thresholds = fitter.finish(); // a dense matrix would be 20000 x 65536 x 4 bytes = 5 GB
  assert.deepEqual([thresholds[5], thresholds[70], thresholds[65535], thresholds[0]], [3, 1, 2, 0]);
});
