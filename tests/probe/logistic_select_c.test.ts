/**
 * Choosing C by cross-validation: our stratified folds handed to sklearn's `GridSearchCV` (`PredefinedSplit`,
 * `scoring="f1_macro"`) on the SST-2 TF-IDF training split, so both score the same folds; the folds themselves
 * (stratified, seeded, deterministic); the tie rule.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { fitLogistic, MOSAIC_CS, selectC, stratifiedFolds } from "../../modules/probe/logistic/mod.ts";
import { python, tempDir } from "../helpers.ts";
import { PY_LOAD, sst2Tfidf, writeForPython } from "./logistic_fixtures.ts";

/**
 * GridSearchCV on our folds, plus each fold's model solved to convergence on sklearn's own loss: at C <= 0.01 the
 * balanced intercept is ~1e-5 and decides rows near the boundary (TF-IDF rows with no vocabulary term score exactly
 * the intercept), and sklearn's lbfgs stops on its relative-reduction test before pinning it down.
 */
const GRID = PY_LOAD + String.raw`
from scipy import optimize
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit

Cs = json.loads(sys.argv[2])
X, y, fold = load("X"), load("y"), load("fold")
folds = len(set(fold.tolist()))
search = GridSearchCV(LogisticRegression(class_weight="balanced", solver="lbfgs", tol=1e-10, max_iter=10000),
                      {"C": Cs}, scoring="f1_macro", cv=PredefinedSplit(fold), refit=False).fit(X, y)

def converged_score(C, f):
    train, test = fold != f, fold == f
    loss = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
    result = optimize.minimize(loss.loss_gradient, np.zeros(X.shape[1] + 1), method="L-BFGS-B", jac=True,
                               args=(X[train], y[train].astype(np.float64), balanced(y[train]), 1.0 / C, 1),
                               options={"gtol": 1e-12, "ftol": 0, "maxiter": 100000})
    predicted = (X[test] @ result.x[:-1] + result.x[-1] > 0).astype(int)
    return f1_score(y[test], predicted, average="macro")

print(json.dumps({"C": search.best_params_["C"],
                  "foldScores": [[float(search.cv_results_["split%d_test_score" % f][i]) for f in range(folds)]
                                 for i in range(len(Cs))],
                  "convergedScores": [[converged_score(C, f) for f in range(folds)] for C in Cs]}))
`;

Deno.test("selectC on the SST-2 TF-IDF training split scores the same folds as sklearn GridSearchCV", async () => {
  const { train } = await sst2Tfidf();
  const started = performance.now();
  const result = selectC(train.X, train.y, 2, { classWeight: "balanced", tol: 1e-8 });
  console.log(`selectC: ${(performance.now() - started).toFixed(0)} ms for ${MOSAIC_CS.length} C x 5 folds`);
  assert.deepEqual(result.scores.map((s) => s.C), [...MOSAIC_CS]);
  await using dir = await tempDir();
  await writeForPython(dir.path, { X: train.X, y: train.y, fold: stratifiedFolds(train.y, 2, 5, 42) });
  const sk = await python<{ C: number; foldScores: number[][]; convergedScores: number[][] }>(
    GRID,
    dir.path,
    JSON.stringify(MOSAIC_CS),
  );
  console.log("ours", JSON.stringify(result.scores), "sklearn", JSON.stringify(sk));
  assert.equal(result.C, sk.C);
  result.scores.forEach((s, i) => {
    assert.equal(s.foldScores.length, 5);
    s.foldScores.forEach((score, f) => {
      assert.ok(Math.abs(score - sk.convergedScores[i][f]) <= 0.01, `C ${s.C} fold ${f} vs converged`);
      if (s.C >= 0.1) assert.ok(Math.abs(score - sk.foldScores[i][f]) <= 0.01, `C ${s.C} fold ${f} vs GridSearchCV`);
    });
    assert.equal(s.meanMacroF1, s.foldScores.reduce((a, b) => a + b, 0) / 5);
  });
  // Deterministic: the same call gives the same scores.
  assert.deepEqual(selectC(train.X, train.y, 2, { classWeight: "balanced", tol: 1e-8, Cs: [0.1] }).scores[0], {
    ...result.scores[2],
  });
});

Deno.test("stratifiedFolds: seeded, every class spread evenly, fold sizes within one", () => {
  const y = Int32Array.from({ length: 103 }, (_, i) => (i < 61 ? 0 : i < 97 ? 1 : 2));
  const fold = stratifiedFolds(y, 3, 5, 7);
  assert.deepEqual(fold, stratifiedFolds(y, 3, 5, 7));
  assert.notDeepEqual(fold, stratifiedFolds(y, 3, 5, 8));
  const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((g) => g === f).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
  for (const k of [0, 1, 2]) {
    const perFold = [0, 1, 2, 3, 4].map((f) => fold.filter((g, i) => g === f && y[i] === k).length);
    assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `class ${k}: ${perFold}`);
  }
  assert.throws(() => stratifiedFolds(y, 3, 1, 7), ConfigError);
  assert.throws(() => stratifiedFolds(y, 3, 104, 7), ConfigError);
});

Deno.test("selectC: ties go to the smaller C; bad grids and single-class splits are refused", () => {
  // Perfectly separable by one feature: every C predicts every fold right.
  const rows = 40;
  const X = {
    kind: "sparse" as const,
    rows,
    cols: 2,
    rowPtr: Int32Array.from({ length: rows + 1 }, (_, i) => i),
    indices: Int32Array.from({ length: rows }, (_, i) => i % 2),
  };
  const y = Int32Array.from({ length: rows }, (_, i) => i % 2);
  const result = selectC(X, y, 2, { Cs: [1, 0.1, 10], folds: 4 });
  assert.deepEqual(result.scores.map((s) => s.meanMacroF1), [1, 1, 1]);
  assert.equal(result.C, 0.1);
  assert.throws(() => selectC(X, y, 2, { Cs: [] }), ConfigError);
  assert.throws(() => selectC(X, y, 2, { Cs: [0] }), ConfigError);
  assert.throws(() => selectC(X, y.map(() => 1), 2), /only class 1/);
  // A class rarer than the folds is missing from some training folds: fitted without it, never predicted there.
  const y3 = Int32Array.from(y, (v, i) => (i === 5 ? 2 : v));
  const rare = selectC(X, y3, 3, { Cs: [1], folds: 4 });
  assert.equal(rare.scores[0].foldScores.length, 4);
  assert.ok(fitLogistic(X, y3, 3).predictProba(X).every((p) => p >= 0 && p <= 1));
});
