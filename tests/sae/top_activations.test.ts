/** TopActivations against a naive reference: every activation listed, sorted, cut; batch order must not matter. */
import assert from "node:assert/strict";
import { mulberry32 } from "@saeflow/core";
import { TopActivations } from "@saeflow/sae";
import type { TokenBatch } from "@saeflow/tokenize";
import { csr, type Token, tokenBatch } from "../pool/fixtures.ts";

/** Records as token lists; token ids are 1000 × record + position, so a context names where it came from. */
function batchOf(records: { index: number; tokens: Token[] }[], hasBos: boolean, dSae: number) {
  const tokens: TokenBatch = tokenBatch(records.map((r) => r.tokens.length), hasBos);
  records.forEach(({ index, tokens: t }, b) => {
    tokens.records[b] = { id: `r${String(index).padStart(3, "0")}`, text: "" };
    t.forEach((_, p) => tokens.ids[b * tokens.seqLen + p] = 1000 * index + p);
  });
  return { tokens, features: csr(records.flatMap((r) => r.tokens), dSae) };
}

function randomRecords(seed: number, count: number, dSae: number) {
  const uniform = mulberry32(seed);
  return Array.from({ length: count }, (_, index) => ({
    index,
    tokens: Array.from({ length: 1 + Math.floor(uniform() * 20) }, () => {
      const active = new Map<number, number>();
      for (let k = 0; k < 4; k++) active.set(Math.floor(uniform() * dSae), Math.round(uniform() * 8) / 4); // ties
      return [...active].filter(([, v]) => v > 0) as Token;
    }),
  }));
}

function naiveTop(records: ReturnType<typeof randomRecords>, dSae: number, n: number, before: number, after: number) {
  const all = records.flatMap(({ index, tokens }) =>
    tokens.flatMap((token, position) =>
      position === 0 ? [] : token.map(([feature, value]) => ({
        feature,
        value: Math.fround(value),
        record: `r${String(index).padStart(3, "0")}`,
        position,
        tokens: tokens.map((_, p) => 1000 * index + p).slice(Math.max(1, position - before), position + after + 1),
        at: position - Math.max(1, position - before),
        cut: { before: position - before > 1, after: position + after + 1 < tokens.length },
      }))
    )
  );
  all.sort((a, b) =>
    b.value - a.value || (a.record < b.record ? -1 : a.record > b.record ? 1 : 0) || a.position - b.position
  );
  return Array.from(
    { length: dSae },
    (_, f) => all.filter((e) => e.feature === f).slice(0, n).map(({ feature: _f, ...e }) => e),
  );
}

Deno.test("TopActivations keeps exactly the naive reference's strongest examples, whatever the batching and order", () => {
  const dSae = 40, n = 3;
  const records = randomRecords(7, 60, dSae - 1);
  records[5].tokens[1 % records[5].tokens.length].push([dSae - 1, 1]); // a rare feature: fewer than n examples
  const expected = naiveTop(records, dSae, n, 5, 2);
  for (const [size, reversed] of [[1, false], [7, false], [7, true], [60, false]] as const) {
    const top = new TopActivations(dSae, { perFeature: n, before: 5, after: 2 });
    const batches = [];
    for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
    for (const batch of reversed ? batches.reverse() : batches) {
      const { tokens, features } = batchOf(batch, true, dSae);
      top.add(features, tokens);
    }
    for (let f = 0; f < dSae; f++) assert.deepEqual(top.examples(f), expected[f], `feature ${f}, batches of ${size}`);
  }
  assert.ok(expected.some((e) => e.length === n) && expected.some((e) => e.length < n), "full and partial features");
});

Deno.test("TopActivations: contexts stop at the record's ends and leave BOS out; JSON decodes them token by token", () => {
  const { tokens, features } = batchOf(
    [
      { index: 0, tokens: [[[0, 9]], [[1, 1]], [[1, 3]], [], [[1, 2], [2, 5]]] }, // BOS fires feature 0: ignored
      { index: 1, tokens: [[], [[2, 5]]] },
    ],
    true,
    4,
  );
  const top = new TopActivations(4, { perFeature: 2, before: 1, after: 1 });
  top.add(features, tokens);
  assert.deepEqual(top.examples(0), []);
  assert.deepEqual(top.examples(1), [
    { value: 3, record: "r000", position: 2, tokens: [1, 2, 3], at: 1, cut: { before: false, after: true } },
    { value: 2, record: "r000", position: 4, tokens: [3, 4], at: 1, cut: { before: true, after: false } },
  ]);
  assert.deepEqual(top.examples(2).map((e) => [e.record, e.tokens, e.at]), [["r000", [3, 4], 1], ["r001", [1001], 0]]);
  const json = top.toJSON((ids) => ids.map((id) => `<${id}>`));
  assert.deepEqual(Object.keys(json.features), ["1", "2"], "features that never fired are absent");
  assert.deepEqual(json.features["1"][0], {
    value: 3,
    record: "r000",
    position: 2,
    context: ["<1>", "<2>", "<3>"],
    at: 1,
    cut: { before: false, after: true },
  });
  assert.equal(json.tokens, 5, "real tokens, BOS left out");
  // A record that tokenization cut short goes on after its last token.
  const cut = batchOf([{ index: 0, tokens: [[], [[0, 1]]] }], true, 1);
  cut.tokens.truncated[0] = true;
  const shortened = new TopActivations(1, { perFeature: 1, before: 1, after: 1 });
  shortened.add(cut.features, cut.tokens);
  assert.deepEqual(shortened.examples(0)[0].cut, { before: false, after: true });
  // Without BOS, position 0 counts.
  const noBos = batchOf([{ index: 0, tokens: [[[0, 9]], [[0, 1]]] }], false, 1);
  const plain = new TopActivations(1, { perFeature: 5, before: 0, after: 0 });
  plain.add(noBos.features, noBos.tokens);
  assert.deepEqual(plain.examples(0).map((e) => [e.position, e.tokens]), [[0, [0]], [1, [1]]]);
});

Deno.test("TopActivations refuses features that do not match the token batch, and bad sizes", () => {
  const { tokens } = batchOf([{ index: 0, tokens: [[], []] }], true, 2);
  assert.throws(
    () => new TopActivations(2, { perFeature: 1 }).add(csr([[]], 2), tokens),
    /1 feature rows for 2 real tokens/,
  );
  assert.throws(() => new TopActivations(2, { perFeature: -1 }), /perFeature -1: expected an integer >= 0/);
});
