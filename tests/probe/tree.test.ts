/**
 * The decision tree on hand-built cases (thresholds, leaf sizes, tie rules, class weights, the JSON form), its
 * memory on a 65,536-wide binarized matrix (peak RSS of a child process), bad inputs, determinism, truncation,
 * feature sampling and the grid search's tie rule. Agreement with scikit-learn is in tree_sklearn.test.ts.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import type { DenseMatrix, FeatureMatrix, LabeledMatrix, SparseMatrix } from "../../modules/probe/feature_matrix.ts";
import {
  type DecisionTree,
  fitTree,
  MOSAIC_TREE_GRID,
  selectTree,
  type TreeNodeJson,
} from "../../modules/probe/tree/mod.ts";
import { mulberry32 } from "../random.ts";

function dense(rows: number[][]): DenseMatrix {
  return { kind: "dense", rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) };
}

/** Binarized CSR from each row's feature ids. */
function binary(rows: number[][], cols: number): SparseMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (rowPtr[i + 1] = rowPtr[i] + r.length));
  return { kind: "sparse", rows: rows.length, cols, rowPtr, indices: Int32Array.from(rows.flat()) };
}

/** `rows` random rows of `cols` small integers (many repeated values), labels from two columns plus noise. */
function randomDense(rows: number, cols: number, seed: number): { X: DenseMatrix; y: Int32Array } {
  const uniform = mulberry32(seed);
  const data = Float32Array.from({ length: rows * cols }, () => Math.floor(uniform() * 6) - 2);
  const y = Int32Array.from({ length: rows }, (_, r) => {
    const s = data[r * cols] - data[r * cols + 1] + 2 * uniform();
    return s < 0 ? 0 : s < 2 ? 1 : 2;
  });
  return { X: { kind: "dense", rows, cols, data }, y };
}

function nodes(json: TreeNodeJson): TreeNodeJson[] {
  return "feature" in json ? [json, ...nodes(json.left), ...nodes(json.right)] : [json];
}

Deno.test("a separable toy set gives a depth-1 tree at the midpoint, in the documented JSON form", () => {
  const X = dense([[1, 5], [2, 0], [3, 5], [10, 0], [11, 5], [12, 0]]);
  const tree = fitTree(X, Int32Array.from([0, 0, 0, 1, 1, 1]), 2);
  assert.equal(tree.depth, 1);
  assert.equal(tree.leaves, 2);
  assert.deepEqual(tree.toJSON(), {
    feature: 0,
    threshold: 6.5,
    samples: 6,
    value: [3, 3],
    impurity: 0.5,
    left: { samples: 3, value: [3, 0], class: 0 },
    right: { samples: 3, value: [0, 3], class: 1 },
  });
  assert.deepEqual([...tree.predict(dense([[6.5, 0], [6.6, 0], [-100, 9]]))], [0, 1, 0]);
  assert.deepEqual([...tree.featureImportances()], [1, 0]);
  assert.equal(JSON.stringify(tree), JSON.stringify(tree.toJSON()));
});

Deno.test("binarized sparse features split on presence (threshold 0.5, absent rows left)", () => {
  const X = binary([[3], [1, 3], [0], [], [2, 3], [1]], 4);
  const tree = fitTree(X, Int32Array.from([1, 1, 0, 0, 1, 0]), 2);
  assert.deepEqual(tree.toJSON(), {
    feature: 3,
    threshold: 0.5,
    samples: 6,
    value: [3, 3],
    impurity: 0.5,
    left: { samples: 3, value: [3, 0], class: 0 },
    right: { samples: 3, value: [0, 3], class: 1 },
  });
  assert.deepEqual([...tree.predict(binary([[3], [0, 1, 2]], 4))], [1, 0]);
});

Deno.test("ties: the lowest feature id, then the lowest threshold; sparse and dense give one tree", () => {
  // Columns 1 and 2 are copies; either split is as good.
  const copies = dense([[0, 1, 1], [0, 2, 2], [0, 3, 3], [0, 4, 4]]);
  assert.equal((fitTree(copies, Int32Array.from([0, 0, 1, 1]), 2).toJSON() as { feature: number }).feature, 1);
  // 1.5 and 3.5 leave the same impurity (one pure row and a 2:1 side); 1.5 is kept.
  const tree = fitTree(dense([[1], [2], [3], [4]]), Int32Array.from([0, 1, 1, 0]), 2, { maxDepth: 1 });
  assert.equal((tree.toJSON() as { threshold: number }).threshold, 1.5);
  // Negative values, zeros and positives: the sparse walk (negatives up, positives down) matches the dense one.
  const uniform = mulberry32(3);
  const rows = Array.from(
    { length: 300 },
    () => Array.from({ length: 6 }, () => (uniform() < 0.5 ? 0 : uniform() - 0.4)),
  );
  const y = Int32Array.from(rows, (r) => (r[0] + r[1] > 0 ? 1 : r[2] < 0 ? 2 : 0));
  const sparse: SparseMatrix = {
    kind: "sparse",
    rows: 300,
    cols: 6,
    rowPtr: Int32Array.from({ length: 301 }, (_, i) => i * 6),
    indices: Int32Array.from(rows.flatMap(() => [0, 1, 2, 3, 4, 5])),
    values: Float32Array.from(rows.flat()), // every zero stored explicitly
  };
  assert.deepEqual(fitTree(sparse, y, 3).toJSON(), fitTree(dense(rows), y, 3).toJSON());
});

Deno.test("minSamplesLeaf and minSamplesSplit hold at every node; the JSON adds up", () => {
  const { X, y } = randomDense(400, 5, 11);
  for (const options of [{ minSamplesLeaf: 7 }, { minSamplesSplit: 30 }, { minSamplesLeaf: 3, maxDepth: 6 }]) {
    const json = fitTree(X, y, 3, options).toJSON();
    for (const node of nodes(json)) {
      if ("feature" in node) {
        assert.ok(node.samples >= (options.minSamplesSplit ?? 2));
        assert.equal(node.left.samples + node.right.samples, node.samples);
        assert.deepEqual(node.value, node.left.value.map((v, c) => v + (node.right as { value: number[] }).value[c]));
        const n = node.samples;
        assert.ok(Math.abs(node.impurity - (1 - node.value.reduce((s, v) => s + (v / n) ** 2, 0))) < 1e-12);
      } else {
        assert.ok(node.samples >= (options.minSamplesLeaf ?? 1));
        assert.equal(node.class, node.value.indexOf(Math.max(...node.value)));
      }
    }
  }
  // The best cut (2.5) would leave 2 rows on the left; with minSamplesLeaf 3 the tree splits at 6.5 instead.
  const X6 = dense([[1], [2], [3], [10], [11], [12]]), y6 = Int32Array.from([0, 0, 1, 1, 1, 1]);
  assert.equal((fitTree(X6, y6, 2).toJSON() as { threshold: number }).threshold, 2.5);
  assert.equal((fitTree(X6, y6, 2, { minSamplesLeaf: 3 }).toJSON() as { threshold: number }).threshold, 6.5);
});

Deno.test("class weights, probabilities, importances, a tree that cannot split", () => {
  const X = dense([[0], [1], [2], [3]]);
  const tree = fitTree(X, Int32Array.from([0, 0, 0, 1]), 2, { classWeight: "balanced" });
  // Balanced weights: 4 / (2 * 3) per row of class 0, 4 / (2 * 1) for class 1.
  assert.deepEqual(tree.toJSON(), {
    feature: 0,
    threshold: 2.5,
    samples: 4,
    value: [2, 2],
    impurity: 0.5,
    left: { samples: 3, value: [2, 0], class: 0 },
    right: { samples: 1, value: [0, 2], class: 1 },
  });
  const { X: Xr, y } = randomDense(300, 4, 5);
  const fitted = fitTree(Xr, y, 3, { maxDepth: 3 });
  const proba = fitted.predictProba(Xr), predicted = fitted.predict(Xr);
  for (let r = 0; r < Xr.rows; r++) {
    const row = [...proba.subarray(r * 3, r * 3 + 3)];
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.equal(predicted[r], row.indexOf(Math.max(...row)));
  }
  const importances = fitted.featureImportances();
  assert.ok(Math.abs(importances.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(importances[0] > importances[2] && importances[1] > importances[3]);
  // Every feature constant: the root stays a leaf predicting the first majority class.
  const stump = fitTree(dense([[7], [7], [7]]), Int32Array.from([1, 0, 1]), 3);
  assert.deepEqual([stump.depth, stump.leaves], [0, 1]);
  assert.deepEqual(stump.toJSON(), { samples: 3, value: [1, 2, 0], class: 1 });
  assert.deepEqual([...stump.featureImportances()], [0]);
  assert.deepEqual([...stump.predictProba(dense([[1]]))], [1 / 3, 2 / 3, 0]);
});

Deno.test("bad inputs: one class, NaN, label counts, label range, options, widths", () => {
  const X = dense([[0], [1], [2]]);
  assert.throws(() => fitTree(X, Int32Array.from([1, 1, 1]), 2), ConfigError);
  assert.throws(() => fitTree(dense([[0], [NaN], [2]]), Int32Array.from([0, 1, 0]), 2), ConfigError);
  const nanSparse: SparseMatrix = { ...binary([[0], [0], []], 1), values: Float32Array.from([1, NaN]) };
  assert.throws(() => fitTree(nanSparse, Int32Array.from([0, 1, 0]), 2), ConfigError);
  assert.throws(() => fitTree(X, Int32Array.from([0, 1]), 2), RangeError);
  assert.throws(() => fitTree(X, Int32Array.from([0, 1, 2]), 2), RangeError);
  assert.throws(() => fitTree(X, Int32Array.from([0, 1, -1]), 2), RangeError);
  assert.throws(() => fitTree(X, Int32Array.from([0, 1, 0]), 1), ConfigError);
  const y = Int32Array.from([0, 1, 0]);
  for (
    const options of [
      { maxDepth: 0 },
      { maxDepth: 2.5 },
      { minSamplesSplit: 1 },
      { minSamplesLeaf: 0 },
      { maxFeatures: 2 },
      { maxFeatures: 0 },
      { seed: 0.5 },
      { classWeight: "uniform" as "balanced" },
    ]
  ) assert.throws(() => fitTree(X, y, 2, options), ConfigError, JSON.stringify(options));
  const tree = fitTree(X, y, 2);
  assert.throws(() => tree.predict(dense([[0, 1]])), RangeError);
  assert.throws(() => tree.predict(dense([[Infinity]])), ConfigError);
  const labeled: LabeledMatrix = { X, y, classes: ["a", "b"], ids: ["1", "2", "3"] };
  assert.throws(() => selectTree(labeled, labeled, { grid: [] }), ConfigError);
  assert.throws(() => selectTree(labeled, { ...labeled, classes: ["b", "a"] }), ConfigError);
  assert.throws(() => selectTree(labeled, { ...labeled, y: Int32Array.from([0, 1]) }), RangeError);
  assert.throws(
    () => selectTree(labeled, labeled, { grid: [{ maxDepth: 0, minSamplesSplit: 2, minSamplesLeaf: 1 }] }),
    ConfigError,
  );
});

Deno.test("determinism: identical JSON for identical input; truncate(d) is the fit at maxDepth d", () => {
  const { X, y } = randomDense(500, 8, 2);
  const json = (t: DecisionTree) => JSON.stringify(t);
  assert.equal(json(fitTree(X, y, 3)), json(fitTree(X, y, 3)));
  for (const minSamplesLeaf of [1, 4]) {
    const deep = fitTree(X, y, 3, { maxDepth: 9, minSamplesLeaf });
    for (const d of [1, 3, 5, 7, 9, 12]) {
      assert.equal(json(deep.truncate(d)), json(fitTree(X, y, 3, { maxDepth: Math.min(d, 9), minSamplesLeaf })));
    }
  }
});

Deno.test("maxFeatures: a seeded subset of the varying features per node", () => {
  // 2000 columns, only 5 of them ever present: sampling skips the constant ones, as sklearn's does.
  const uniform = mulberry32(9);
  const used = [4, 300, 901, 1500, 1999];
  const rows = Array.from({ length: 400 }, () => used.filter(() => uniform() < 0.5));
  const y = Int32Array.from(rows, (r) => (r.includes(300) !== r.includes(1500) ? 1 : 0));
  const X: FeatureMatrix = binary(rows, 2000);
  const all = fitTree(X, y, 2, { maxDepth: 4 });
  assert.deepEqual(fitTree(X, y, 2, { maxDepth: 4, maxFeatures: 2000 }).toJSON(), all.toJSON());
  const roots = new Set<number>();
  for (let seed = 0; seed < 10; seed++) {
    const sampled = fitTree(X, y, 2, { maxDepth: 4, maxFeatures: 1, seed });
    assert.equal(JSON.stringify(sampled), JSON.stringify(fitTree(X, y, 2, { maxDepth: 4, maxFeatures: 1, seed })));
    assert.ok(sampled.depth >= 1);
    roots.add((sampled.toJSON() as { feature: number }).feature);
  }
  assert.ok(roots.size >= 3 && [...roots].every((f) => used.includes(f)), `roots ${[...roots]}`);
  // With every varying feature sampled, the subset is all of them: the deterministic tree.
  assert.deepEqual(fitTree(X, y, 2, { maxDepth: 4, maxFeatures: 5, seed: 7 }).toJSON(), all.toJSON());
});

Deno.test("selectTree: scores on validation, ties go to the simpler tree", () => {
  // Separable at depth 1: every grid point scores 1, so the simplest wins (depth 3, leaf 4, split 10).
  const X = dense(Array.from({ length: 40 }, (_, i) => [i, (i * 7) % 5]));
  const y = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
  const train: LabeledMatrix = { X, y, classes: ["a", "b"], ids: Array.from(y, String) };
  const selection = selectTree(train, train);
  assert.deepEqual(selection.params, { maxDepth: 3, minSamplesSplit: 10, minSamplesLeaf: 4 });
  assert.equal(selection.score, 1);
  assert.equal(selection.scores.length, MOSAIC_TREE_GRID.length);
  assert.ok(selection.scores.every((s) => s.score === 1));
  // A custom score and grid: accuracy, where only the deeper tree fits the validation rows.
  const { X: Xr, y: yr } = randomDense(300, 4, 8);
  const noisy: LabeledMatrix = { X: Xr, y: yr, classes: ["a", "b", "c"], ids: Array.from(yr, String) };
  const accuracy = (t: Int32Array, p: Int32Array) => t.filter((c, i) => c === p[i]).length / t.length;
  const grid = [{ maxDepth: 1, minSamplesSplit: 2, minSamplesLeaf: 1 }, { minSamplesSplit: 2, minSamplesLeaf: 1 }];
  const chosen = selectTree(noisy, noisy, { grid, score: accuracy });
  assert.deepEqual(chosen.params, grid[1]);
  assert.equal(chosen.score, accuracy(yr, fitTree(Xr, yr, 3).predict(Xr)));
});

Deno.test("a 65,536-wide binarized matrix of 5,000 rows is never densified (peak RSS of a child process)", async () => {
  const rows = 5000, cols = 65536, perRow = 64;
  const code = `
    import { fitTree } from ${JSON.stringify(new URL("../../modules/probe/tree/mod.ts", import.meta.url).href)};
    import { mulberry32 } from "@saeflow/core";
    const peak = () => 1024 * Number(/VmHWM:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]);
    const uniform = mulberry32(1);
    const rowPtr = new Int32Array(${rows} + 1), indices = new Int32Array(${rows * perRow}), y = new Int32Array(${rows});
    for (let r = 0; r < ${rows}; r++) {
      const picked = new Set();
      while (picked.size < ${perRow}) picked.add(Math.floor(uniform() ** 2 * ${cols}));
      const sorted = Int32Array.from(picked).sort();
      indices.set(sorted, r * ${perRow});
      rowPtr[r + 1] = (r + 1) * ${perRow};
      y[r] = sorted.filter((f) => f < 64).length + uniform() > 1.5 ? 1 : 0;
    }
    const X = { kind: "sparse", rows: ${rows}, cols: ${cols}, rowPtr, indices };
    const before = peak(), start = performance.now();
    const tree = fitTree(X, y, 2, { maxDepth: 5 });
    const ms = performance.now() - start;
    console.log(JSON.stringify({ growth: peak() - before, ms, depth: tree.depth, leaves: tree.leaves }));
  `;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const { code: status, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", config, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(status, 0, new TextDecoder().decode(stderr));
  const result = JSON.parse(new TextDecoder().decode(stdout));
  console.log(
    `65,536 x 5,000 binarized (${rows * perRow} entries), depth 5: fit ${result.ms.toFixed(0)} ms, ` +
      `peak RSS growth ${(result.growth / 2 ** 20).toFixed(1)} MiB (dense would be ${rows * cols / 2 ** 20} MiB)`,
  );
  assert.equal(result.depth, 5);
  assert.ok(result.growth < (rows * cols) / 10, `peak RSS grew ${result.growth} bytes`);
});
