import assert from "node:assert/strict";
import { restrictToFeatures, selectTopKByMeanDifference, type SparseVector } from "@saeflow/binarize";
import { ConfigError, DataError } from "@saeflow/core";
import { mulberry32 } from "../random.ts";
import { dense, randomVectors, sv } from "./fixtures.ts";

/** Dense reference: the full matrix, class means per column, a stable sort of (score desc, id asc). */
function naiveTopK(vectors: SparseVector[], positive: boolean[], k: number, dSae: number): number[] {
  const rows = vectors.map((v) => dense(v, dSae));
  const mean = (want: boolean, f: number) => {
    let sum = 0;
    let n = 0;
    rows.forEach((row, r) => {
      if (positive[r] === want) {
        sum += row[f];
        n++;
      }
    });
    return sum / n;
  };
  const scored = Array.from({ length: dSae }, (_, f) => ({ f, score: Math.abs(mean(true, f) - mean(false, f)) }));
  scored.sort((a, b) => b.score - a.score || a.f - b.f);
  return scored.slice(0, k).map(({ f }) => f);
}

Deno.test("binary labels: matches the dense reference, best first, every k a prefix of the next", () => {
  const dSae = 80;
  const vectors = randomVectors(21, 150, dSae, 0.15);
  const rand = mulberry32(5);
  const labels = vectors.map(() => (rand() < 0.4 ? 1 : 0));
  for (const k of [0, 1, 2, 5, 10, 20, 50, 80]) {
    const got = selectTopKByMeanDifference(vectors, labels, k, { dSae });
    assert.deepEqual([...got], naiveTopK(vectors, labels.map((l) => l === 1), k, dSae), `k ${k}`);
  }
});

Deno.test("one-vs-rest for each class of a 3-class task matches the dense reference", () => {
  const dSae = 50;
  const vectors = randomVectors(22, 90, dSae, 0.2);
  const labels = Int32Array.from(vectors, (_, r) => r % 3);
  for (const c of [0, 1, 2]) {
    const got = selectTopKByMeanDifference(vectors, labels, 10, { dSae, positiveClass: c });
    assert.deepEqual([...got], naiveTopK(vectors, [...labels].map((l) => l === c), 10, dSae), `class ${c}`);
  }
});

Deno.test("ties go to the lower feature id; absent features count as 0; the sign of the difference is ignored", () => {
  const vectors = [sv([1, 2], [3, 2], [4, 1]), sv([0, 1], [2, 2], [4, 1]), sv([1, 2], [3, 2]), sv([2, 2])];
  const labels = [1, 0, 1, 0];
  // |diff|: f0 0.5, f1 2, f2 2, f3 2, f4 0, f5 0 (never seen).
  assert.deepEqual([...selectTopKByMeanDifference(vectors, labels, 6, { dSae: 6 })], [1, 2, 3, 0, 4, 5]);
  assert.deepEqual([...selectTopKByMeanDifference(vectors, labels, 2, { dSae: 6 })], [1, 2]);
});

Deno.test("selection errors are typed", () => {
  const vectors = [sv([0, 1]), sv([1, 1])];
  assert.throws(() => selectTopKByMeanDifference(vectors, [1, 1], 1, { dSae: 2 }), /both classes/);
  assert.throws(() => selectTopKByMeanDifference(vectors, [1, 2], 1, { dSae: 2 }), /record 2.*not binary/);
  assert.throws(() => selectTopKByMeanDifference(vectors, [1], 1, { dSae: 2 }), DataError);
  assert.throws(() => selectTopKByMeanDifference(vectors, [1, 0, 1], 1, { dSae: 2 }), /2 vectors but 3 labels/);
  assert.throws(() => selectTopKByMeanDifference(vectors, [1, 0], 3, { dSae: 2 }), ConfigError);
  assert.throws(() => selectTopKByMeanDifference(vectors, [1, 0], 1.5, { dSae: 2 }), ConfigError);
  assert.throws(() => selectTopKByMeanDifference([sv([0, NaN])], [1], 1, { dSae: 2 }), /NaN/);
  assert.throws(() => selectTopKByMeanDifference([sv([2, 1])], [1], 1, { dSae: 2 }), /out of range/);
});

Deno.test("restrictToFeatures keeps the selected ids of an index set, ascending", () => {
  assert.deepEqual([...restrictToFeatures(new Int32Array([1, 4, 9]), new Int32Array([9, 2, 1]))], [1, 9]);
  assert.deepEqual([...restrictToFeatures(new Int32Array([]), new Int32Array([1]))], []);
  assert.deepEqual([...restrictToFeatures(new Int32Array([1, 2]), new Int32Array([]))], []);
  const rand = mulberry32(3);
  for (let trial = 0; trial < 50; trial++) {
    const active = Int32Array.from(new Set(Array.from({ length: 20 }, () => Math.floor(rand() * 40)))).sort();
    const selected = Int32Array.from(new Set(Array.from({ length: 10 }, () => Math.floor(rand() * 40))));
    const expected = [...active].filter((f) => selected.includes(f));
    assert.deepEqual([...restrictToFeatures(active, selected)], expected);
  }
});
