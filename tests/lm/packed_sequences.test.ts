/** Packing tokenized sentences into rows: `<bos> s <eos>` streams cut into rows that each start with `<bos>`. */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { packSequences } from "@saeflow/lm";

const ids = { bosId: 1, eosId: 2 };

Deno.test("packSequences: a cut inside a sentence starts the next row with an added <bos>; the tail is dropped", () => {
  const packed = packSequences([[10, 11, 12], [13]], { seqLen: 4, ...ids });
  assert.deepEqual([...packed.ids], [1, 10, 11, 12, 1, 2, 1, 13]);
  assert.equal(packed.count, 2);
  assert.equal(packed.seqLen, 4);
  assert.equal(packed.dropped, 2);
});

Deno.test("packSequences: a row that starts at a sentence has one <bos>, not two", () => {
  const packed = packSequences([[10, 11, 12], [13, 14, 15]], { seqLen: 5, ...ids });
  assert.deepEqual([...packed.ids], [1, 10, 11, 12, 2, 1, 13, 14, 15, 2]);
  assert.equal(packed.dropped, 0);
});

Deno.test("packSequences: long sentences span rows, every row starts with <bos>, no stream token is lost", () => {
  const first = Array.from({ length: 11 }, (_, i) => 100 + i);
  const packed = packSequences([first, [200, 201], [300, 300, 300, 300, 300, 300, 300]], { seqLen: 6, ...ids });
  const rows = Array.from({ length: packed.count }, (_, r) => [...packed.ids.subarray(r * 6, (r + 1) * 6)]);
  assert.deepEqual(rows, [
    [1, 100, 101, 102, 103, 104],
    [1, 105, 106, 107, 108, 109], // <bos> added: the cut is inside the first sentence
    [1, 110, 2, 1, 200, 201],
    [1, 2, 1, 300, 300, 300],
    [1, 300, 300, 300, 300, 2],
  ]);
  assert.equal(packed.dropped, 0);
});

Deno.test("packSequences: errors", () => {
  assert.throws(() => packSequences([[5]], { seqLen: 1, ...ids }), ConfigError);
  assert.throws(() => packSequences([[5], []], { seqLen: 4, ...ids }), DataError);
  assert.equal(packSequences([[5]], { seqLen: 8, ...ids }).count, 0);
});
