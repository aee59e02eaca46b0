/**
 * The decision tree against scikit-learn 1.2's `DecisionTreeClassifier` (an implementation nobody on this project
 * wrote) on real data: sklearn's digits (dense), SST-2 dev TF-IDF and its binarized form (sparse CSR), and MOSAIC's
 * grid chosen on a validation split. scikit-learn breaks ties between equally good splits by a random feature
 * permutation (its trees change with random_state: 20 distinct digits trees over 20 seeds), so the trees are walked
 * side by side and every node where they part must be a tie; where they agree, probabilities and importances must
 * match. Scores: within sklearn's own spread over random states (+0.01), and within 0.01 of random_state 0 on
 * average over the settings. Continuous data without ties must give sklearn's very tree.
 */
import assert from "node:assert/strict";
import {
  MOSAIC_SPLIT,
  MOSAIC_SPLIT_WITH_VALIDATION,
  openTextDataset,
  type SplitOptions,
  stratifiedSplit,
} from "@saeflow/io";
import { TfidfVectorizer } from "@saeflow/pool";
import type { DenseMatrix, FeatureMatrix, LabeledMatrix, SparseMatrix } from "../../modules/probe/feature_matrix.ts";
import {
  fitTree,
  MOSAIC_TREE_GRID,
  selectTree,
  type TreeNodeJson,
  type TreeOptions,
} from "../../modules/probe/tree/mod.ts";
import { mulberry32, standardNormal } from "../random.ts";
import { python, sharedData, tempDir } from "../helpers.ts";

/**
 * Reads what {@link reference} wrote. "fits": per setting, sklearn's tree for random_state 0 (JSON, scores,
 * probabilities, importances), the spread of its test macro-F1 over random states, and a walk of our tree beside
 * sklearn's on the training rows that checks every node where they part is a tie (both splits leave the same
 * weighted Gini impurity). "grid": per setting, the validation macro-F1 for each random state.
 */
const REFERENCE = String.raw`
import json, sys
import numpy as np
import scipy.sparse as sp
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier

DIR = sys.argv[1]
META = json.load(open(DIR + "/meta.json"))
JOB = META.pop("job")

def load(name):
    m = META[name]
    raw = lambda part, dtype: np.frombuffer(open(DIR + "/" + name + "." + part, "rb").read(), dtype=dtype)
    if m["kind"] == "labels":
        return raw("data", "<i4")
    if m["kind"] == "dense":
        return raw("data", "<f4").reshape(m["rows"], m["cols"])
    data = raw("values", "<f4") if m["values"] else np.ones(m["nnz"], dtype=np.float32)
    return sp.csr_matrix((data, raw("indices", "<i4"), raw("rowPtr", "<i4")), shape=(m["rows"], m["cols"]))

def tree_json(t, i=0):
    value = t.value[i][0].tolist()
    if t.children_left[i] < 0:
        return {"samples": int(t.n_node_samples[i]), "value": value, "class": int(np.argmax(value))}
    return {"feature": int(t.feature[i]), "threshold": float(t.threshold[i]), "samples": int(t.n_node_samples[i]),
            "value": value, "impurity": float(t.impurity[i]),
            "left": tree_json(t, t.children_left[i]), "right": tree_json(t, t.children_right[i])}

def classifier(setting, random_state):
    return DecisionTreeClassifier(random_state=random_state, max_depth=setting.get("maxDepth"),
                                  min_samples_split=setting.get("minSamplesSplit", 2),
                                  min_samples_leaf=setting.get("minSamplesLeaf", 1),
                                  class_weight=setting.get("classWeight"))

X, y, Xe, ye = load("X_train"), load("y_train"), load("X_eval"), load("y_eval")
columns = X.tocsc() if sp.issparse(X) else X
column = lambda f: columns[:, f].toarray().ravel() if sp.issparse(X) else X[:, f]
f1 = lambda predicted: float(f1_score(ye, predicted, average="macro"))

def children_impurity(rows, w, f, threshold):
    """Weighted Gini of the two sides, summed (what the best split minimises), in float64."""
    go_left = column(f)[rows] <= threshold
    total = 0.0
    for side in (rows[go_left], rows[~go_left]):
        counts = np.bincount(y[side], weights=w[side], minlength=y.max() + 1)
        total += counts.sum() - (counts ** 2).sum() / counts.sum()
    return total

def walk(ours, t, i, rows, w, report):
    if ours["samples"] != len(rows):
        report["problems"].append("node of %d rows, ours has %d" % (len(rows), ours["samples"]))
    elif "feature" not in ours and t.children_left[i] >= 0 and len(np.unique(y[rows])) == 1:
        # With class weights, sklearn's child impurity (from total - left sums) can round above its epsilon for a
        # pure node, which it then splits to no effect; ours counts the child afresh and stops.
        report["pure_splits"] += 1
    elif ("feature" in ours) != (t.children_left[i] >= 0):
        report["problems"].append("a node of %d rows is a leaf in one tree only" % len(rows))
    elif "feature" in ours:
        f, threshold = int(t.feature[i]), float(t.threshold[i])
        if ours["feature"] != f or abs(ours["threshold"] - threshold) > 1e-9:
            a, b = children_impurity(rows, w, ours["feature"], ours["threshold"]), children_impurity(rows, w, f, threshold)
            if abs(a - b) > 1e-9 * max(1.0, abs(b)):
                report["problems"].append("split of %d rows: ours leaves %r, sklearn's %r" % (len(rows), a, b))
            report["ties"] += 1
            return
        go_left = column(f)[rows] <= threshold
        walk(ours["left"], t, t.children_left[i], rows[go_left], w, report)
        walk(ours["right"], t, t.children_right[i], rows[~go_left], w, report)

out = []
for setting, ours in zip(JOB["settings"], JOB["ours"]):
    trees = [classifier(setting, rs).fit(X, y) for rs in range(JOB["random_states"])]
    scores = [f1(t.predict(Xe)) for t in trees]
    entry = {"f1": scores[0], "f1_all": scores, "ours_f1": f1(np.array(ours["predicted"], dtype=np.int32))}
    if JOB["kind"] == "fits":
        t = trees[0]
        w = t.tree_.value[0][0][y] / np.bincount(y)[y]  # class weight of each row: root weighted count / rows
        report = {"ties": 0, "pure_splits": 0, "problems": []}
        walk(ours["tree"], t.tree_, 0, np.arange(len(y)), w, report)
        entry.update(report, tree=tree_json(t.tree_), depth=int(t.get_depth()), leaves=int(t.get_n_leaves()),
                     distinct=len({str((u.tree_.feature.tolist(), u.tree_.threshold.tolist(), u.tree_.n_node_samples.tolist()))
                                     for u in trees}),
                     proba=t.predict_proba(Xe).ravel().tolist(), importances=t.feature_importances_.tolist())
    out.append(entry)
print(json.dumps(out))
`;

interface Reference {
  /** sklearn's macro-F1 with random_state 0, and with each random state. */
  f1: number;
  f1_all: number[];
  ours_f1: number;
  tree: TreeNodeJson;
  depth: number;
  leaves: number;
  /** Distinct tree shapes (features, thresholds, rows per node) over the random states: sklearn's tie sensitivity. */
  distinct: number;
  /** Nodes where our tree and sklearn's part at an equally good split; `problems`: any other difference. */
  ties: number;
  /** Pure nodes sklearn splits anyway (rounding, see REFERENCE); any other difference is a problem. */
  pure_splits: number;
  problems: string[];
  proba: number[];
  importances: number[];
}

interface Rows {
  X: FeatureMatrix;
  y: Int32Array;
}

type Setting = Pick<TreeOptions, "maxDepth" | "minSamplesSplit" | "minSamplesLeaf" | "classWeight">;

/** Runs the reference with `train` / `evaluation`; `ours[i]` holds our tree and predictions for setting i. */
async function reference(
  train: Rows,
  evaluation: Rows,
  job: {
    kind: "fits" | "grid";
    settings: Setting[];
    ours: { predicted: Int32Array; tree?: TreeNodeJson }[];
    random_states: number;
  },
): Promise<Reference[]> {
  await using dir = await tempDir();
  const ours = job.ours.map(({ predicted, tree }) => ({ predicted: [...predicted], tree }));
  const meta: Record<string, unknown> = { job: { ...job, ours } };
  const write = (name: string, part: string, a: ArrayBufferView) =>
    Deno.writeFile(`${dir.path}/${name}.${part}`, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  for (const [name, a] of Object.entries({ X_train: train.X, X_eval: evaluation.X })) {
    if (a.kind === "dense") {
      meta[name] = { kind: "dense", rows: a.rows, cols: a.cols };
      await write(name, "data", a.data);
    } else {
      meta[name] = { kind: "sparse", rows: a.rows, cols: a.cols, nnz: a.indices.length, values: !!a.values };
      await write(name, "rowPtr", a.rowPtr);
      await write(name, "indices", a.indices);
      if (a.values) await write(name, "values", a.values);
    }
  }
  for (const [name, y] of Object.entries({ y_train: train.y, y_eval: evaluation.y })) {
    meta[name] = { kind: "labels" };
    await write(name, "data", y);
  }
  await Deno.writeTextFile(`${dir.path}/meta.json`, JSON.stringify(meta));
  return await python<Reference[]>(REFERENCE, dir.path);
}

/** The depth down to which two trees are identical (features, thresholds, row counts); Infinity when equal. */
function agreeingDepth(a: TreeNodeJson, b: TreeNodeJson, depth = 0): number {
  if (!("feature" in a) || !("feature" in b)) {
    return !("feature" in a) && !("feature" in b) && a.samples === b.samples ? Infinity : depth;
  }
  if (a.feature !== b.feature || a.samples !== b.samples || Math.abs(a.threshold - b.threshold) > 1e-9) return depth;
  return Math.min(agreeingDepth(a.left, b.left, depth + 1), agreeingDepth(a.right, b.right, depth + 1));
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * Fits every setting on `train` and checks it against sklearn's: wherever the trees part, it is at a tie; where they
 * agree, so do depth, leaves, probabilities and importances; a setting sklearn fits to one tree whatever the random
 * state (no ties) gives that very tree. Test macro-F1 must lie within sklearn's own spread over random states (plus
 * 0.01) and, on average over the settings, within 0.01 of random_state 0's. Returns whether each tree was identical.
 */
async function compare(
  name: string,
  train: Rows,
  test: Rows,
  numClasses: number,
  settings: Setting[],
): Promise<boolean[]> {
  const fits = settings.map((setting) => {
    const start = performance.now();
    const tree = fitTree(train.X, train.y, numClasses, setting);
    return { tree, ms: performance.now() - start };
  });
  const ours = fits.map(({ tree }) => ({ predicted: tree.predict(test.X), tree: tree.toJSON() }));
  const refs = await reference(train, test, { kind: "fits", settings, ours, random_states: 20 });
  const gaps = refs.map((ref) => Math.abs(ref.ours_f1 - ref.f1));
  const identical = settings.map((setting, i) => {
    const { tree, ms } = fits[i], ref = refs[i];
    const agree = agreeingDepth(ours[i].tree, ref.tree);
    const label = `${name} ${JSON.stringify(setting)}`;
    const [low, high] = [Math.min(...ref.f1_all), Math.max(...ref.f1_all)];
    console.log(
      `${label}: macro-F1 ours ${ref.ours_f1.toFixed(4)} sklearn ${ref.f1.toFixed(4)} (random_state 0-19: ` +
        `${low.toFixed(4)}-${high.toFixed(4)}, ${ref.distinct} distinct trees); depth ${tree.depth}/${ref.depth}, ` +
        `leaves ${tree.leaves}/${ref.leaves}; ${agree === Infinity ? "identical" : `identical to depth ${agree}`}, ` +
        `${ref.ties} ties${ref.pure_splits ? `, ${ref.pure_splits} pure nodes sklearn splits` : ""}; fit ${
          ms.toFixed(0)
        } ms`,
    );
    assert.deepEqual(ref.problems, [], `${label}: differences other than ties`);
    assert.ok(ref.ours_f1 >= low - 0.01 && ref.ours_f1 <= high + 0.01, `${label}: macro-F1 outside sklearn's spread`);
    if (ref.distinct === 1) assert.equal(agree, Infinity, `${label}: sklearn's tree has no ties, ours differs`);
    if (agree === Infinity) {
      assert.equal(tree.depth, ref.depth);
      assert.equal(tree.leaves, ref.leaves);
      close(tree.predictProba(test.X), ref.proba, 1e-12, `${label} predictProba`);
      close(tree.featureImportances(), ref.importances, 1e-9, `${label} featureImportances`);
    }
    return agree === Infinity;
  });
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  console.log(
    `${name}: ${identical.filter(Boolean).length} of ${settings.length} trees identical to sklearn's; ` +
      `|macro-F1 - sklearn random_state 0| mean ${meanGap.toFixed(4)}, max ${Math.max(...gaps).toFixed(4)}`,
  );
  assert.ok(meanGap <= 0.01, `${name}: mean macro-F1 gap ${meanGap} to sklearn random_state 0`);
  return identical;
}

/** sklearn's digits (1797 8x8 images, 64 pixel columns 0..16, 10 classes) on a stratified split by record id. */
async function digits(split: SplitOptions): Promise<Map<string, Rows>> {
  const file = await Deno.open(sharedData("sklearn-digits/digits.csv.gz"));
  const text = await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
  const rows = text.trim().split("\n").map((line) => line.split(",").map(Number));
  const assigned = stratifiedSplit(rows.map((row, i) => ({ id: `digits:${i}`, label: String(row[64]) })), split);
  const parts = new Map<string, Rows>();
  for (const name of new Set(assigned.values())) {
    const kept = rows.filter((_, i) => assigned.get(`digits:${i}`) === name);
    const data = new Float32Array(kept.length * 64);
    kept.forEach((row, i) => data.set(row.slice(0, 64), i * 64));
    const X: DenseMatrix = { kind: "dense", rows: kept.length, cols: 64, data };
    parts.set(name, { X, y: Int32Array.from(kept, (row) => row[64]) });
  }
  return parts;
}

/** SST-2 dev (872 sentences) split by record id; TF-IDF (1-2-grams, English stop words, 2000 terms) fitted on train. */
async function sst2(split: SplitOptions): Promise<Map<string, Rows>> {
  const { records } = await openTextDataset({
    sources: [{ path: sharedData("sst2/sst2_dev.tsv") }],
    fields: { text: "text", label: "label" },
    labels: ["negative", "positive"],
  });
  const all = await Array.fromAsync(records);
  const assigned = stratifiedSplit(all, { ...split, presets: "reassign" });
  const model = await TfidfVectorizer.fit(all.filter((r) => assigned.get(r.id) === "train").map((r) => r.text), {
    maxFeatures: 2000,
  });
  const parts = new Map<string, Rows>();
  for (const name of new Set(assigned.values())) {
    const kept = all.filter((r) => assigned.get(r.id) === name);
    const vectors = kept.map((r) => model.transform(r.text));
    const rowPtr = new Int32Array(kept.length + 1);
    vectors.forEach((v, i) => (rowPtr[i + 1] = rowPtr[i] + v.indices.length));
    const indices = new Int32Array(rowPtr[kept.length]), values = new Float32Array(rowPtr[kept.length]);
    vectors.forEach((v, i) => (indices.set(v.indices, rowPtr[i]), values.set(v.values, rowPtr[i])));
    const X: SparseMatrix = { kind: "sparse", rows: kept.length, cols: model.size, rowPtr, indices, values };
    parts.set(name, { X, y: Int32Array.from(kept, (r) => (r.label === "positive" ? 1 : 0)) });
  }
  return parts;
}

/** The same rows with every stored entry set to 1 (values absent): "feature present or not". */
function binarized({ X, y }: Rows): Rows {
  const { values: _, ...rest } = X as SparseMatrix;
  return { X: rest, y };
}

const SETTINGS: Setting[] = [
  { maxDepth: 3 },
  { maxDepth: 5 },
  { maxDepth: 7, minSamplesSplit: 5 },
  { maxDepth: 9, minSamplesLeaf: 2 },
  { maxDepth: 9, minSamplesSplit: 10, minSamplesLeaf: 4 },
  { maxDepth: 7, classWeight: "balanced" },
  {},
];

Deno.test("digits (dense): every difference from sklearn's tree is a tie; macro-F1 within sklearn's spread", async () => {
  const parts = await digits(MOSAIC_SPLIT);
  await compare("digits", parts.get("train")!, parts.get("test")!, 10, SETTINGS);
});

Deno.test("SST-2 TF-IDF and binarized (sparse CSR): every difference a tie; macro-F1 within sklearn's spread", async () => {
  const parts = await sst2(MOSAIC_SPLIT);
  const train = parts.get("train")!, test = parts.get("test")!;
  await compare("sst2 tfidf", train, test, 2, SETTINGS);
  await compare("sst2 binarized", binarized(train), binarized(test), 2, SETTINGS);
});

Deno.test("continuous data without ties, with negatives, zeros and explicit zeros: sklearn's very tree", async () => {
  const rows = 1000, cols = 12;
  const uniform = mulberry32(7), gaussian = standardNormal(uniform);
  const data = new Float32Array(rows * cols).map(() => (uniform() < 0.4 ? 0 : gaussian()));
  const y = Int32Array.from({ length: rows }, (_, r) => {
    const score = data[r * cols] + 0.8 * data[r * cols + 3] - 0.6 * data[r * cols + 7] + 0.5 * gaussian();
    return score < -0.5 ? 0 : score < 0.5 ? 1 : 2;
  });
  // The same matrix as CSR, keeping every 10th zero as an explicit entry.
  const rowPtr = new Int32Array(rows + 1), indices: number[] = [], values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < cols; f++) {
      const v = data[r * cols + f];
      if (v !== 0 || (r + f) % 10 === 0) indices.push(f), values.push(v);
    }
    rowPtr[r + 1] = indices.length;
  }
  const dense: DenseMatrix = { kind: "dense", rows, cols, data };
  const sparse: SparseMatrix = {
    kind: "sparse",
    rows,
    cols,
    rowPtr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
  // Tie-free for sklearn (one tree over 20 random states), except maxDepth 4, which has one tie at a node of 21 rows.
  const settings: Setting[] = [
    { maxDepth: 3 },
    { maxDepth: 5, minSamplesLeaf: 10 },
    { maxDepth: 6, minSamplesLeaf: 20 },
    { maxDepth: 4, classWeight: "balanced" },
    { maxDepth: 4 },
  ];
  settings.forEach((s) => assert.deepEqual(fitTree(dense, y, 3, s).toJSON(), fitTree(sparse, y, 3, s).toJSON()));
  const identical = await compare("gaussian", { X: sparse, y }, { X: dense, y }, 3, settings);
  assert.deepEqual(identical, [true, true, true, true, false]);
});

Deno.test("selectTree on MOSAIC's grid: its validation macro-F1 is sklearn's best, up to sklearn's own tie spread", async () => {
  for (const [name, load] of [["digits", digits], ["sst2 binarized", sst2]] as const) {
    const parts = await load(MOSAIC_SPLIT_WITH_VALIDATION);
    const prepare = (rows: Rows): LabeledMatrix => {
      const { X, y } = name === "digits" ? rows : binarized(rows);
      const classes = name === "digits" ? [..."0123456789"] : ["negative", "positive"];
      return { X, y, classes, ids: Array.from(y, (_, i) => String(i)) };
    };
    const train = prepare(parts.get("train")!), validation = prepare(parts.get("validation")!);
    const start = performance.now();
    const selection = selectTree(train, validation);
    const ms = performance.now() - start;
    const refs = await reference(train, validation, {
      kind: "grid",
      settings: [...MOSAIC_TREE_GRID],
      ours: selection.scores.map(({ params }) => ({
        predicted: fitTree(train.X, train.y, train.classes.length, params).predict(validation.X),
      })),
      random_states: 10,
    });
    refs.forEach((r, i) =>
      assert.ok(Math.abs(r.ours_f1 - selection.scores[i].score) < 1e-12, "scores: sklearn's macro-F1, direct fits")
    );
    // sklearn's best validation score for each random state (ties move it, as they move ours).
    const best = Array.from(refs[0].f1_all, (_, rs) => Math.max(...refs.map((r) => r.f1_all[rs])));
    console.log(
      `${name}: selectTree chose ${JSON.stringify(selection.params)}, validation macro-F1 ` +
        `${selection.score.toFixed(4)}; sklearn's best ${best[0].toFixed(4)} (random_state 0-9: ` +
        `${Math.min(...best).toFixed(4)}-${Math.max(...best).toFixed(4)}); ${MOSAIC_TREE_GRID.length} points in ` +
        `${ms.toFixed(0)} ms`,
    );
    // Ties between equally good splits move single validation scores by more than 0.01 (143 or 70 rows), so the
    // bar is sklearn's own spread of its best score over random states.
    const [low, high] = [Math.min(...best), Math.max(...best)];
    assert.ok(selection.score >= low - 0.01 && selection.score <= high + 0.01, `${name}: outside sklearn's spread`);
    assert.equal(selection.score, Math.max(...selection.scores.map((s) => s.score)));
    assert.deepEqual(
      selection.tree.toJSON(),
      fitTree(train.X, train.y, train.classes.length, selection.params).toJSON(),
      "the chosen tree is the fit of the chosen params",
    );
  }
});
