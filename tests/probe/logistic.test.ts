/**
 * L2 logistic regression against scikit-learn 1.2 (`LogisticRegression`, lbfgs) on real features: SST-2 TF-IDF
 * (sparse CSR, binary, class-balanced) and sklearn's digits (dense, 10 classes, standardized). Same rows, same
 * objective: coefficients, probabilities and test macro-F1 must agree. sklearn's lbfgs stops on scipy's relative
 * reduction test (ftol 2.2e-9) before its `tol`, up to ~1e-4 (relative) from the optimum, so each case also solves
 * sklearn's own loss (`LinearModelLoss`, the function `LogisticRegression` hands scipy) to convergence (ftol 0) and
 * checks our coefficients against that tightly.
 */
import assert from "node:assert/strict";
import { fitLogistic, type LogisticOptions } from "../../modules/probe/logistic/mod.ts";
import { python, tempDir } from "../helpers.ts";
import { digits, PY_LOAD, sst2Tfidf, type TrainTest, writeForPython } from "./logistic_fixtures.ts";

/**
 * Fits sklearn on the same rows for each case, and solves its loss to convergence; reports agreement with our
 * coefficients and predictions.
 */
const COMPARE = PY_LOAD + String.raw`
from scipy import optimize
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import f1_score

def converged(X, y, w, C, fit_intercept, K):
    """sklearn's lbfgs problem, solved until scipy can no longer reduce it."""
    base = HalfBinomialLoss() if K == 2 else HalfMultinomialLoss(n_classes=K)
    loss = LinearModelLoss(base_loss=base, fit_intercept=fit_intercept)
    rows = 1 if K == 2 else K
    size = rows * (X.shape[1] + int(fit_intercept))
    result = optimize.minimize(loss.loss_gradient, np.zeros(size), method="L-BFGS-B", jac=True,
                               args=(X, y.astype(np.float64), w, 1.0 / C, 1),
                               options={"gtol": 1e-12, "ftol": 0, "maxiter": 100000})
    W = result.x.reshape((rows, -1), order="F")
    coef, b = (W[:, :-1], W[:, -1]) if fit_intercept else (W, np.zeros(rows))
    return coef, b - (b.mean() if rows > 1 else 0)

out = []
for i, case in enumerate(json.loads(sys.argv[2])):
    X, y, Xt, yt = load("X"), load("y"), load("Xt"), load("yt")
    if case["scaler"]:
        scaler = StandardScaler(with_mean=case["scaler"] == "standardize").fit(X)
        X, Xt = scaler.transform(X), scaler.transform(Xt)
    sk = LogisticRegression(C=case["C"], class_weight=case["classWeight"], fit_intercept=case["fitIntercept"],
                            solver="lbfgs", tol=1e-10, max_iter=10000).fit(X, y)
    coef, intercept = load("coef%d" % i).reshape(sk.coef_.shape), load("intercept%d" % i)
    w = balanced(y) if case["classWeight"] else np.ones(len(y))
    tight_coef, tight_b = converged(X, y, w, case["C"], case["fitIntercept"], len(sk.classes_))
    # Softmax intercepts are defined up to a constant: compare centred ones.
    sk_b = sk.intercept_ - (sk.intercept_.mean() if len(sk.intercept_) > 1 else 0)
    ours_pred = load("pred%d" % i)
    out.append({
        "coefDiff": float(np.abs(sk.coef_ - coef).max()), "coefMax": float(np.abs(sk.coef_).max()),
        "interceptDiff": float(np.abs(sk_b - intercept).max()),
        "tightCoefDiff": float(np.abs(tight_coef - coef).max()),
        "tightInterceptDiff": float(np.abs(tight_b - intercept).max()),
        "probaDiff": float(np.abs(sk.predict_proba(Xt).ravel() - load("proba%d" % i)).max()),
        "f1Sk": f1_score(yt, sk.predict(Xt), average="macro"), "f1Ours": f1_score(yt, ours_pred, average="macro"),
        "agree": float((sk.predict(Xt) == ours_pred).mean()),
        "objectiveSk": objective(sk.coef_, sk.intercept_, X, y, case["C"], 0, w),
        "objectiveOurs": objective(coef, intercept, X, y, case["C"], 0, w),
        "topSk": [np.argsort(-np.abs(row), kind="stable")[:10].tolist() for row in sk.coef_],
    })
print(json.dumps(out))
`;

interface Agreement {
  coefDiff: number;
  coefMax: number;
  interceptDiff: number;
  tightCoefDiff: number;
  tightInterceptDiff: number;
  probaDiff: number;
  f1Sk: number;
  f1Ours: number;
  agree: number;
  objectiveSk: number;
  objectiveOurs: number;
  topSk: number[][];
}

interface Case {
  name: string;
  options: LogisticOptions;
}

/** Fits every case here, then sklearn on the same rows in one Python run; returns the agreements. */
async function compare(data: TrainTest, numClasses: number, cases: Case[]): Promise<Agreement[]> {
  await using dir = await tempDir();
  const arrays: Parameters<typeof writeForPython>[1] = {
    X: data.train.X,
    y: data.train.y,
    Xt: data.test.X,
    yt: data.test.y,
  };
  const tops: number[][][] = [];
  cases.forEach(({ name, options }, i) => {
    const started = performance.now();
    const model = fitLogistic(data.train.X, data.train.y, numClasses, { tol: 1e-8, ...options });
    console.log(`${name}: fit ${(performance.now() - started).toFixed(0)} ms, ${model.iterations} iterations`);
    assert.ok(model.converged, name);
    arrays[`coef${i}`] = model.coefficients;
    arrays[`intercept${i}`] = model.intercepts;
    arrays[`proba${i}`] = model.predictProba(data.test.X);
    arrays[`pred${i}`] = model.predict(data.test.X);
    tops.push(model.topFeatures(10).map((t) => t.features.map((f) => f.feature)));
  });
  await writeForPython(dir.path, arrays);
  const pyCases = cases.map(({ options: o }) => ({
    C: o.C ?? 1,
    classWeight: o.classWeight ?? null,
    fitIntercept: o.fitIntercept ?? true,
    scaler: o.scale ? "scale" : data.train.X.kind === "dense" && o.standardize !== false ? "standardize" : null,
  }));
  const agreements = await python<Agreement[]>(COMPARE, dir.path, JSON.stringify(pyCases));
  agreements.forEach((a, i) => {
    const { topSk: _, ...numbers } = a;
    console.log(cases[i].name, JSON.stringify(numbers));
    assert.deepEqual(tops[i], a.topSk, `${cases[i].name}: top features`);
  });
  return agreements;
}

Deno.test("SST-2 TF-IDF (sparse, binary): coefficients, probabilities and macro-F1 match sklearn lbfgs", async () => {
  const data = await sst2Tfidf();
  const results = await compare(data, 2, [
    { name: "balanced C=1", options: { classWeight: "balanced", C: 1 } },
    { name: "scaled (no centering) C=0.1", options: { scale: true, C: 0.1, classWeight: "balanced" } },
    { name: "no intercept, unweighted C=10", options: { fitIntercept: false, C: 10 } },
  ]);
  results.forEach((r, i) => {
    const what = `${JSON.stringify(r)} (case ${i})`;
    assert.ok(r.tightCoefDiff <= 1e-5 * r.coefMax, what);
    assert.ok(r.tightInterceptDiff <= 1e-5 * Math.max(1, r.coefMax), what);
    // Against sklearn's early stop: 1e-4 on the headline case; the others stop up to ~2e-4 short.
    assert.ok(r.coefDiff <= (i === 0 ? 1e-4 : 1e-3) * r.coefMax, what);
    assert.ok(r.probaDiff <= 1e-4, what);
    assert.equal(r.agree, 1, what);
    assert.ok(Math.abs(r.f1Sk - r.f1Ours) <= 0.01, what);
    // Ours is at least as low on the shared objective.
    assert.ok(r.objectiveOurs <= r.objectiveSk * (1 + 1e-12), what);
  });
});

Deno.test("digits (dense, 10 classes, standardized): multinomial coefficients and macro-F1 match sklearn", async () => {
  const data = await digits();
  const [r] = await compare(data, 10, [{ name: "digits balanced C=1", options: { classWeight: "balanced", C: 1 } }]);
  const what = JSON.stringify(r);
  assert.ok(r.tightCoefDiff <= 1e-5 * r.coefMax, what);
  assert.ok(r.tightInterceptDiff <= 1e-4 * r.coefMax, what);
  // sklearn's own solution stops ~1e-4 (relative) short of the optimum here.
  assert.ok(r.coefDiff <= 1e-3 * r.coefMax, what);
  assert.ok(r.probaDiff <= 1e-3, what);
  assert.ok(r.agree >= 0.99, what);
  assert.ok(Math.abs(r.f1Sk - r.f1Ours) <= 0.01, what);
  assert.ok(r.objectiveOurs <= r.objectiveSk * (1 + 1e-12), what);
});

Deno.test("toJSON is a small summary: options, shapes, support, top features, never the dense vector", async () => {
  const { train } = await sst2Tfidf();
  const model = fitLogistic(train.X, train.y, 2, { classWeight: "balanced" });
  const json = JSON.parse(JSON.stringify(model));
  assert.equal(json.format, "saeflow.logistic");
  assert.deepEqual([json.numClasses, json.cols, json.coefficientRows, json.nonzero], [2, 2000, 1, 2000]);
  assert.equal(json.options.classWeight, "balanced");
  assert.equal(json.options.standardize, false);
  assert.equal(json.topFeatures.length, 1);
  assert.equal(json.topFeatures[0].class, 1);
  assert.equal(json.topFeatures[0].features.length, 20);
  assert.ok(JSON.stringify(model).length < 4000);
  const [top] = model.topFeatures(3);
  const weights = top.features.map((f) => Math.abs(f.weight));
  assert.deepEqual(weights, [...weights].sort((a, b) => b - a));
  assert.equal(top.features[0].weight, model.coefficients[top.features[0].feature]);
});
