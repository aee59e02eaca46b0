/**
 * The seeded random SAE baseline: deterministic weights, unit-norm encoder columns with the decoder as their
 * transpose, k capped at the width, and an encoder that computes ReLU then top-k of x·W_enc (checked against a naive
 * float64 reference).
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { randomSae, SaeEncoder, type SaeSpec } from "@saeflow/sae";
import { mulberry32, standardNormal } from "../random.ts";

/** A weight of the spec, which a random SAE holds in memory (`data`, never a stored tensor). */
function weight(spec: SaeSpec, name: "W_enc" | "b_enc" | "b_dec" | "W_dec"): { shape: number[]; data: Float32Array } {
  const tensor = spec.weights[name];
  assert.ok(tensor && "data" in tensor && tensor.data instanceof Float32Array, `${name} is not an in-memory tensor`);
  return tensor;
}

Deno.test("randomSae: same seed, same weights; another seed, other weights", () => {
  const a = randomSae({ dIn: 12, dSae: 40, seed: 7 });
  const b = randomSae({ dIn: 12, dSae: 40, seed: 7 });
  const c = randomSae({ dIn: 12, dSae: 40, seed: 8 });
  assert.deepEqual(weight(a, "W_enc").data, weight(b, "W_enc").data);
  assert.deepEqual(weight(a, "W_dec").data, weight(b, "W_dec").data);
  assert.notDeepEqual(weight(a, "W_enc").data, weight(c, "W_enc").data);
  // not merely a permutation or a shared prefix: most entries differ
  const x = weight(a, "W_enc").data, y = weight(c, "W_enc").data;
  const differing = x.filter((v, i) => v !== y[i]).length;
  assert.ok(differing > x.length * 0.99, `${differing} of ${x.length} entries differ`);
});

Deno.test("randomSae: the first encoder column is the first dIn Gaussian draws of the seed, normalised", () => {
  const dIn = 5, dSae = 3, seed = 11;
  const spec = randomSae({ dIn, dSae, seed });
  const gaussian = standardNormal(mulberry32(seed));
  const draws = Array.from({ length: dIn }, () => gaussian());
  const norm = Math.sqrt(draws.reduce((s, v) => s + v * v, 0));
  const W = weight(spec, "W_enc").data;
  for (let i = 0; i < dIn; i++) assert.equal(W[i * dSae], Math.fround(draws[i] / norm), `W_enc[${i}, 0]`);
});

Deno.test("randomSae: unit-norm encoder columns, W_dec exactly the transpose, zero biases, shapes", () => {
  for (const [dIn, dSae] of [[1, 1], [8, 3], [16, 100], [64, 512]]) {
    const spec = randomSae({ dIn, dSae, seed: dIn * 1000 + dSae });
    const enc = weight(spec, "W_enc"), dec = weight(spec, "W_dec");
    assert.deepEqual(enc.shape, [dIn, dSae]);
    assert.deepEqual(dec.shape, [dSae, dIn]);
    assert.deepEqual(weight(spec, "b_enc").shape, [dSae]);
    assert.deepEqual(weight(spec, "b_dec").shape, [dIn]);
    assert.equal(enc.data.length, dIn * dSae);
    assert.ok(weight(spec, "b_enc").data.every((v) => v === 0));
    assert.ok(weight(spec, "b_dec").data.every((v) => v === 0));
    for (let j = 0; j < dSae; j++) {
      let squares = 0;
      for (let i = 0; i < dIn; i++) {
        const v = enc.data[i * dSae + j];
        squares += v * v;
        assert.equal(dec.data[j * dIn + i], v, `W_dec[${j}, ${i}] vs W_enc[${i}, ${j}]`);
      }
      assert.ok(Math.abs(Math.sqrt(squares) - 1) < 1e-6, `${dIn}x${dSae} column ${j}: norm ${Math.sqrt(squares)}`);
    }
    if (dIn > 1) {
      // a column is not a constant vector: the draws are really random
      const column = Array.from({ length: dIn }, (_, i) => enc.data[i * dSae]);
      assert.ok(new Set(column).size > 1, `${dIn}x${dSae}: constant first column`);
    }
  }
});

Deno.test("randomSae: topk architecture, k default 32 and capped at dSae, the id says width, k and seed", () => {
  const spec = randomSae({ dIn: 8, dSae: 64, seed: 3 });
  assert.equal(spec.architecture, "topk");
  assert.equal(spec.topkOrder, "relu-then-topk");
  assert.equal(spec.k, 32);
  assert.equal(spec.dIn, 8);
  assert.equal(spec.dSae, 64);
  assert.equal(spec.applyBDecToInput, false);
  assert.deepEqual(spec.normalization, { kind: "none" });
  assert.equal(spec.id, "random-64-k32-s3");
  assert.equal(spec.source, "random (seed 3)");
  assert.equal(spec.hookName, undefined);

  const narrow = randomSae({ dIn: 8, dSae: 10, seed: 0 });
  assert.equal(narrow.k, 10);
  assert.equal(narrow.id, "random-10-k10-s0");
  const capped = randomSae({ dIn: 8, dSae: 20, k: 50, seed: 2 });
  assert.equal(capped.k, 20);
  assert.equal(capped.id, "random-20-k20-s2");

  const named = randomSae({ dIn: 8, dSae: 64, k: 5, seed: 9, id: "mine", hookName: "blocks.1.hook_resid_post" });
  assert.equal(named.k, 5);
  assert.equal(named.id, "mine");
  assert.equal(named.hookName, "blocks.1.hook_resid_post");
  assert.equal(randomSae({ dIn: 8, dSae: 64, k: 5, seed: 9 }).id, "random-64-k5-s9");
});

Deno.test("randomSae: a dIn, dSae or k that is not a positive integer is a ConfigError naming it", () => {
  const bad: [Parameters<typeof randomSae>[0], string][] = [
    [{ dIn: 0, dSae: 8, seed: 0 }, "dIn"],
    [{ dIn: -3, dSae: 8, seed: 0 }, "dIn"],
    [{ dIn: 2.5, dSae: 8, seed: 0 }, "dIn"],
    [{ dIn: NaN, dSae: 8, seed: 0 }, "dIn"],
    [{ dIn: 4, dSae: 0, seed: 0 }, "dSae"],
    [{ dIn: 4, dSae: 7.5, seed: 0 }, "dSae"],
    [{ dIn: 4, dSae: 8, k: 0, seed: 0 }, "k"],
    [{ dIn: 4, dSae: 8, k: 1.5, seed: 0 }, "k"],
    [{ dIn: 4, dSae: 8, k: -1, seed: 0 }, "k"],
  ];
  for (const [options, name] of bad) {
    assert.throws(
      () => randomSae(options),
      (e) => e instanceof ConfigError && e.message.includes(`${name} must be a positive integer`),
      JSON.stringify(options),
    );
  }
});

/** Naive float64 TopK: the min(k, #positive) largest positive entries of x·W_enc, as feature id → value. */
function naiveTopK(spec: SaeSpec, x: Float64Array): { active: Map<number, number>; margin: number } {
  const { dIn, dSae } = spec;
  const W = weight(spec, "W_enc").data;
  const pre = Array.from({ length: dSae }, (_, j) => {
    let s = 0;
    for (let i = 0; i < dIn; i++) s += Math.fround(x[i]) * W[i * dSae + j];
    return { j, s };
  });
  const sorted = pre.filter((p) => p.s > 0).sort((a, b) => b.s - a.s);
  const kept = sorted.slice(0, spec.k!);
  // distance of the decisions from their boundaries: the k-th vs the next, and the smallest kept vs 0
  const boundary = sorted.length > spec.k! ? sorted[spec.k!].s : 0;
  const margin = kept.length ? kept[kept.length - 1].s - boundary : Infinity;
  return { active: new Map(kept.map((p) => [p.j, p.s])), margin };
}

Deno.test("randomSae: SaeEncoder computes ReLU then the k largest of x·W_enc, as a naive float64 reference", async () => {
  const cases = [
    { dIn: 16, dSae: 64, k: 8, rows: 9, seed: 21 }, // k < #positive on every row
    { dIn: 16, dSae: 48, k: 40, rows: 6, seed: 22 }, // about half positive: fewer than k
    { dIn: 32, dSae: 200, k: undefined, rows: 5, seed: 23 }, // default k = 32
  ];
  for (const { dIn, dSae, k, rows, seed } of cases) {
    const spec = randomSae({ dIn, dSae, k, seed });
    const gaussian = standardNormal(mulberry32(seed + 1000));
    const x = Float32Array.from({ length: rows * dIn }, () => 2 * gaussian());
    const encoder = await SaeEncoder.create(spec, { threads: 1 });
    try {
      const { features } = await encoder.encode(x, rows);
      assert.equal(features.rows, rows);
      assert.equal(features.dSae, dSae);
      let short = 0, full = 0;
      for (let r = 0; r < rows; r++) {
        const { active, margin } = naiveTopK(spec, Float64Array.from(x.subarray(r * dIn, (r + 1) * dIn)));
        assert.ok(margin > 1e-4, `${dIn}x${dSae} row ${r}: fixture too close to a boundary (${margin})`);
        const start = features.rowPtr[r], end = features.rowPtr[r + 1];
        const indices = [...features.indices.subarray(start, end)];
        const values = [...features.values.subarray(start, end)];
        assert.deepEqual(indices, [...active.keys()].sort((a, b) => a - b), `${dIn}x${dSae} row ${r}: active set`);
        indices.forEach((j, e) => {
          const want = active.get(j)!;
          assert.ok(
            Math.abs(values[e] - want) <= 1e-5 * Math.max(1, want),
            `row ${r} feature ${j}: ${values[e]} vs ${want}`,
          );
        });
        assert.ok(indices.length <= spec.k!);
        if (indices.length < spec.k!) short++;
        else full++;
      }
      if (k === 40) assert.ok(short > 0, "no row with fewer positive pre-activations than k");
      else assert.equal(full, rows, "every row has k active");
    } finally {
      await encoder.release();
    }
  }
});
