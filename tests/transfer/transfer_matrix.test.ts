/**
 * transferMatrix with a probe simple enough to score by hand: "fit" learns the majority class of a domain's training
 * labels, "score" is the accuracy of always predicting it. Three domains give a 3 × 3 matrix whose every cell, and
 * whose diagonal, off-diagonal and gap, are worked out below; then the argument errors and the one-domain case.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { type TransferDomain, transferMatrix, type TransferProbe } from "@saeflow/transfer";

/** A domain's rows are just their labels. */
type Labels = string[];

/** The most frequent label; ties to the alphabetically first. */
function majority(labels: Labels): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

/** The majority probe, recording every call it gets. */
function majorityProbe(calls: string[]): TransferProbe<Labels, string> {
  return {
    fit(train, domain) {
      calls.push(`fit ${domain}`);
      return majority(train);
    },
    // Async on purpose: a probe may score asynchronously.
    async score(model, test, domain) {
      await Promise.resolve();
      calls.push(`score ${domain}`);
      return test.filter((label) => label === model).length / test.length;
    },
  };
}

const DOMAINS: TransferDomain<Labels>[] = [
  // majority "x"; test: half x
  { name: "amazon", train: ["x", "x", "y"], test: ["x", "x", "y", "y"] },
  // majority "y"; test: three quarters y
  { name: "imdb", train: ["y", "y", "x"], test: ["y", "y", "y", "x"] },
  // majority "z"; test: a quarter z
  { name: "yelp", train: ["z", "z", "x"], test: ["x", "x", "x", "z"] },
];

Deno.test("transferMatrix: every cell, the diagonal, off-diagonal and gap of a hand-scored 3-domain matrix", async () => {
  const calls: string[] = [];
  const result = await transferMatrix(DOMAINS, majorityProbe(calls));
  assert.deepEqual(result.domains, ["amazon", "imdb", "yelp"]);
  // Row: trained on (majority x / y / z); column: tested on. Cell = share of the test labels equal to the majority.
  assert.deepEqual(result.scores, [
    [2 / 4, 1 / 4, 3 / 4],
    [2 / 4, 3 / 4, 0 / 4],
    [0 / 4, 0 / 4, 1 / 4],
  ]);
  assert.equal(result.diagonal, (0.5 + 0.75 + 0.25) / 3);
  assert.equal(result.offDiagonal, (0.25 + 0.75 + 0.5 + 0 + 0 + 0) / 6);
  assert.equal(result.gap, 0.5 - 0.25);
  // One fit per domain, then its row of scores, in domain order.
  assert.deepEqual(calls, [
    ...["fit amazon", "score amazon", "score imdb", "score yelp"],
    ...["fit imdb", "score amazon", "score imdb", "score yelp"],
    ...["fit yelp", "score amazon", "score imdb", "score yelp"],
  ]);
});

Deno.test("transferMatrix: the domain order given is the order of rows and columns", async () => {
  const reversed = [...DOMAINS].reverse();
  const result = await transferMatrix(reversed, majorityProbe([]));
  assert.deepEqual(result.domains, ["yelp", "imdb", "amazon"]);
  assert.deepEqual(result.scores, [
    [1 / 4, 0, 0],
    [0, 3 / 4, 2 / 4],
    [3 / 4, 1 / 4, 2 / 4],
  ]);
  assert.equal(result.diagonal, 0.5);
  assert.equal(result.offDiagonal, 0.25);
});

Deno.test("transferMatrix: a domain given twice is a ConfigError naming it; so is an empty list", async () => {
  const calls: string[] = [];
  await assert.rejects(
    transferMatrix([DOMAINS[0], DOMAINS[1], { ...DOMAINS[2], name: "imdb" }], majorityProbe(calls)),
    (error: Error) => {
      assert.ok(error instanceof ConfigError, `${error}`);
      assert.match(error.message, /"imdb"/);
      return true;
    },
  );
  assert.deepEqual(calls, [], "nothing is fitted before the names are checked");
  await assert.rejects(transferMatrix([], majorityProbe(calls)), ConfigError);
});

Deno.test("transferMatrix: a single domain has its in-domain score and no transfer (NaN off-diagonal and gap)", async () => {
  const result = await transferMatrix([DOMAINS[1]], majorityProbe([]));
  assert.deepEqual(result.domains, ["imdb"]);
  assert.deepEqual(result.scores, [[0.75]]);
  assert.equal(result.diagonal, 0.75);
  assert.ok(Number.isNaN(result.offDiagonal));
  assert.ok(Number.isNaN(result.gap));
});

Deno.test("transferMatrix: an error from the probe propagates", async () => {
  const failing: TransferProbe<Labels, string> = {
    fit: (_train, domain) => {
      if (domain === "imdb") throw new RangeError("cannot fit imdb");
      return "x";
    },
    score: () => 1,
  };
  await assert.rejects(transferMatrix(DOMAINS, failing), /cannot fit imdb/);
});
