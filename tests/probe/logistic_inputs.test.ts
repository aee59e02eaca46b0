/**
 * What the logistic probe promises beyond matching sklearn: bit-identical refits, sparse input never densified
 * (memory measured in a child process, where no other test shares the heap), and clear errors for bad input.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import type { DenseMatrix, SparseMatrix } from "../../modules/probe/feature_matrix.ts";
import { fitLogistic, type LogisticOptions } from "../../modules/probe/logistic/mod.ts";
import { digits, sst2Tfidf } from "./logistic_fixtures.ts";

const bytes = (a: Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

Deno.test("refits are bit-identical (L2, L1, elastic net; sparse and dense)", async () => {
  const sst2 = await sst2Tfidf();
  const cases: [typeof sst2, number, LogisticOptions][] = [
    [sst2, 2, { classWeight: "balanced" }],
    [sst2, 2, { penalty: "l1", C: 10 }],
    [sst2, 2, { penalty: "elasticnet", l1Ratio: 0.3, scale: true }],
    [await digits(), 10, { C: 0.1, maxIter: 50 }],
  ];
  for (const [{ train }, K, options] of cases) {
    const a = fitLogistic(train.X, train.y, K, options);
    const b = fitLogistic(train.X, train.y, K, options);
    assert.deepEqual(bytes(a.coefficients), bytes(b.coefficients), JSON.stringify(options));
    assert.deepEqual(bytes(a.intercepts), bytes(b.intercepts));
    assert.equal(a.iterations, b.iterations);
  }
});

/** Fits a 2000 x 65,536 binarized CSR matrix in a fresh process and reports its memory before and at peak. */
const CHILD = `
import { fitLogistic } from "${new URL("../../modules/probe/logistic/mod.ts", import.meta.url)}";
import { randomBinary } from "${new URL("./logistic_fixtures.ts", import.meta.url)}";
const memory = () => Object.fromEntries(Deno.readTextFileSync("/proc/self/status").split("\\n")
  .filter((line) => /^Vm(RSS|HWM):/.test(line)).map((line) => [line.slice(0, 5), parseInt(line.slice(6)) * 1024]));
const { X, y } = randomBinary(2000, 65536, 30, 1);
const before = memory();
const started = performance.now();
const model = fitLogistic(X, y, 2, { classWeight: "balanced", C: 0.1 });
const ms = performance.now() - started;
const accuracy = model.predict(X).filter((p, i) => p === y[i]).length / X.rows;
console.log(JSON.stringify({ before, after: memory(), ms, iterations: model.iterations, accuracy }));
`;

Deno.test({
  name: "a 2000 x 65,536 sparse binarized matrix fits in far less memory than its dense form (1 GB)",
  ignore: Deno.build.os !== "linux", // reads /proc/self/status
  fn: async () => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", CHILD],
      cwd: new URL("../../", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const report = JSON.parse(new TextDecoder().decode(stdout));
    const growth = report.after.VmHWM - report.before.VmRSS;
    console.log(
      `fit ${report.ms.toFixed(0)} ms, ${report.iterations} iterations, train accuracy ${report.accuracy}, ` +
        `peak RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
    const dense = 2000 * 65536 * 8;
    assert.ok(growth < dense / 16, `peak RSS grew by ${growth} bytes`);
    assert.ok(report.accuracy > 0.7);
  },
});

const sparse = (rows: number[][], cols: number, values?: number[]): SparseMatrix => ({
  kind: "sparse",
  rows: rows.length,
  cols,
  rowPtr: Int32Array.from([0, ...rows.map((_, i) => rows.slice(0, i + 1).flat().length)]),
  indices: Int32Array.from(rows.flat()),
  ...(values ? { values: Float32Array.from(values) } : {}),
});

Deno.test("bad input: one class, NaN or Infinity, label count and range, options", () => {
  const X = sparse([[0], [1], [0, 1], [1]], 2);
  const y = Int32Array.of(0, 1, 0, 1);
  assert.throws(() => fitLogistic(X, Int32Array.of(1, 1, 1, 1), 2), /the training split has only class 1/);
  assert.throws(() => fitLogistic(X, Int32Array.of(1, 1, 1, 1), 2), ConfigError);
  assert.throws(() => fitLogistic(sparse([[0], [1]], 2, [1, NaN]), Int32Array.of(0, 1), 2), ConfigError);
  const dense: DenseMatrix = { kind: "dense", rows: 2, cols: 1, data: Float32Array.of(1, Infinity) };
  assert.throws(() => fitLogistic(dense, Int32Array.of(0, 1), 2), ConfigError);
  assert.throws(() => fitLogistic(X, Int32Array.of(0, 1, 0), 2), RangeError);
  assert.throws(() => fitLogistic(X, Int32Array.of(0, 1, 0, 2), 2), RangeError);
  assert.throws(() => fitLogistic(X, Int32Array.of(0, 1, 0, -1), 2), RangeError);
  assert.throws(() => fitLogistic(X, y, 1), ConfigError);
  for (
    const options of [
      { standardize: true },
      { C: 0 },
      { C: Infinity },
      { penalty: "elasticnet" },
      { penalty: "elasticnet", l1Ratio: 1.5 },
      { penalty: "l1", l1Ratio: 0.5 },
      { penalty: "l3" },
      { classWeight: "auto" },
      { maxIter: 0 },
      { tol: -1 },
      { history: 0 },
    ] as LogisticOptions[]
  ) assert.throws(() => fitLogistic(X, y, 2, options), ConfigError, JSON.stringify(options));
  const denseX: DenseMatrix = { kind: "dense", rows: 4, cols: 1, data: Float32Array.of(0, 1, 0, 1) };
  assert.throws(() => fitLogistic(denseX, y, 2, { scale: true }), ConfigError);
  const model = fitLogistic(X, y, 2);
  assert.throws(() => model.predict(sparse([[0]], 3)), RangeError);
  assert.throws(() => model.predictProba(sparse([[0]], 2, [NaN])), ConfigError);
  assert.throws(() => model.topFeatures(-1), RangeError);
});

Deno.test("a class with no training rows is kept: probability 0, never predicted, listed in the JSON", () => {
  // Three classes declared, rows of classes 0 and 2 only; feature 0 marks class 0, feature 1 class 2.
  const X = sparse([[0], [1], [0], [1], [0], [1]], 2);
  const y = Int32Array.of(0, 2, 0, 2, 0, 2);
  const model = fitLogistic(X, y, 3, { C: 10 });
  assert.equal(model.coefficientRows, 3);
  assert.equal(model.intercepts[1], -Infinity);
  assert.deepEqual([...model.coefficients.subarray(2, 4)], [0, 0]);
  const proba = model.predictProba(X);
  for (let i = 0; i < X.rows; i++) {
    assert.equal(proba[i * 3 + 1], 0);
    assert.ok(Math.abs(proba[i * 3] + proba[i * 3 + 2] - 1) < 1e-12);
  }
  assert.deepEqual([...model.predict(X)], [...y]);
  const json = JSON.parse(JSON.stringify(model));
  assert.deepEqual(json.absentClasses, [1]);
  assert.equal(json.intercepts[1], null);
  assert.deepEqual(model.topFeatures(5).map((t) => t.features.length), [2, 0, 2]);
});

Deno.test("two classes: one coefficient row for class 1; probabilities [1 - p, p] sum to 1", () => {
  const X = sparse([[0], [1], [0, 1], [1], []], 2, [2, 1, 1, 0.5, 3]);
  const y = Int32Array.of(1, 0, 1, 0, 0);
  const model = fitLogistic(X, y, 2, { C: 100 });
  assert.equal(model.coefficients.length, 2);
  assert.ok(model.coefficients[0] > 0 && model.coefficients[1] < 0);
  const proba = model.predictProba(X);
  const scores = model.decisionFunction(X);
  for (let i = 0; i < X.rows; i++) {
    assert.ok(Math.abs(proba[2 * i] + proba[2 * i + 1] - 1) < 1e-15);
    assert.equal(model.predict(X)[i], scores[i] > 0 ? 1 : 0);
  }
});
