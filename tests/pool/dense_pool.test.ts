/**
 * Hidden-state baselines against a naive reference that reads the attention mask position by position, on
 * hand-built padded batches whose padding holds huge garbage (so reading it would show), with and without BOS.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import type { ActivationBatch } from "@saeflow/forward";
import { lastTokenStates, maskedMeanStates } from "@saeflow/pool";
import { padBatch } from "@saeflow/tokenize";
import { mulberry32 } from "../random.ts";

const HOOK = "blocks.0.hook_resid_post";
const GARBAGE = 1e30;

/** A batch of rows with these lengths; real positions hold seeded values in [-1, 1), padding holds ±1e30. */
function batchOf(lengths: number[], dModel: number, hasBos: boolean, seed = 1): ActivationBatch {
  const tokens = padBatch(lengths.map((n) => Array.from({ length: n }, (_, i) => 10 + i)), { padId: 0, hasBos });
  const rand = mulberry32(seed);
  const data = new Float32Array(tokens.batchSize * tokens.seqLen * dModel);
  for (let p = 0; p < tokens.batchSize * tokens.seqLen; p++) {
    for (let d = 0; d < dModel; d++) {
      data[p * dModel + d] = tokens.mask[p] ? rand() * 2 - 1 : (d % 2 ? -GARBAGE : GARBAGE);
    }
  }
  return { tokens, activations: new Map([[HOOK, data]]), dModel };
}

/** The states of row b, position by position, where the mask says the token is real: plain arrays. */
function realStates(batch: ActivationBatch, b: number): number[][] {
  const { seqLen, mask } = batch.tokens;
  const data = batch.activations.get(HOOK)!;
  const rows: number[][] = [];
  for (let t = 0; t < seqLen; t++) {
    if (mask[b * seqLen + t]) {
      rows.push([...data.subarray((b * seqLen + t) * batch.dModel, (b * seqLen + t + 1) * batch.dModel)]);
    }
  }
  return rows;
}

function naiveLast(batch: ActivationBatch): number[][] {
  return Array.from({ length: batch.tokens.batchSize }, (_, b) => realStates(batch, b).at(-1)!);
}

function naiveMean(batch: ActivationBatch, includeBos: boolean): number[][] {
  return Array.from({ length: batch.tokens.batchSize }, (_, b) => {
    const rows = realStates(batch, b).slice(batch.tokens.hasBos && !includeBos ? 1 : 0);
    if (rows.length === 0) return new Array(batch.dModel).fill(0);
    return rows[0].map((_, d) => Math.fround(rows.reduce((s, r) => s + r[d], 0) / rows.length));
  });
}

const close = (got: Float32Array[], want: number[][], label: string) => {
  assert.equal(got.length, want.length, label);
  for (const [b, v] of got.entries()) {
    assert.equal(v.length, want[b].length, label);
    for (const [d, x] of v.entries()) {
      assert.ok(Math.abs(x - want[b][d]) <= 1e-6, `${label}: row ${b} dim ${d}: ${x} vs ${want[b][d]}`);
    }
  }
};

Deno.test("lastTokenStates / maskedMeanStates match the naive reference on padded batches", () => {
  for (const hasBos of [true, false]) {
    for (const [seed, lengths] of [[1, [5, 2, 7, 1, 3]], [2, [1]], [3, [4, 4]], [4, [9, 1, 2]]] as const) {
      const batch = batchOf([...lengths], 6, hasBos, seed);
      const label = JSON.stringify({ hasBos, lengths });
      const last = lastTokenStates(batch, HOOK);
      assert.deepEqual(last.map((v) => [...v]), naiveLast(batch), label); // copies, bit for bit
      close(maskedMeanStates(batch, HOOK), naiveMean(batch, false), label);
      close(maskedMeanStates(batch, HOOK, { includeBos: true }), naiveMean(batch, true), label);
      for (const v of [...last, ...maskedMeanStates(batch, HOOK)]) {
        assert.ok(v.every((x) => Math.abs(x) <= 1), `${label}: padding leaked`);
      }
    }
  }
});

Deno.test("hand-computed values: BOS excluded by default, included on request, single-token records", () => {
  // Row 0: BOS, 1, 3, 5; row 1: BOS only (+ 3 padding); row 2: BOS, 7 (+ 2 padding); dModel 1.
  const tokens = padBatch([[2, 10, 11, 12], [2], [2, 10]], { padId: 0, hasBos: true });
  const data = new Float32Array([100, 1, 3, 5, 100, GARBAGE, GARBAGE, GARBAGE, 100, 7, GARBAGE, GARBAGE]);
  const batch: ActivationBatch = { tokens, activations: new Map([[HOOK, data]]), dModel: 1 };
  assert.deepEqual(lastTokenStates(batch, HOOK).map((v) => [...v]), [[5], [100], [7]]);
  assert.deepEqual(maskedMeanStates(batch, HOOK).map((v) => [...v]), [[3], [0], [7]]); // BOS-only -> zeros
  assert.deepEqual(maskedMeanStates(batch, HOOK, { includeBos: true }).map((v) => [...v]), [[27.25], [100], [53.5]]);
  // Without BOS, a single-token record is its own mean and its own last token.
  const noBos: ActivationBatch = { ...batch, tokens: { ...tokens, hasBos: false } };
  assert.deepEqual(maskedMeanStates(noBos, HOOK).map((v) => [...v]), [[27.25], [100], [53.5]]);
  assert.deepEqual(maskedMeanStates(noBos, HOOK, { includeBos: false }).map((v) => [...v]), [[27.25], [100], [53.5]]);
});

Deno.test("results are fresh arrays, not views of the batch", () => {
  const batch = batchOf([3, 2], 4, true);
  const [last] = lastTokenStates(batch, HOOK);
  const before = [...last];
  batch.activations.get(HOOK)!.fill(9);
  assert.deepEqual([...last], before);
});

Deno.test("padding-free single records: the mean equals the mean of the record batched alone", () => {
  const batch = batchOf([6, 2, 4], 3, true, 9);
  const means = maskedMeanStates(batch, HOOK);
  for (let b = 0; b < 3; b++) {
    const rows = realStates(batch, b);
    const alone: ActivationBatch = {
      tokens: padBatch([rows.map((_, i) => 10 + i)], { padId: 0, hasBos: true }),
      activations: new Map([[HOOK, new Float32Array(rows.flat())]]),
      dModel: 3,
    };
    assert.deepEqual([...maskedMeanStates(alone, HOOK)[0]], [...means[b]]);
    assert.deepEqual([...lastTokenStates(alone, HOOK)[0]], [...lastTokenStates(batch, HOOK)[b]]);
  }
});

Deno.test("errors: unknown hook, wrong activation size", () => {
  const batch = batchOf([2, 1], 4, true);
  assert.throws(() => lastTokenStates(batch, "blocks.9.hook_resid_post"), ConfigError);
  assert.throws(() => maskedMeanStates(batch, "nope"), /no activations for hook "nope"; the batch has blocks\.0/);
  const short: ActivationBatch = { ...batch, activations: new Map([[HOOK, new Float32Array(3)]]) };
  assert.throws(() => lastTokenStates(short, HOOK), RangeError);
});
