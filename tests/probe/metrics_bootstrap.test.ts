/** Bootstrap intervals: determinism, coverage of the estimate, width against the normal approximation, cost. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import {
  accuracyMetric,
  bootstrapCI,
  classificationReport,
  f1Metric,
  rocAuc,
  rocAucMetric,
} from "../../modules/probe/metrics/mod.ts";
import { mulberry32 } from "../random.ts";

/** n rows of K classes with a skewed prior; predictions right with probability `skill`; softmax-like scores. */
function fixture(seed: number, n: number, K: number, skill: number) {
  const u = mulberry32(seed);
  const yTrue = Int32Array.from({ length: n }, () => Math.min(K - 1, Math.floor(u() ** 1.5 * K)));
  const yPred = yTrue.map((t) => (u() < skill ? t : Math.floor(u() * K)));
  const scores = new Float64Array(n * K);
  yTrue.forEach((t, i) => {
    let sum = 0;
    for (let c = 0; c < K; c++) sum += scores[i * K + c] = u() + (c === t ? skill * u() * 2 : 0);
    for (let c = 0; c < K; c++) scores[i * K + c] /= sum;
  });
  return { yTrue, yPred, scores };
}

Deno.test("same seed, same intervals; another seed, other intervals; the estimates are the report's numbers", () => {
  const { yTrue, yPred, scores } = fixture(1, 300, 4, 0.7);
  const metrics = { accuracy: accuracyMetric, macroF1: f1Metric(), rocAuc: rocAucMetric(scores) };
  const a = bootstrapCI(yTrue, yPred, 4, metrics, { seed: 5, samples: 200 });
  const b = bootstrapCI(yTrue, yPred, 4, metrics, { seed: 5, samples: 200 });
  const c = bootstrapCI(yTrue, yPred, 4, metrics, { seed: 6, samples: 200 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.macroF1, c.macroF1);
  const report = classificationReport(yTrue, yPred, 4, { scores });
  assert.equal(a.accuracy.estimate, report.accuracy);
  assert.equal(a.macroF1.estimate, report.macroF1);
  assert.equal(a.rocAuc.estimate, report.rocAuc!.value);
  for (const ci of Object.values(a)) {
    assert.ok(ci.lo! <= ci.estimate! && ci.estimate! <= ci.hi!, JSON.stringify(ci));
    assert.equal(ci.undefinedSamples, 0);
    assert.deepEqual(JSON.parse(JSON.stringify(ci)), ci, "plain JSON");
  }
  // One metric alone: its interval, the same as in the set (the draws do not depend on the metrics).
  assert.deepEqual(bootstrapCI(yTrue, yPred, 4, f1Metric(), { seed: 5, samples: 200 }), a.macroF1);
  const wide = bootstrapCI(yTrue, yPred, 4, accuracyMetric, { seed: 5, samples: 200, level: 0.99 });
  const narrow = bootstrapCI(yTrue, yPred, 4, accuracyMetric, { seed: 5, samples: 200, level: 0.5 });
  assert.ok(wide.hi! - wide.lo! > a.accuracy.hi! - a.accuracy.lo!);
  assert.ok(narrow.hi! - narrow.lo! < a.accuracy.hi! - a.accuracy.lo!);
});

Deno.test("2,000 resamples: accuracy interval width at n = 400, p = 0.8 within 20% of 2 * 1.96 * sqrt(p(1-p)/n)", () => {
  const n = 400;
  const u = mulberry32(3);
  const yTrue = Int32Array.from({ length: n }, (_, i) => (i < 240 ? 0 : 1));
  // Exactly 80% right, in each class (192 of 240, 128 of 160), at shuffled positions.
  const wrong = new Set<number>();
  while (wrong.size < 48) wrong.add(Math.floor(u() * 240));
  while (wrong.size < 80) wrong.add(240 + Math.floor(u() * 160));
  const yPred = yTrue.map((t, i) => (wrong.has(i) ? 1 - t : t));
  const normal = 2 * 1.96 * Math.sqrt(0.8 * 0.2 / n);
  for (const stratified of [false, true]) {
    const ci = bootstrapCI(yTrue, yPred, 2, accuracyMetric, { seed: 11, samples: 2000, stratified });
    assert.equal(ci.estimate, 0.8);
    const width = ci.hi! - ci.lo!;
    assert.ok(Math.abs(width / normal - 1) < 0.2, `stratified ${stratified}: width ${width} vs normal ${normal}`);
    assert.ok(ci.lo! < 0.8 && 0.8 < ci.hi!);
  }
});

Deno.test("plain resampling can lose a rare class (ROC-AUC undefined there, counted and left out); stratified never does", () => {
  const { yTrue, yPred, scores } = fixture(2, 60, 3, 0.6);
  yTrue[0] = 2, yPred[0] = 2;
  for (let i = 1; i < yTrue.length; i++) if (yTrue[i] === 2) yTrue[i] = 1;
  const metric = rocAucMetric(scores);
  const plain = bootstrapCI(yTrue, yPred, 3, metric, { seed: 1, samples: 500, stratified: false });
  // A row is missed with probability (1 - 1/n)^n ≈ e^-1, so about 37% of plain resamples lack class 2.
  assert.ok(plain.undefinedSamples > 120 && plain.undefinedSamples < 250, `${plain.undefinedSamples}`);
  assert.ok(plain.lo !== null && plain.hi !== null);
  const stratified = bootstrapCI(yTrue, yPred, 3, metric, { seed: 1, samples: 500 });
  assert.equal(stratified.undefinedSamples, 0);
  assert.equal(stratified.stratified, true);
  // Undefined on the test rows themselves: everything null.
  const missing = bootstrapCI(Int32Array.from([0, 1, 0]), Int32Array.from([0, 1, 1]), 3, {
    rocAuc: rocAucMetric(Float64Array.from([0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.5, 0.4, 0.1])),
  }, { seed: 1, samples: 10 });
  assert.deepEqual(missing.rocAuc, {
    estimate: null,
    lo: null,
    hi: null,
    level: 0.95,
    samples: 10,
    undefinedSamples: 10,
    stratified: true,
    seed: 1,
  });
});

Deno.test("1,000 resamples of 10,000 rows, 10 classes: every metric's estimate is the full-data value", () => {
  const { yTrue, yPred, scores } = fixture(4, 10_000, 10, 0.6);
  const metrics = { accuracy: accuracyMetric, macroF1: f1Metric(), rocAuc: rocAucMetric(scores) };
  const ci = bootstrapCI(yTrue, yPred, 10, metrics, { seed: 42 });
  // The cost of this case is measured in bench/metrics.bench.ts (a wall-clock bound here failed under coverage).
  assert.equal(ci.rocAuc.estimate, rocAuc(yTrue, scores, 10).value);
  const report = classificationReport(yTrue, yPred, 10);
  assert.equal(ci.accuracy.estimate, report.accuracy);
  assert.equal(ci.macroF1.estimate, report.macroF1);
  for (const name of ["accuracy", "macroF1", "rocAuc"] as const) {
    assert.ok(ci[name].lo! <= ci[name].estimate! && ci[name].estimate! <= ci[name].hi!, name);
  }
});

Deno.test("bad options throw ConfigError; bad labels as the report", () => {
  const y = Int32Array.from([0, 1, 1]);
  assert.throws(() => bootstrapCI(y, y, 2, accuracyMetric, { seed: 1.5 }), ConfigError);
  assert.throws(() => bootstrapCI(y, y, 2, accuracyMetric, { seed: 1, samples: 0 }), ConfigError);
  assert.throws(() => bootstrapCI(y, y, 2, accuracyMetric, { seed: 1, level: 1 }), ConfigError);
  assert.throws(() => bootstrapCI(y, y, 2, accuracyMetric, { seed: 1, level: NaN }), ConfigError);
  assert.throws(() => bootstrapCI(y, Int32Array.from([0, 1]), 2, accuracyMetric, { seed: 1 }), RangeError);
  assert.throws(() => bootstrapCI(y, Int32Array.from([0, 1, 5]), 2, accuracyMetric, { seed: 1 }), RangeError);
  assert.throws(() => bootstrapCI(new Int32Array(0), new Int32Array(0), 2, accuracyMetric, { seed: 1 }), ConfigError);
  const nan = Float64Array.from([0.5, 0.5, NaN, 0.5, 0.5, 0.5]);
  assert.throws(() => bootstrapCI(y, y, 2, rocAucMetric(nan), { seed: 1 }), /row 1/);
});
