/**
 * L1 and elastic-net logistic regression against scikit-learn 1.2's `saga` (tol 1e-8): SST-2 TF-IDF (sparse,
 * binary, class-balanced) and a slice of sklearn's digits (saga tol 1e-6 there) (dense, 10 classes, standardized). Both minimise
 * `C · Σᵢ wᵢ·lossᵢ + l1Ratio·‖W‖₁ + ½(1 − l1Ratio)·‖W‖²`: the objective values, the supports (nonzero
 * coefficients) and the test macro-F1 must agree.
 */
import assert from "node:assert/strict";
import { fitLogistic, type LogisticOptions } from "../../modules/probe/logistic/mod.ts";
import { selectRows } from "../../modules/probe/feature_matrix.ts";
import { python, tempDir } from "../helpers.ts";
import { digits, PY_LOAD, sst2Tfidf, type TrainTest, writeForPython } from "./logistic_fixtures.ts";

const SAGA = PY_LOAD + String.raw`
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import f1_score

o = json.loads(sys.argv[2])
X, y, Xt, yt = load("X"), load("y"), load("Xt"), load("yt")
if not sp.issparse(X):
    scaler = StandardScaler().fit(X)
    X, Xt = scaler.transform(X), scaler.transform(Xt)
sk = LogisticRegression(C=o["C"], penalty=o["penalty"], l1_ratio=o.get("l1Ratio"), class_weight=o.get("classWeight"),
                        solver="saga", tol=float(sys.argv[3]), max_iter=100000, random_state=0).fit(X, y)
coef, intercept = load("coef").reshape(sk.coef_.shape), load("intercept")
w = balanced(y) if o.get("classWeight") else np.ones(len(y))
l1_ratio = 1.0 if o["penalty"] == "l1" else o["l1Ratio"]
sk_support, our_support = set(zip(*np.nonzero(sk.coef_))), set(zip(*np.nonzero(coef)))
print(json.dumps({
    "coefDiff": float(np.abs(sk.coef_ - coef).max()), "coefMax": float(np.abs(sk.coef_).max()),
    "supportSk": len(sk_support), "supportOurs": len(our_support), "supportDiff": len(sk_support ^ our_support),
    "objectiveSk": objective(sk.coef_, sk.intercept_, X, y, o["C"], l1_ratio, w),
    "objectiveOurs": objective(coef, intercept, X, y, o["C"], l1_ratio, w),
    "f1Sk": f1_score(yt, sk.predict(Xt), average="macro"), "f1Ours": f1_score(yt, load("pred"), average="macro"),
}))
`;

interface SagaAgreement {
  coefDiff: number;
  coefMax: number;
  supportSk: number;
  supportOurs: number;
  supportDiff: number;
  objectiveSk: number;
  objectiveOurs: number;
  f1Sk: number;
  f1Ours: number;
}

/** Fits here and with saga (stopping at `sagaTol`), and checks the agreement. */
async function againstSaga(
  name: string,
  data: TrainTest,
  numClasses: number,
  options: LogisticOptions,
  sagaTol = 1e-8,
) {
  const started = performance.now();
  const model = fitLogistic(data.train.X, data.train.y, numClasses, { ...options, tol: 1e-8 });
  console.log(`${name}: fit ${(performance.now() - started).toFixed(0)} ms, ${model.iterations} iterations`);
  assert.ok(model.converged);
  assert.equal(model.toJSON().nonzero, model.coefficients.filter((w) => w !== 0).length);
  await using dir = await tempDir();
  await writeForPython(dir.path, {
    X: data.train.X,
    y: data.train.y,
    Xt: data.test.X,
    yt: data.test.y,
    coef: model.coefficients,
    intercept: model.intercepts,
    pred: model.predict(data.test.X),
  });
  const r = await python<SagaAgreement>(SAGA, dir.path, JSON.stringify(options), String(sagaTol));
  console.log(name, JSON.stringify(r));
  const what = `${name}: ${JSON.stringify(r)}`;
  assert.ok(r.supportOurs < model.coefficients.length / 2, what); // the penalty did select features
  assert.ok(r.supportDiff <= Math.max(2, 0.02 * r.supportSk), what);
  assert.ok(Math.abs(r.objectiveOurs - r.objectiveSk) <= 1e-4 * r.objectiveSk, what);
  assert.ok(Math.abs(r.f1Ours - r.f1Sk) <= 0.01, what);
  assert.ok(r.coefDiff <= 1e-3 * r.coefMax, what);
}

Deno.test("L1, SST-2 TF-IDF (sparse, binary, balanced): support and objective match sklearn saga", async () => {
  await againstSaga("sst2 l1 C=1", await sst2Tfidf(), 2, { penalty: "l1", C: 1, classWeight: "balanced" });
});

Deno.test("elastic net, SST-2 TF-IDF (sparse, binary, balanced): support and objective match sklearn saga", async () => {
  await againstSaga("sst2 elasticnet 0.5 C=1", await sst2Tfidf(), 2, {
    penalty: "elasticnet",
    l1Ratio: 0.5,
    C: 1,
    classWeight: "balanced",
  });
});

Deno.test("elastic net, digits (dense, 10 classes, standardized): support and objective match sklearn saga", async () => {
  const { train, test } = await digits();
  // saga is slow to converge on a 10-class softmax: 300 training rows and tol 1e-6 keep it to a few seconds.
  const rows = Int32Array.from({ length: 300 }, (_, i) => i);
  const slice = { train: { X: selectRows(train.X, rows), y: train.y.slice(0, 300) }, test };
  await againstSaga("digits elasticnet 0.5 C=0.1", slice, 10, { penalty: "elasticnet", l1Ratio: 0.5, C: 0.1 }, 1e-6);
});
