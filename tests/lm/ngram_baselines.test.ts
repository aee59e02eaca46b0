/** The unigram (add-one) and Witten–Bell bigram baselines on a corpus small enough to count by hand. */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { ngramBaselines, type PackedSequences } from "@saeflow/lm";

const packed = (rows: number[][]): PackedSequences => ({
  ids: Int32Array.from(rows.flat()),
  count: rows.length,
  seqLen: rows[0].length,
  dropped: 0,
});

Deno.test("ngramBaselines: hand-counted unigram and bigram cross-entropies", () => {
  // Training predictions: 1→3, 3→4, 4→2, 1→3, 3→3, 3→2. Targets: c(3) = 3, c(4) = 1, c(2) = 2; N = 6, V = 5, so
  // P(w) = (c(w) + 1) / 11. Contexts: c(1) = 2 with T(1) = 1 follower, c(3) = 3 with T(3) = 3, c(4) = 1 with T(4) = 1;
  // 0 and 2 are never contexts.
  const train = packed([[1, 3, 4, 2], [1, 3, 3, 2]]);
  const validation = packed([[1, 3, 4, 4], [1, 0, 2, 2]]);
  const { unigram, bigram, tokens } = ngramBaselines(train, validation, 5);
  assert.equal(tokens, 6);
  // Validation targets 3, 4, 4, 0, 2, 2.
  const expectedUnigram = -(Math.log(4 / 11) + 2 * Math.log(2 / 11) + Math.log(1 / 11) + 2 * Math.log(3 / 11)) / 6;
  // P(3|1) = (2 + 1·4/11) / 3 = 26/33; P(4|3) = (1 + 3·2/11) / 6 = 17/66; P(4|4) = (0 + 1·2/11) / 2 = 1/11;
  // P(0|1) = (0 + 1·1/11) / 3 = 1/33; contexts 0 and 2 unseen: P(2|0) = P(2|2) = P(2) = 3/11.
  const expectedBigram = -(
    Math.log(26 / 33) + Math.log(17 / 66) + Math.log(1 / 11) + Math.log(1 / 33) + 2 * Math.log(3 / 11)
  ) / 6;
  assert.ok(Math.abs(unigram - expectedUnigram) < 1e-12, `unigram ${unigram} vs ${expectedUnigram}`);
  assert.ok(Math.abs(bigram - expectedBigram) < 1e-12, `bigram ${bigram} vs ${expectedBigram}`);
});

Deno.test("ngramBaselines: each bigram distribution sums to 1 over the vocabulary", () => {
  const train = packed([[1, 3], [3, 4], [4, 2], [1, 3], [3, 3], [3, 2], [4, 4]]);
  const V = 6;
  for (let v = 0; v < V; v++) {
    let total = 0;
    for (let w = 0; w < V; w++) total += Math.exp(-ngramBaselines(train, packed([[v, w]]), V).bigram);
    assert.ok(Math.abs(total - 1) < 1e-12, `context ${v}: ${total}`);
  }
});

Deno.test("ngramBaselines: errors", () => {
  const rows = packed([[1, 2, 3]]);
  assert.throws(() => ngramBaselines(rows, packed([[1, 9, 2]]), 5), DataError);
  assert.throws(() => ngramBaselines(rows, packed([[1, 2]]), 5), ConfigError);
  assert.throws(() => ngramBaselines(rows, { ...rows, count: 0, ids: new Int32Array(0) }, 5), DataError);
});
