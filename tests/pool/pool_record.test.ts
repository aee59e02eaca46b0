/**
 * poolRecord against hand-computed values and the dense naive reference: every strategy, ties, empty and all-masked
 * records, records shorter than n / k, mosaic-compat vs default, includeBos, and seeded random records.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { POOL_STRATEGIES, type PooledVector, poolRecord, type PoolSpec } from "@saeflow/pool";
import { mulberry32 } from "../random.ts";
import { csr, dense, densify, type Token } from "./fixtures.ts";
import { naivePool } from "./reference/naive_pool.ts";

/** Pools one record (all rows of its own CSR). */
function pool(tokens: Token[], dSae: number, spec: PoolSpec, hasBos: boolean): PooledVector {
  return poolRecord(csr(tokens, dSae), 0, tokens.length, spec, { hasBos });
}

/** Checks poolRecord against the reference: same nonzero features (ascending), same float32 values, same token count. */
function assertMatchesReference(tokens: Token[], dSae: number, spec: PoolSpec, hasBos: boolean): PooledVector {
  const got = pool(tokens, dSae, spec, hasBos);
  const want = naivePool(dense(tokens, dSae), dSae, spec, hasBos);
  const label = JSON.stringify({ spec, hasBos, tokens });
  assert.equal(got.tokensPooled, want.tokens, label);
  assert.deepEqual([...got.indices], want.dense.flatMap((x, f) => x !== 0 ? [f] : []), label);
  assert.deepEqual([...got.values], want.dense.filter((x) => x !== 0).map(Math.fround), label);
  assert.deepEqual(densify(got, dSae), want.dense.map(Math.fround), label);
  return got;
}

const ALL_SPECS: PoolSpec[] = [
  ...[1, 2, 3, 5].flatMap((n) => [{ strategy: "topn-count", n }, { strategy: "topn-count", n, mosaicCompat: true }]),
  ...(["sum", "mean", "max", "last"] as const).map((strategy) => ({ strategy })),
  ...[1, 2, 10].flatMap((k) => [{ strategy: "first-k", k }, { strategy: "last-k", k }]),
] as PoolSpec[];
const MASKS = [{}, { includeBos: true }, { mosaicCompat: true }];

// BOS, then three tokens; ties on token 2 (features 1 and 4 both 0.5) and across tokens.
const SMALL: Token[] = [[[0, 9], [2, 1]], [[1, 2], [3, 1]], [[4, 0.5], [1, 0.5], [5, 0.25]], [[3, 4]]];
const D = 6;

Deno.test("hand-computed: sum, mean, max, last over a BOS-first record", () => {
  const sum = pool(SMALL, D, { strategy: "sum" }, true);
  assert.deepEqual([...sum.indices], [1, 3, 4, 5]);
  assert.deepEqual([...sum.values], [2.5, 5, 0.5, 0.25]);
  assert.equal(sum.tokensPooled, 3);
  const mean = pool(SMALL, D, { strategy: "mean" }, true);
  assert.deepEqual([...mean.values], [2.5 / 3, 5 / 3, 0.5 / 3, 0.25 / 3].map(Math.fround));
  const max = pool(SMALL, D, { strategy: "max" }, true);
  assert.deepEqual([...max.indices], [1, 3, 4, 5]);
  assert.deepEqual([...max.values], [2, 4, 0.5, 0.25]);
  const last = pool(SMALL, D, { strategy: "last" }, true);
  assert.deepEqual([...last.indices], [3]);
  assert.deepEqual([...last.values], [4]);
  assert.equal(last.tokensPooled, 1);
  const withBos = pool(SMALL, D, { strategy: "sum", includeBos: true }, true);
  assert.deepEqual([...withBos.indices], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...withBos.values], [9, 2.5, 1, 5, 0.5, 0.25]);
  assert.equal(withBos.tokensPooled, 4);
  // Without a BOS token nothing is masked: includeBos changes nothing.
  assert.deepEqual(pool(SMALL, D, { strategy: "sum" }, false), withBos);
});

Deno.test("hand-computed: topn-count ties go to the lower feature id; default counts active features only", () => {
  // n = 1: token 1 -> 1 (2 > 1), token 2 -> 1 (tie 0.5 between 1 and 4: lower id), token 3 -> 3.
  const top1 = pool(SMALL, D, { strategy: "topn-count", n: 1 }, true);
  assert.deepEqual([...top1.indices], [1, 3]);
  assert.deepEqual([...top1.values], [2, 1]);
  // n = 2: token 1 -> 1, 3; token 2 -> 1, 4; token 3 has one active feature -> 3 only.
  const top2 = pool(SMALL, D, { strategy: "topn-count", n: 2 }, true);
  assert.deepEqual([...top2.indices], [1, 3, 4]);
  assert.deepEqual([...top2.values], [2, 2, 1]);
});

Deno.test("hand-computed: mosaic-compat top-n pads sparse tokens with the lowest inactive ids and keeps BOS", () => {
  // n = 2 over all 4 tokens: BOS -> 0, 2; token 1 -> 1, 3; token 2 -> 1, 4; token 3 -> 3 + lowest inactive = 0.
  const compat = pool(SMALL, D, { strategy: "topn-count", n: 2, mosaicCompat: true }, true);
  assert.deepEqual([...compat.indices], [0, 1, 2, 3, 4]);
  assert.deepEqual([...compat.values], [2, 2, 1, 2, 1]);
  assert.equal(compat.tokensPooled, 4);
  // A token with no active feature contributes ids 0..n-1; token {0, 2} takes 2, 0, then the lowest inactive 1, 3.
  const sparse: Token[] = [[], [[0, 1], [2, 3]]];
  const c = pool(sparse, D, { strategy: "topn-count", n: 4, mosaicCompat: true }, false);
  assert.deepEqual([...c.indices], [0, 1, 2, 3]);
  assert.deepEqual([...c.values], [2, 2, 2, 2]);
  // Token {5} with n = 3 skips nothing below it: 5, then 0, 1.
  const high = pool([[[5, 1]]], D, { strategy: "topn-count", n: 3, mosaicCompat: true }, false);
  assert.deepEqual([[...high.indices], [...high.values]], [[0, 1, 5], [1, 1, 1]]);
  assert.deepEqual([...pool(sparse, D, { strategy: "topn-count", n: 4 }, false).indices], [0, 2]);
});

Deno.test("mosaic-compat and default differ, and each matches its reference", () => {
  const defaultSpec: PoolSpec = { strategy: "topn-count", n: 3, includeBos: true };
  const compatSpec: PoolSpec = { strategy: "topn-count", n: 3, mosaicCompat: true };
  const a = assertMatchesReference(SMALL, D, defaultSpec, true);
  const b = assertMatchesReference(SMALL, D, compatSpec, true);
  assert.notDeepEqual(densify(a, D), densify(b, D));
  // Every token contributes exactly n in compat mode, at most n by default.
  assert.equal(b.values.reduce((s, x) => s + x, 0), 3 * SMALL.length);
  assert.equal(a.values.reduce((s, x) => s + x, 0), 2 + 2 + 3 + 1);
});

Deno.test("empty records and BOS-only records give an empty vector for every strategy and mask", () => {
  for (const spec of ALL_SPECS) {
    for (const mask of MASKS) {
      const s = { ...spec, ...mask };
      for (const hasBos of [true, false]) {
        const empty = pool([], D, s, hasBos);
        assert.deepEqual([empty.indices.length, empty.values.length, empty.tokensPooled], [0, 0, 0]);
      }
      const bosOnly = assertMatchesReference([[[2, 3]]], D, s, true);
      if (!s.includeBos && !s.mosaicCompat) assert.equal(bosOnly.tokensPooled, 0);
      // A record whose tokens have no active features: nothing but compat top-n's padding.
      assertMatchesReference([[], [], []], D, s, true);
    }
  }
  const mean = pool([[[2, 3]]], D, { strategy: "mean" }, true);
  assert.equal(mean.values.length, 0);
});

Deno.test("every strategy and mask matches the reference on hand-written records (short records, large n and k)", () => {
  const records: Token[][] = [
    SMALL,
    [[[5, 1]]],
    [[[0, 1]], [[0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]], // all tied
    [[[3, 0.1]], [[3, 0.2], [2, 0.2]], [[1, 7]], [[2, 0.2], [3, 0.1]], [[4, 1e-8]]],
  ];
  for (const tokens of records) {
    for (const spec of ALL_SPECS) {
      for (const mask of MASKS) {
        for (const hasBos of [true, false]) assertMatchesReference(tokens, D, { ...spec, ...mask }, hasBos);
      }
    }
  }
});

Deno.test("windows: k larger than the record pools every masked token; first-k/last-k pick the right ends", () => {
  const all = pool(SMALL, D, { strategy: "sum" }, true);
  assert.deepEqual(pool(SMALL, D, { strategy: "first-k", k: 99 }, true), all);
  assert.deepEqual(pool(SMALL, D, { strategy: "last-k", k: 99 }, true), all);
  const first1 = pool(SMALL, D, { strategy: "first-k", k: 1 }, true); // token 1 (BOS masked)
  assert.deepEqual([[...first1.indices], [...first1.values]], [[1, 3], [2, 1]]);
  const first1Bos = pool(SMALL, D, { strategy: "first-k", k: 1, includeBos: true }, true);
  assert.deepEqual([[...first1Bos.indices], [...first1Bos.values]], [[0, 2], [9, 1]]);
  const last2 = pool(SMALL, D, { strategy: "last-k", k: 2 }, true);
  assert.deepEqual([[...last2.indices], [...last2.values], last2.tokensPooled], [[1, 3, 4, 5], [0.5, 4, 0.5, 0.25], 2]);
  assert.deepEqual(pool(SMALL, D, { strategy: "last-k", k: 1 }, true), pool(SMALL, D, { strategy: "last" }, true));
});

Deno.test("seeded random records match the reference for every strategy and mask", () => {
  const random = mulberry32(5);
  const dSae = 12;
  for (let trial = 0; trial < 40; trial++) {
    const length = Math.floor(random() * 7);
    const tokens: Token[] = Array.from({ length }, () => {
      const tok: Token = [];
      for (let f = 0; f < dSae; f++) {
        // Quantized values make ties common.
        if (random() < 0.3) tok.push([f, Math.ceil(random() * 4) / 2]);
      }
      return tok;
    });
    for (const spec of ALL_SPECS) {
      for (const mask of MASKS) assertMatchesReference(tokens, dSae, { ...spec, ...mask }, trial % 2 === 0);
    }
  }
});

Deno.test("a record's rows inside a larger CSR: only its rows are pooled", () => {
  const other: Token[] = [[[0, 100]], [[5, 100]]];
  const features = csr([...other, ...SMALL, ...other], D);
  for (const strategy of POOL_STRATEGIES) {
    const spec = { strategy, n: strategy === "topn-count" ? 2 : undefined, k: strategy.endsWith("-k") ? 2 : undefined };
    assert.deepEqual(
      poolRecord(features, 2, 2 + SMALL.length, spec, { hasBos: true }),
      pool(SMALL, D, spec, true),
      strategy,
    );
  }
});

Deno.test("bad row ranges and a compat n wider than the SAE are ConfigErrors", () => {
  const features = csr(SMALL, D);
  assert.throws(() => poolRecord(features, 2, 1, { strategy: "sum" }, { hasBos: true }), ConfigError);
  assert.throws(() => poolRecord(features, 0, 5, { strategy: "sum" }, { hasBos: true }), /not a row range/);
  assert.throws(
    () => poolRecord(features, 0, 4, { strategy: "topn-count", n: 7, mosaicCompat: true }, { hasBos: true }),
    /only 6/,
  );
  // Without compat, n above the width simply counts every active feature.
  assert.deepEqual(
    poolRecord(features, 0, 4, { strategy: "topn-count", n: 7 }, { hasBos: true }),
    pool(SMALL, D, { strategy: "topn-count", n: 6 }, true),
  );
});
