/** The command-line form of pool specs: `<strategy>[:<n|k>][@<mask>]`, its normalization and its errors. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { describePool, parsePoolSpec } from "@saeflow/pool";

Deno.test("parsePoolSpec: a bare strategy gets the default no-bos mask", () => {
  assert.deepEqual(parsePoolSpec("sum"), { strategy: "sum", mosaicCompat: false, includeBos: false });
  assert.deepEqual(parsePoolSpec("max"), { strategy: "max", mosaicCompat: false, includeBos: false });
  assert.deepEqual(parsePoolSpec("sum@no-bos"), { strategy: "sum", mosaicCompat: false, includeBos: false });
  assert.deepEqual(parsePoolSpec("  mean  "), { strategy: "mean", mosaicCompat: false, includeBos: false });
});

Deno.test("parsePoolSpec: parameters go to n (topn-count) or k (the windows), masks set the flags", () => {
  assert.deepEqual(parsePoolSpec("topn-count:5"), {
    strategy: "topn-count",
    n: 5,
    mosaicCompat: false,
    includeBos: false,
  });
  assert.deepEqual(parsePoolSpec("last-k:8@bos"), { strategy: "last-k", k: 8, mosaicCompat: false, includeBos: true });
  assert.deepEqual(parsePoolSpec("first-k:3@mosaic-compat"), {
    strategy: "first-k",
    k: 3,
    mosaicCompat: true,
    includeBos: true,
  });
  assert.deepEqual(parsePoolSpec("sum@mosaic-compat"), { strategy: "sum", mosaicCompat: true, includeBos: true });
  assert.deepEqual(parsePoolSpec("topn-count:1@mosaic-compat"), {
    strategy: "topn-count",
    n: 1,
    mosaicCompat: true,
    includeBos: true,
  });
  // the parameter never leaks into the other field
  assert.equal("k" in parsePoolSpec("topn-count:5"), false);
  assert.equal("n" in parsePoolSpec("last-k:8"), false);
  assert.equal("n" in parsePoolSpec("sum") || "k" in parsePoolSpec("sum"), false);
});

Deno.test("parsePoolSpec then describePool gives the metadata name", () => {
  const names: [string, string][] = [
    ["sum", "sum[mask=no-bos]"],
    ["sum@bos", "sum[mask=bos]"],
    ["sum@mosaic-compat", "sum[mosaic-compat]"],
    ["topn-count:5", "topn-count(n=5)[mask=no-bos]"],
    ["topn-count:5@mosaic-compat", "topn-count(n=5)[mosaic-compat]"],
    ["last-k:8@bos", "last-k(k=8)[mask=bos]"],
    ["first-k:3@mosaic-compat", "first-k(k=3)[mosaic-compat]"],
    ["mean@no-bos", "mean[mask=no-bos]"],
    ["last", "last[mask=no-bos]"],
    ["max@bos", "max[mask=bos]"],
  ];
  for (const [text, name] of names) assert.equal(describePool(parsePoolSpec(text)), name, text);
});

Deno.test("parsePoolSpec refuses bad text with a ConfigError that names the text and the problem", () => {
  const bad: [string, RegExp][] = [
    ["sum:3", /takes no parameter/],
    ["topn-count", /needs n/],
    ["topn-count:0", /needs n/],
    ["topn-count:2.5", /"2\.5" is not an integer/],
    ["last-k", /needs k/],
    ["max@foo", /unknown mask "foo"/],
    ["sum@bos@bos", /too many parts/],
    ["a:b:c", /too many parts/],
    ["nope", /unknown pool strategy "nope"/],
  ];
  for (const [text, problem] of bad) {
    assert.throws(
      () => parsePoolSpec(text),
      (e) => {
        assert.ok(e instanceof ConfigError, `${text}: ${e}`);
        assert.match(e.message, problem, text);
        assert.ok(e.message.includes(`"${text}"`), `${text}: message does not name the text: ${e.message}`);
        return true;
      },
    );
  }
});
