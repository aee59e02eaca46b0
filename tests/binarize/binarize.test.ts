import assert from "node:assert/strict";
import {
  binarize,
  type BinarizeSpec,
  binarizeSpecLabel,
  makeBinarizer,
  parseBinarizeSpec,
  validateBinarizeSpec,
} from "@saeflow/binarize";
import { ConfigError, DataError } from "@saeflow/core";
import { python } from "../helpers.ts";
import { dense, randomVectors, sv, TRICKY_VALUES } from "./fixtures.ts";

/** The dense reference: scan every feature, absent ones included, with the rule written out longhand. */
function naive(v: Float32Array, spec: BinarizeSpec, thresholds?: Float32Array): number[] {
  const t = Math.fround(spec.threshold ?? 1);
  const active: number[] = [];
  for (let f = 0; f < v.length; f++) {
    const x = v[f];
    const on = spec.rule === "gt"
      ? x > t
      : spec.rule === "ge"
      ? x >= t
      : spec.rule === "presence"
      ? x > 0
      : x > thresholds![f];
    if (on) active.push(f);
  }
  return active;
}

const SPECS: BinarizeSpec[] = [
  { rule: "gt" },
  { rule: "gt", threshold: 1 },
  { rule: "ge", threshold: 1 },
  { rule: "gt", threshold: 0.1 },
  { rule: "ge", threshold: 0.1 },
  { rule: "gt", threshold: 0 },
  { rule: "presence" },
];

Deno.test("every rule matches the dense reference on seeded vectors with boundary values", () => {
  const dSae = 40;
  const vectors = [...randomVectors(7, 60, dSae, 0.4, TRICKY_VALUES), sv(), ...randomVectors(8, 20, dSae)];
  const thresholds = Float32Array.from({ length: dSae }, (_, f) => TRICKY_VALUES[f % 6]);
  for (const spec of [...SPECS, { rule: "per-feature" } as BinarizeSpec]) {
    const run = makeBinarizer(spec, thresholds);
    for (const v of vectors) {
      const got = run(v);
      assert.deepEqual([...got], naive(dense(v, dSae), spec, thresholds), JSON.stringify(spec));
      assert.deepEqual(got, binarize(v, spec, thresholds));
    }
  }
});

Deno.test("x == t is inactive for gt and active for ge; the default threshold is MOSAIC's 1.0", () => {
  const v = sv([0, 1], [1, Math.fround(1 + 2 ** -23)], [2, Math.fround(1 - 2 ** -24)], [3, 0.5]);
  assert.deepEqual([...binarize(v, { rule: "gt" })], [1]);
  assert.deepEqual([...binarize(v, { rule: "gt", threshold: 1 })], [1]);
  assert.deepEqual([...binarize(v, { rule: "ge", threshold: 1 })], [0, 1]);
  assert.deepEqual([...binarize(v, { rule: "ge" })], [0, 1]);
  assert.deepEqual([...binarize(v, { rule: "presence" })], [0, 1, 2, 3]);
});

Deno.test("thresholds are float32: a stored 0.1 is not > 0.1 but is >= 0.1 (as NumPy compares float32 with 0.1)", async () => {
  const values = [0.1, Math.fround(0.1) + 2 ** -27, Math.fround(0.1) - 2 ** -27, 1, Math.fround(1 - 2 ** -24), 2];
  const v = sv(...values.map((x, i) => [i, x] as [number, number]));
  // In doubles Math.fround(0.1) > 0.1: comparing the stored value with the unrounded threshold would call it active.
  assert.ok(v.values[0] > 0.1);
  const ours = [0.1, 1].map((t) => ({
    gt: [...binarize(v, { rule: "gt", threshold: t })],
    ge: [...binarize(v, { rule: "ge", threshold: t })],
  }));
  const numpy = await python<{ gt: number[]; ge: number[] }[]>(
    `import json, sys, numpy as np
x = np.array(json.loads(sys.argv[1]), dtype=np.float32)
print(json.dumps([{"gt": np.nonzero(x > t)[0].tolist(), "ge": np.nonzero(x >= t)[0].tolist()} for t in (0.1, 1.0)]))`,
    JSON.stringify([...v.values]),
  );
  assert.deepEqual(ours, numpy);
  assert.deepEqual(ours[0], { gt: [1, 3, 4, 5], ge: [0, 1, 3, 4, 5] });
});

Deno.test("empty vectors, stored zeros, negatives and NaN", () => {
  for (const spec of [...SPECS, { rule: "per-feature" } as BinarizeSpec]) {
    assert.deepEqual([...binarize(sv(), spec, new Float32Array(3))], []);
  }
  const v = sv([0, 0], [1, -0], [2, -1], [3, -0.5], [4, NaN], [5, 3]);
  assert.deepEqual([...binarize(v, { rule: "presence" })], [5]);
  assert.deepEqual([...binarize(v, { rule: "gt", threshold: 0 })], [5]);
  assert.deepEqual([...binarize(v, { rule: "ge", threshold: 3 })], [5]);
  assert.deepEqual([...binarize(v, { rule: "per-feature" }, new Float32Array(6))], [5]);
  assert.deepEqual([...binarize(v, { rule: "per-feature" }, new Float32Array([0, 0, 0, 0, 0, Infinity]))], []);
});

Deno.test("specs: defaults, labels, parsing and typed errors", () => {
  assert.deepEqual(validateBinarizeSpec({ rule: "gt" }), { rule: "gt", threshold: 1 });
  assert.deepEqual(validateBinarizeSpec({ rule: "per-feature", quantile: 0.9 }), {
    rule: "per-feature",
    quantile: 0.9,
  });
  for (const text of ["gt:1", "ge:0.5", "presence", "per-feature", "per-feature:0.9", "gt:0"]) {
    assert.equal(binarizeSpecLabel(parseBinarizeSpec(text)), text);
  }
  assert.equal(binarizeSpecLabel(parseBinarizeSpec("gt")), "gt:1");
  const bad: BinarizeSpec[] = [
    { rule: "lt" as never },
    { rule: "gt", threshold: -0.5 },
    { rule: "gt", threshold: NaN },
    { rule: "gt", threshold: Infinity },
    { rule: "ge", threshold: 0 },
    { rule: "ge", threshold: 1e-50 }, // 0 in float32
    { rule: "presence", threshold: 0 },
    { rule: "per-feature", threshold: 1 },
    { rule: "per-feature", quantile: 1.5 },
    { rule: "gt", quantile: 0.5 },
  ];
  for (const spec of bad) assert.throws(() => validateBinarizeSpec(spec), ConfigError, JSON.stringify(spec));
  for (const text of ["gt:", "gt:abc", "bogus", "per-feature:2"]) {
    assert.throws(() => parseBinarizeSpec(text), ConfigError);
  }
  assert.throws(() => makeBinarizer({ rule: "per-feature" }), /needs fitted thresholds/);
  assert.throws(() => makeBinarizer({ rule: "per-feature" }, new Float32Array([0, -1])), /feature 1 is -1/);
  assert.throws(() => makeBinarizer({ rule: "per-feature" }, new Float32Array([NaN])), ConfigError);
});

Deno.test("malformed vectors are DataErrors naming the record", () => {
  const run = makeBinarizer({ rule: "presence" });
  const unsorted = { indices: new Int32Array([3, 1]), values: new Float32Array([1, 1]) };
  assert.throws(() => run(unsorted, { row: 4 }), (e: Error) => e instanceof DataError && /record 4/.test(e.message));
  assert.throws(() => run({ indices: new Int32Array([1, 1]), values: new Float32Array([1, 1]) }), DataError);
  assert.throws(() => run({ indices: new Int32Array([-1]), values: new Float32Array([1]) }), DataError);
  assert.throws(
    () => run({ indices: new Int32Array([1]), values: new Float32Array([1, 2]) }),
    /1 indices but 2 values/,
  );
  assert.throws(
    () => makeBinarizer({ rule: "per-feature" }, new Float32Array(2))(sv([2, 1])),
    /feature index 2 is out of range/,
  );
});
