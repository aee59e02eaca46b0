/**
 * runProbes on hand-built problems whose answer is known: a linearly separable sparse problem (logistic: perfect,
 * with a C from the grid and a degenerate [1, 1] interval), an axis-aligned one (the tree splits on the right
 * feature), an informative feature among noise (k-sparse with k = 1 picks it); determinism for a seed; the refusals
 * (one training class, an empty test split, NaN); a class absent from the test split; all-zero features; and on
 * real features (SST-2 TF-IDF) the logistic probe's test macro-F1 and accuracy against scikit-learn refitted with
 * the chosen C. Also selectColumns.
 */
import assert from "node:assert/strict";
import { ConfigError, mulberry32 } from "@saeflow/core";
import {
  type FeatureMatrix,
  type FeatureSetInfo,
  type LabeledMatrix,
  MOSAIC_CS,
  MOSAIC_TREE_GRID,
  type ProbeResult,
  runProbes,
  selectColumns,
  type SparseMatrix,
} from "@saeflow/probe";
import { python, tempDir } from "../helpers.ts";
import { PY_LOAD, sst2Tfidf, writeForPython } from "./logistic_fixtures.ts";

const INFO: FeatureSetInfo = { featureSet: "sae/l1.test/sum/gt-1", featureKind: "sae-binary", layer: 1, width: 20 };

/** CSR from per-row (feature → value) maps; `values: false` stores index sets only. */
function sparse(rows: Map<number, number>[], cols: number, values = true): SparseMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  const indices: number[] = [], vals: number[] = [];
  rows.forEach((row, r) => {
    for (const f of [...row.keys()].sort((a, b) => a - b)) {
      indices.push(f);
      vals.push(row.get(f)!);
    }
    rowPtr[r + 1] = indices.length;
  });
  return {
    kind: "sparse",
    rows: rows.length,
    cols,
    rowPtr,
    indices: Int32Array.from(indices),
    ...(values ? { values: Float32Array.from(vals) } : {}),
  };
}

function labeled(X: FeatureMatrix, y: number[], classes: readonly string[], prefix: string): LabeledMatrix {
  return { X, y: Int32Array.from(y), classes, ids: y.map((_, i) => `${prefix}:${i}`) };
}

/**
 * Binary index sets, 20 wide: class "pos" rows hold feature 0, class "neg" rows feature 1, and every row 3 noise
 * features from 2 .. 19. Perfectly separable by one feature.
 */
function separable(n: number, seed: number, prefix: string): LabeledMatrix {
  const uniform = mulberry32(seed);
  const y = Array.from({ length: n }, () => (uniform() < 0.5 ? 1 : 0));
  const rows = y.map((label) => {
    const row = new Map([[label === 1 ? 0 : 1, 1]]);
    while (row.size < 4) row.set(2 + Math.floor(uniform() * 18), 1);
    return row;
  });
  return labeled(sparse(rows, 20, false), y, ["neg", "pos"], prefix);
}

/** Dense uniform [0, 1) in 5 columns; the class is column 3 > 0.5. */
function axisAligned(n: number, seed: number, prefix: string): LabeledMatrix {
  const uniform = mulberry32(seed);
  const data = Float32Array.from({ length: n * 5 }, () => uniform());
  const y = Array.from({ length: n }, (_, i) => (data[i * 5 + 3] > 0.5 ? 1 : 0));
  return labeled({ kind: "dense", rows: n, cols: 5, data }, y, ["low", "high"], prefix);
}

/**
 * Continuous sparse "SAE" rows, 30 wide: feature 7 fires in every class-1 row (value 2..3) and in a tenth of the
 * class-0 rows (value < 0.5); every row also has 5 noise features (values 0..2) drawn alike for both classes.
 */
function informativeAmongNoise(n: number, seed: number, prefix: string): LabeledMatrix {
  const uniform = mulberry32(seed);
  const y = Array.from({ length: n }, (_, i) => i % 2);
  const rows = y.map((label) => {
    const row = new Map<number, number>();
    while (row.size < 5) {
      const f = Math.floor(uniform() * 30);
      if (f !== 7) row.set(f, 2 * uniform());
    }
    if (label === 1) row.set(7, 2 + uniform());
    else if (uniform() < 0.1) row.set(7, 0.5 * uniform());
    return row;
  });
  return labeled(sparse(rows, 30), y, ["off", "on"], prefix);
}

/** Equal up to float rounding (sums taken in another order). */
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

const withoutSeconds = (results: ProbeResult[]) => results.map(({ seconds: _, ...rest }) => rest);

const count = (y: Int32Array, c: number) => y.filter((v) => v === c).length;

/** Macro-F1 from a confusion matrix, by hand: over the classes in the truth or the predictions (sklearn's). */
function macroF1FromConfusion(confusion: number[][]): number {
  const K = confusion.length;
  const f1s: number[] = [];
  for (let c = 0; c < K; c++) {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    if (support === 0 && predicted === 0) continue;
    f1s.push(tp === 0 ? 0 : (2 * tp) / (support + predicted));
  }
  return f1s.reduce((a, b) => a + b, 0) / f1s.length;
}

Deno.test("runProbes logistic: a separable sparse problem is solved, C comes from the grid, the CI is [1, 1]", () => {
  const train = separable(120, 1, "train"), test = separable(40, 2, "test");
  const [r, ...rest] = runProbes({ train, test }, INFO, { probes: ["logistic"], seed: 42, bootstrap: 200 });
  assert.equal(rest.length, 0);
  assert.equal(r.probe, "logistic");
  assert.equal(r.featureSet, INFO.featureSet);
  assert.equal(r.featureKind, INFO.featureKind);
  assert.equal(r.layer, 1);
  assert.deepEqual(r.classes, ["neg", "pos"]);
  assert.equal(r.nTrain, 120);
  assert.equal(r.nTest, 40);
  assert.deepEqual(r.macroF1, { value: 1, lo: 1, hi: 1 });
  assert.deepEqual(r.accuracy, { value: 1, lo: 1, hi: 1 });
  assert.deepEqual(r.rocAuc, { value: 1, lo: 1, hi: 1 });
  assert.deepEqual(r.confusion, [[count(test.y, 0), 0], [0, count(test.y, 1)]]);
  assert.deepEqual(r.perClass.map((c) => [c.class, c.precision, c.recall, c.f1, c.support]), [
    ["neg", 1, 1, 1, count(test.y, 0)],
    ["pos", 1, 1, 1, count(test.y, 1)],
  ]);
  // C: one of MOSAIC's grid, the best cross-validated one (ties to the smaller C).
  const cv = r.params.cv as { C: number; cvMacroF1: number }[];
  assert.deepEqual(cv.map((s) => s.C), [...MOSAIC_CS]);
  const best = Math.max(...cv.map((s) => s.cvMacroF1));
  assert.equal(r.params.C, cv.find((s) => s.cvMacroF1 >= best - 1e-6)!.C);
  // Binarized features are not rescaled.
  assert.equal(r.params.scaled, undefined);
  // Top features per class (binary: one weight vector, split by sign): feature 0 pushes to "pos", feature 1 to "neg".
  assert.deepEqual(r.topFeatures!.map((t) => t.class), ["neg", "pos"]);
  const [neg, pos] = r.topFeatures!.map((t) => t.features);
  assert.equal(pos[0].feature, 0);
  assert.equal(neg[0].feature, 1);
  assert.ok([...neg, ...pos].every((f) => f.weight > 0), "listed weights push towards their class");
  assert.ok(neg.length <= 10 && pos.length <= 10);
  assert.ok(r.seconds >= 0);

  // A custom grid: C is one of its values.
  const [custom] = runProbes({ train, test }, INFO, { probes: ["logistic"], seed: 42, bootstrap: 10, cs: [0.5, 2] });
  assert.deepEqual((custom.params.cv as { C: number }[]).map((s) => s.C), [0.5, 2]);
  assert.ok([0.5, 2].includes(custom.params.C as number));
  assert.equal(custom.macroF1.value, 1);
});

Deno.test("runProbes tree: an axis-aligned problem is split on its one informative feature", () => {
  const train = axisAligned(200, 3, "train"), test = axisAligned(100, 4, "test");
  const [r] = runProbes({ train, test }, { ...INFO, featureKind: "hidden-last", width: 5 }, {
    probes: ["tree"],
    seed: 42,
    bootstrap: 100,
  });
  assert.equal(r.probe, "tree");
  // The first split separates the training rows: feature 3 holds all the Gini importance.
  assert.deepEqual(r.topFeatures, [{ class: "all (Gini importance)", features: [{ feature: 3, weight: 1 }] }]);
  assert.ok(r.macroF1.value >= 0.95, `macro-F1 ${r.macroF1.value}`);
  assert.ok(r.macroF1.lo <= r.macroF1.value && r.macroF1.value <= r.macroF1.hi);
  // Hyper-parameters from MOSAIC's grid, chosen on a validation carve-out of train.
  const { maxDepth, minSamplesSplit, minSamplesLeaf } = r.params;
  assert.ok(
    MOSAIC_TREE_GRID.some((g) =>
      g.maxDepth === maxDepth && g.minSamplesSplit === minSamplesSplit && g.minSamplesLeaf === minSamplesLeaf
    ),
  );
  assert.equal(r.params.chosenBy, "validation macro-F1");
  assert.ok(r.tree !== undefined);
  assert.equal(r.nTrain, 200);
});

Deno.test("runProbes k-sparse: with k = 1 the informative feature is picked among the noise", () => {
  const train = informativeAmongNoise(200, 5, "train"), test = informativeAmongNoise(80, 6, "test");
  const info = { ...INFO, featureKind: "sae", width: 30 };
  const results = runProbes({ train, test }, info, { probes: ["k-sparse"], seed: 42, bootstrap: 50, ks: [1, 3, 99] });
  // k = 99 is wider than the 30 features: skipped.
  assert.deepEqual(results.map((r) => r.probe), ["k-sparse(k=1)", "k-sparse(k=3)"]);
  const [one, three] = results;
  assert.equal(one.params.k, 1);
  assert.equal(one.params.features, 1);
  assert.deepEqual(one.topFeatures!.map((t) => [t.class, t.features.map((f) => f.feature)]), [["off", []], ["on", [
    7,
  ]]]);
  assert.ok(one.topFeatures![1].features[0].weight > 0, "feature 7 pushes towards class 'on'");
  assert.ok(one.macroF1.value >= 0.9, `k=1 macro-F1 ${one.macroF1.value}`);
  // k = 3: three features (binary: split by the sign of their weight), feature 7 the strongest towards "on".
  assert.equal(three.params.features, 3);
  const features = three.topFeatures!.flatMap((t) => t.features);
  assert.equal(features.length, 3);
  assert.equal(three.topFeatures![1].features[0].feature, 7);
  assert.ok(features.every((f) => f.feature >= 0 && f.feature < 30));

  // Only sparse SAE features get k-sparse probes.
  assert.deepEqual(
    runProbes({ train, test }, { ...info, featureKind: "tfidf" }, { probes: ["k-sparse"], seed: 1 }),
    [],
  );
  const dense = axisAligned(40, 1, "d");
  assert.deepEqual(runProbes({ train: dense, test: dense }, info, { probes: ["k-sparse"], seed: 1 }), []);
});

Deno.test("runProbes: the same seed gives the same results, every probe", () => {
  const train = informativeAmongNoise(120, 7, "train"), test = informativeAmongNoise(60, 8, "test");
  const info = { ...INFO, featureKind: "sae", width: 30 };
  const options = { probes: ["logistic", "tree", "k-sparse"] as const, seed: 11, bootstrap: 100, ks: [1, 2] };
  const a = runProbes({ train, test }, info, options);
  const b = runProbes({ train, test }, info, options);
  assert.deepEqual(a.map((r) => r.probe), ["logistic", "tree", "k-sparse(k=1)", "k-sparse(k=2)"]);
  assert.deepEqual(withoutSeconds(a), withoutSeconds(b));
  // Continuous sparse features are divided by their standard deviation for the logistic probe.
  assert.ok(typeof a[0].params.scaled === "string");
  // Every interval contains its estimate.
  for (const r of a) {
    for (const m of [r.macroF1, r.accuracy, r.rocAuc!]) assert.ok(m.lo <= m.value && m.value <= m.hi, r.probe);
  }
});

Deno.test("runProbes: a training split with a single class is a ConfigError, whichever the probe", () => {
  const train = separable(60, 9, "train"), test = separable(20, 10, "test");
  const oneClass = { ...train, y: new Int32Array(train.y.length).fill(1) };
  const info = { ...INFO, featureKind: "sae" };
  for (const probe of ["logistic", "tree", "k-sparse"] as const) {
    assert.throws(
      () => runProbes({ train: oneClass, test }, info, { probes: [probe], seed: 1, bootstrap: 10, ks: [1] }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, `${probe}: ${error}`);
        assert.match(error.message, /class/, probe);
        return true;
      },
    );
  }
});

Deno.test("runProbes: an empty test split is a ConfigError naming the feature set", () => {
  const train = separable(60, 9, "train");
  const empty = labeled(sparse([], 20, false), [], train.classes, "test");
  for (const probe of ["logistic", "tree"] as const) {
    assert.throws(
      () => runProbes({ train, test: empty }, INFO, { probes: [probe], seed: 1 }),
      (error: Error) => error instanceof ConfigError && error.message.includes(INFO.featureSet),
    );
  }
});

Deno.test("runProbes: a class absent from the test split is reported with support 0 and no ROC-AUC", () => {
  // Three classes, each with its own indicator feature (0, 1, 2) plus noise; the test split lacks class "c".
  const build = (n: number, seed: number, classes: number[], prefix: string) => {
    const uniform = mulberry32(seed);
    const y = Array.from({ length: n }, (_, i) => classes[i % classes.length]);
    const rows = y.map((c) => {
      const row = new Map([[c, 1]]);
      while (row.size < 3) row.set(3 + Math.floor(uniform() * 7), 1);
      return row;
    });
    return labeled(sparse(rows, 10, false), y, ["a", "b", "c"], prefix);
  };
  const train = build(90, 11, [0, 1, 2], "train"), test = build(20, 12, [0, 1], "test");
  for (const probe of ["logistic", "tree"] as const) {
    const [r] = runProbes({ train, test }, INFO, { probes: [probe], seed: 3, bootstrap: 50 });
    assert.deepEqual(r.classes, ["a", "b", "c"]);
    assert.deepEqual(r.perClass.map((c) => c.support), [10, 10, 0], probe);
    assert.deepEqual(r.perClass[2], { class: "c", precision: 0, recall: 0, f1: 0, support: 0 }, probe);
    assert.equal(r.confusion.length, 3);
    assert.deepEqual(r.confusion[2], [0, 0, 0]);
    assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 20);
    // One-vs-rest ROC-AUC is undefined for the absent class, hence for the average: left out of the result.
    assert.equal(r.rocAuc, undefined, probe);
    assert.ok(!("rocAuc" in r), probe);
    // Macro-F1 averages the classes in the truth or the predictions, as sklearn's f1_score(average="macro").
    close(r.macroF1.value, macroF1FromConfusion(r.confusion), probe);
    assert.equal(r.macroF1.value, 1, `${probe}: the indicator features separate the classes`);
  }
});

Deno.test("runProbes: a class with no training row (3 classes listed, 2 seen) is never predicted, by any probe", () => {
  // The class list comes from the dataset's label names; a rare class can miss the training split entirely.
  const uniform = mulberry32(17);
  const build = (n: number, prefix: string) => {
    const y = Array.from({ length: n }, (_, i) => i % 2);
    const rows = y.map((c) => {
      const row = new Map([[c, 1 + uniform()]]);
      while (row.size < 3) row.set(3 + Math.floor(uniform() * 7), uniform());
      return row;
    });
    return labeled(sparse(rows, 10), y, ["a", "b", "rare"], prefix);
  };
  const train = build(80, "train"), test = build(20, "test");
  const results = runProbes({ train, test }, { ...INFO, featureKind: "sae" }, {
    probes: ["logistic", "tree", "k-sparse"],
    seed: 2,
    bootstrap: 20,
    ks: [1],
  });
  assert.deepEqual(results.map((r) => r.probe), ["logistic", "tree", "k-sparse(k=1)"]);
  for (const r of results) {
    assert.deepEqual(r.confusion.map((row) => row[2]), [0, 0, 0], `${r.probe}: "rare" is never predicted`);
    assert.equal(r.perClass[2].support, 0);
    assert.equal(r.macroF1.value, 1, `${r.probe}: features 0 and 1 separate a from b`);
  }
  // k = 1 per seen class, one-vs-rest over the two seen classes only: "a vs rest" and "b vs rest" are then the same
  // comparison, so both pick the same single feature, 0 or 1 (whichever mean differs most).
  assert.equal(results[2].params.features, 1);
  const picked = results[2].topFeatures!.flatMap((t) => t.features.map((f) => f.feature));
  assert.ok(picked.length > 0 && picked.every((f) => f === picked[0] && (f === 0 || f === 1)), `${picked}`);
});

Deno.test("runProbes: NaN features are a ConfigError naming the row, in train or in test", () => {
  const nanDense = (m: LabeledMatrix, at: number): LabeledMatrix => {
    const X = m.X as Extract<FeatureMatrix, { kind: "dense" }>;
    const data = X.data.slice();
    data[at] = NaN;
    return { ...m, X: { ...X, data } };
  };
  const train = axisAligned(60, 13, "train"), test = axisAligned(20, 14, "test");
  for (const probe of ["logistic", "tree"] as const) {
    for (
      const [where, data] of [["train", { train: nanDense(train, 7), test }], ["test", {
        train,
        test: nanDense(test, 11),
      }]] as const
    ) {
      assert.throws(
        () => runProbes(data, INFO, { probes: [probe], seed: 1, bootstrap: 10 }),
        (error: Error) => {
          assert.ok(error instanceof ConfigError, `${probe} ${where}: ${error}`);
          assert.match(error.message, /row \d+: value NaN/, `${probe} ${where}`);
          return true;
        },
      );
    }
  }
  // Sparse values too, every probe (k-sparse selects its features on train, so NaN there must be refused).
  const s = informativeAmongNoise(60, 15, "train"), t = informativeAmongNoise(20, 16, "test");
  const X = s.X as SparseMatrix;
  const values = X.values!.slice();
  values[4] = NaN;
  const bad = { ...s, X: { ...X, values } };
  for (const probe of ["logistic", "tree", "k-sparse"] as const) {
    assert.throws(
      () => runProbes({ train: bad, test: t }, { ...INFO, featureKind: "sae" }, { probes: [probe], seed: 1, ks: [1] }),
      (error: Error) => error instanceof ConfigError && /NaN/.test(error.message),
      probe,
    );
  }
});

Deno.test("runProbes: all-zero features run and predict a single class (macro-F1 <= 0.5, ROC-AUC 0.5)", () => {
  // Nothing to learn: the logistic probe is left with its intercept, which class balancing puts at 0 (p = 0.5 for
  // every row), the tree with a single leaf; either way every test row gets the same prediction.
  const y = (n: number) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const zerosSparse = (n: number) =>
    labeled(sparse(Array.from({ length: n }, () => new Map()), 8), y(n), ["a", "b"], "z");
  const zerosDense = (n: number) =>
    labeled({ kind: "dense", rows: n, cols: 4, data: new Float32Array(n * 4) }, y(n), ["a", "b"], "z");
  for (const [kind, make] of [["sparse", zerosSparse], ["dense", zerosDense]] as const) {
    const train = make(60), test = make(30);
    const probes = kind === "sparse" ? ["logistic", "tree", "k-sparse"] as const : ["logistic", "tree"] as const;
    const results = runProbes({ train, test }, { ...INFO, featureKind: "sae" }, {
      probes,
      seed: 1,
      bootstrap: 50,
      ks: [1],
    });
    assert.equal(results.length, probes.length);
    for (const r of results) {
      const what = `${kind} ${r.probe}`;
      const predictedColumns = [0, 1].filter((c) => r.confusion[0][c] + r.confusion[1][c] > 0);
      assert.equal(predictedColumns.length, 1, `${what}: one predicted class, ${JSON.stringify(r.confusion)}`);
      assert.ok(r.macroF1.value <= 0.5, `${what}: macro-F1 ${r.macroF1.value}`);
      close(r.macroF1.value, macroF1FromConfusion(r.confusion), what);
      assert.equal(r.rocAuc?.value, 0.5, `${what}: every score tied`);
      assert.equal(r.accuracy.value, (predictedColumns[0] === 0 ? 20 : 10) / 30, what);
    }
  }
});

Deno.test("selectColumns: keeps the chosen columns, renumbered, with their values; absent values stay absent", () => {
  const rows = [
    new Map([[0, 1.5], [3, 2], [5, -1]]),
    new Map<number, number>(),
    new Map([[1, 4], [5, 7]]),
    new Map([[2, 9]]),
  ];
  const X = sparse(rows, 6);
  const picked = selectColumns(X, Int32Array.from([1, 5]));
  assert.deepEqual(picked, {
    kind: "sparse",
    rows: 4,
    cols: 2,
    rowPtr: Int32Array.from([0, 1, 1, 3, 3]),
    indices: Int32Array.from([1, 0, 1]),
    values: Float32Array.from([-1, 4, 7]),
  });
  const binary = selectColumns(sparse(rows, 6, false), Int32Array.from([0, 2, 3]));
  assert.equal(binary.kind, "sparse");
  assert.ok(!("values" in binary), "an index set stays an index set");
  assert.deepEqual(binary, {
    kind: "sparse",
    rows: 4,
    cols: 3,
    rowPtr: Int32Array.from([0, 2, 2, 2, 3]),
    indices: Int32Array.from([0, 2, 1]),
  });
  const none = selectColumns(X, new Int32Array(0)) as SparseMatrix;
  assert.equal(none.cols, 0);
  assert.deepEqual(Array.from(none.rowPtr), [0, 0, 0, 0, 0]);
});

/**
 * sklearn refitted with the C the probe chose, on the same rows (through a StandardScaler(with_mean=False) first
 * when the probe scaled the columns), scored with f1_score / accuracy_score on its own predictions.
 */
const SKLEARN_REFIT = PY_LOAD + String.raw`
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

C, scaled = float(sys.argv[2]), sys.argv[3] == "scaled"
Xtr, ytr, Xte, yte = load("Xtrain"), load("ytrain"), load("Xtest"), load("ytest")
logistic = LogisticRegression(C=C, class_weight="balanced", max_iter=10000)
model = make_pipeline(StandardScaler(with_mean=False), logistic) if scaled else logistic
predicted = model.fit(Xtr, ytr).predict(Xte)
print(json.dumps({"macroF1": f1_score(yte, predicted, average="macro"), "accuracy": accuracy_score(yte, predicted)}))
`;

Deno.test("runProbes logistic on SST-2 TF-IDF: test macro-F1 and accuracy as scikit-learn's with the chosen C", async () => {
  const { train, test } = await sst2Tfidf();
  const classes = ["negative", "positive"];
  const data = {
    train: { ...train, classes, ids: Array.from(train.y, (_, i) => `train:${i}`) },
    test: { ...test, classes, ids: Array.from(test.y, (_, i) => `test:${i}`) },
  };
  const [r] = runProbes(data, { featureSet: "tfidf", featureKind: "tfidf", width: train.X.cols }, {
    probes: ["logistic"],
    seed: 42,
    bootstrap: 100,
  });
  assert.ok(MOSAIC_CS.includes(r.params.C as number));
  assert.equal(r.nTest, test.X.rows);
  close(r.macroF1.value, macroF1FromConfusion(r.confusion), "the reported macro-F1 is its confusion's");
  await using dir = await tempDir();
  await writeForPython(dir.path, { Xtrain: train.X, ytrain: train.y, Xtest: test.X, ytest: test.y });
  const sk = await python<{ macroF1: number; accuracy: number }>(
    SKLEARN_REFIT,
    dir.path,
    String(r.params.C),
    r.params.scaled ? "scaled" : "raw",
  );
  console.log(
    `SST-2 TF-IDF, C ${r.params.C}${r.params.scaled ? " (scaled)" : ""}: macro-F1 ours ${r.macroF1.value.toFixed(4)}` +
      ` sklearn ${sk.macroF1.toFixed(4)}; accuracy ours ${r.accuracy.value.toFixed(4)} sklearn ${
        sk.accuracy.toFixed(4)
      }`,
  );
  assert.ok(Math.abs(r.macroF1.value - sk.macroF1) <= 0.01, `macro-F1 ${r.macroF1.value} vs sklearn ${sk.macroF1}`);
  assert.ok(Math.abs(r.accuracy.value - sk.accuracy) <= 0.01, `accuracy ${r.accuracy.value} vs sklearn ${sk.accuracy}`);
  assert.ok(r.macroF1.value > 0.6, "TF-IDF separates SST-2 sentiment better than chance");
});
