/** Pool specs: validation errors, normalization, and the names that go into shard metadata. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { describePool, type PoolSpec, validatePoolSpec } from "@saeflow/pool";

Deno.test("describePool names strategy, parameter and mask", () => {
  assert.equal(describePool({ strategy: "sum" }), "sum[mask=no-bos]");
  assert.equal(describePool({ strategy: "sum", includeBos: true }), "sum[mask=bos]");
  assert.equal(describePool({ strategy: "topn-count", n: 5, mosaicCompat: true }), "topn-count(n=5)[mosaic-compat]");
  assert.equal(
    describePool({ strategy: "topn-count", n: 5, mosaicCompat: true, includeBos: true }),
    "topn-count(n=5)[mosaic-compat]",
  );
  assert.equal(describePool({ strategy: "first-k", k: 8 }), "first-k(k=8)[mask=no-bos]");
  assert.equal(describePool({ strategy: "last-k", k: 3, includeBos: true }), "last-k(k=3)[mask=bos]");
  assert.equal(describePool({ strategy: "mean" }), "mean[mask=no-bos]");
});

Deno.test("validatePoolSpec normalizes the mask flags", () => {
  assert.deepEqual(validatePoolSpec({ strategy: "max" }), { strategy: "max", mosaicCompat: false, includeBos: false });
  assert.deepEqual(validatePoolSpec({ strategy: "topn-count", n: 2, mosaicCompat: true }), {
    strategy: "topn-count",
    n: 2,
    mosaicCompat: true,
    includeBos: true,
  });
});

Deno.test("validatePoolSpec refuses bad specs with a ConfigError that names the problem", () => {
  const bad: [PoolSpec, RegExp][] = [
    [{ strategy: "median" as PoolSpec["strategy"] }, /unknown pool strategy "median"/],
    [{ strategy: "topn-count" }, /needs n/],
    [{ strategy: "topn-count", n: 0 }, /needs n/],
    [{ strategy: "topn-count", n: 1.5 }, /needs n/],
    [{ strategy: "sum", n: 3 }, /n only applies/],
    [{ strategy: "first-k" }, /needs k/],
    [{ strategy: "last-k", k: -1 }, /needs k/],
    [{ strategy: "mean", k: 2 }, /k only applies/],
    [{ strategy: "sum", mosaicCompat: true, includeBos: false }, /contradicts/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => validatePoolSpec(spec), (e) => e instanceof ConfigError && message.test(e.message));
    assert.throws(() => describePool(spec), ConfigError);
  }
});
