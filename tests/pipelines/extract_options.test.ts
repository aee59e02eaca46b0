/**
 * The extract pipeline's helpers: `--sae` values, hook names and tags, flag parsers, output directory slugs, stage
 * timing, and the extract task's flags as `parseTask` reads them (defaults, `none`, lists, refusals, config hash).
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { extractTask } from "../../pipelines/extract.ts";
import { checkDistinctIds, hookOf, layerTag, loadFileSaes, parseSaeSource } from "../../pipelines/lib/sae_sources.ts";
import { listOf, nonNegativeInteger, numberIn } from "../../pipelines/lib/parse.ts";
import { binarizeSlug, poolSlug } from "../../pipelines/lib/extract/extract_outputs.ts";
import { StageTimes } from "../../pipelines/lib/stage_times.ts";

Deno.test("parseSaeSource: random, gemma-scope, placed and plain paths", () => {
  assert.deepEqual(parseSaeSource("random:512"), { kind: "random", width: 512, k: 32, seed: 0 });
  assert.deepEqual(parseSaeSource("random:1024:k=8:seed=3"), { kind: "random", width: 1024, k: 8, seed: 3 });
  assert.deepEqual(parseSaeSource("random:64:seed=7"), { kind: "random", width: 64, k: 32, seed: 7 });
  assert.deepEqual(parseSaeSource("random:64:seed=0:k=1"), { kind: "random", width: 64, k: 1, seed: 0 });
  assert.deepEqual(parseSaeSource("gemma-scope:16k"), { kind: "gemma-scope", width: "16k" });
  assert.deepEqual(parseSaeSource("gemma-scope:16384"), { kind: "gemma-scope", width: "16384" });
  assert.deepEqual(parseSaeSource("3=some/path"), { kind: "file", layer: 3, path: "some/path" });
  assert.deepEqual(parseSaeSource("12=out/sae/l12/params.npz"), {
    kind: "file",
    layer: 12,
    path: "out/sae/l12/params.npz",
  });
  assert.deepEqual(parseSaeSource("some/path"), { kind: "file", path: "some/path" });
});

Deno.test("loadFileSaes: an SAE is named by its layer and folder, or for train-sae's <run>/sae by its run", async () => {
  const stories = new URL("../../data/saes/stories260K/", import.meta.url).pathname;
  const placed = await loadFileSaes([
    parseSaeSource(`${stories}L1-topk-512/sae/`),
    parseSaeSource(`3=${stories}L3-topk-512/sae`),
  ], "resid_post");
  assert.deepEqual(placed.map((p) => [p.id, p.hook]), [
    ["l1.L1-topk-512", "blocks.1.hook_resid_post"],
    ["l3.L3-topk-512", "blocks.3.hook_resid_post"],
  ]);
  // Two runs of the same name would share their output directories: refused.
  const twice = await loadFileSaes([parseSaeSource(`${stories}L1-topk-512/sae`)], "resid_post");
  assert.throws(() => checkDistinctIds([...placed, ...twice]), /two SAEs are both called l1\.L1-topk-512/);
  checkDistinctIds(placed);
});

Deno.test("parseSaeSource: bad values are ConfigErrors naming the value and the problem", () => {
  const bad: [string, RegExp][] = [
    ["random:0", /width "0" is not an integer ≥ 1/],
    ["random:abc", /width "abc" is not an integer ≥ 1/],
    ["random:12.5", /width "12\.5" is not an integer ≥ 1/],
    ["random:12:x=1", /unknown option "x=1"/],
    ["random:12:k=0", /k "0" is not an integer ≥ 1/],
    ["random:12:seed=-1", /seed "-1" is not an integer ≥ 0/],
    ["gemma-scope:big", /width "big" is not like 16k or 16384/],
    ["gemma-scope:", /width "" is not like 16k/],
    ["", /empty/],
  ];
  for (const [text, problem] of bad) {
    assert.throws(
      () => parseSaeSource(text),
      (e) => {
        assert.ok(e instanceof ConfigError, `${JSON.stringify(text)}: ${e}`);
        assert.match(e.message, problem, text);
        assert.ok(e.message.startsWith(`--sae ${text}: `), e.message);
        assert.match(e.message, /expected random:<width>/);
        return true;
      },
    );
  }
});

Deno.test("hookOf and layerTag: hook names and their short tags", () => {
  assert.equal(hookOf(12, "resid_post"), "blocks.12.hook_resid_post");
  assert.equal(hookOf(0, "mlp_out"), "blocks.0.hook_mlp_out");
  assert.equal(layerTag("blocks.12.hook_resid_post"), "l12");
  assert.equal(layerTag("blocks.3.hook_mlp_out"), "l3-mlp_out");
  assert.equal(layerTag("blocks.0.hook_resid_pre"), "l0-resid_pre");
  assert.equal(layerTag(hookOf(7, "attn_out")), "l7-attn_out");
});

Deno.test("listOf: the first value replaces the default list, later ones append, undefined adds nothing", () => {
  const defaults = [1];
  const parse = listOf((value: string) => value === "none" ? undefined : Number(value), defaults);
  const first = parse("2", defaults);
  assert.deepEqual(first, [2]);
  assert.deepEqual(defaults, [1], "the default list is not modified");
  const second = parse("3", first);
  assert.deepEqual(second, [2, 3]);
  assert.deepEqual(first, [2], "the previous list is not modified");
  assert.deepEqual(parse("none", defaults), []);
  assert.deepEqual(parse("none", second), [2, 3]);
  assert.deepEqual(parse("4", undefined), [4]);
  assert.deepEqual(parse("none", undefined), []);
  // a list equal to the defaults but not the defaults themselves is a user's list: appended to
  assert.deepEqual(parse("5", [1]), [1, 5]);
});

Deno.test("nonNegativeInteger and numberIn accept their range and name the flag otherwise", () => {
  const seed = nonNegativeInteger("--seed");
  assert.equal(seed("0"), 0);
  assert.equal(seed("42"), 42);
  for (const bad of ["-1", "1.5", "", " ", "abc", "NaN"]) {
    assert.throws(
      () => seed(bad),
      (e) => e instanceof ConfigError && e.message === `--seed ${bad}: expected an integer ≥ 0`,
      JSON.stringify(bad),
    );
  }
  const fraction = numberIn("--train", 0, 1);
  assert.equal(fraction("0.8"), 0.8);
  assert.equal(fraction("0"), 0);
  assert.equal(fraction("1"), 1);
  assert.equal(fraction(".25"), 0.25);
  for (const bad of ["1.5", "-0.1", "", "  ", "x", "NaN"]) {
    assert.throws(
      () => fraction(bad),
      (e) => e instanceof ConfigError && e.message === `--train ${bad}: expected a number in [0, 1]`,
      JSON.stringify(bad),
    );
  }
  assert.throws(() => numberIn("--x", 0, Infinity)("Infinity"), ConfigError);
  assert.equal(numberIn("--x", -2, 2)("-2"), -2);
});

Deno.test("poolSlug and binarizeSlug: pool and rule names as directory names", () => {
  assert.equal(poolSlug("sum[mask=no-bos]"), "sum.no-bos");
  assert.equal(poolSlug("sum[mask=bos]"), "sum.bos");
  assert.equal(poolSlug("sum[mosaic-compat]"), "sum.mosaic-compat");
  assert.equal(poolSlug("topn-count(n=5)[mosaic-compat]"), "topn-count-n5.mosaic-compat");
  assert.equal(poolSlug("topn-count(n=12)[mask=no-bos]"), "topn-count-n12.no-bos");
  assert.equal(poolSlug("last-k(k=8)[mask=bos]"), "last-k-k8.bos");
  assert.equal(poolSlug("first-k(k=3)[mask=no-bos]"), "first-k-k3.no-bos");
  assert.equal(binarizeSlug({ rule: "gt", threshold: 1 }), "gt-1");
  assert.equal(binarizeSlug({ rule: "gt" }), "gt-1");
  assert.equal(binarizeSlug({ rule: "ge", threshold: 0.5 }), "ge-0.5");
  assert.equal(binarizeSlug({ rule: "presence" }), "presence");
});

const busyWait = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
};

Deno.test("StageTimes: measure and measureAsync add each call's time to its stage", async () => {
  const times = new StageTimes();
  assert.equal(times.measure("tokenize", () => (busyWait(20), "done")), "done");
  assert.equal(await times.measureAsync("forward", () => new Promise((r) => setTimeout(() => r(7), 20))), 7);
  const once = times.toJSON();
  assert.deepEqual(Object.keys(once), ["tokenize", "forward"]);
  assert.ok(once.tokenize >= 15 && once.tokenize < 5000, `tokenize ${once.tokenize} ms`);
  assert.ok(once.forward >= 15 && once.forward < 5000, `forward ${once.forward} ms`);
  times.measure("tokenize", () => busyWait(20));
  const twice = times.toJSON();
  assert.ok(twice.tokenize >= once.tokenize + 15, `tokenize ${once.tokenize} then ${twice.tokenize}`);
  assert.equal(twice.forward, once.forward);

  // time is counted when the work fails too, and the failure goes through
  assert.throws(() => times.measure("fails", () => (busyWait(20), assert.fail("boom"))), /boom/);
  await assert.rejects(
    times.measureAsync("rejects", async () => {
      await new Promise((r) => setTimeout(r, 20));
      throw new Error("later boom");
    }),
    /later boom/,
  );
  const after = times.toJSON();
  assert.ok(after.fails >= 15, `fails ${after.fails} ms`);
  assert.ok(after.rejects >= 15, `rejects ${after.rejects} ms`);
});

Deno.test("StageTimes: toJSON rounds to 0.1 ms, shares() lists stages by time, most first", () => {
  const times = new StageTimes();
  times.add("tokenize", 500);
  times.add("forward", 3000);
  times.add("sae encode", 1200);
  times.add("tokenize", 1000);
  times.add("write", 0.04);
  assert.deepEqual(times.toJSON(), { tokenize: 1500, forward: 3000, "sae encode": 1200, write: 0 });
  assert.equal(
    times.shares(5000),
    "forward 3.0 s (60%) · tokenize 1.5 s (30%) · sae encode 1.2 s (24%) · write 0.0 s (0%)",
  );
  const rounding = new StageTimes();
  rounding.add("a", 1.26);
  rounding.add("b", 2.04);
  assert.deepEqual(rounding.toJSON(), { a: 1.3, b: 2 });
  assert.equal(new StageTimes().shares(1000), "");
});

const BASE = ["--model", "x", "--layers", "1", "--dataset", "y"];

Deno.test("extract flags: defaults", async () => {
  const { options, configHash } = await parseTask(extractTask, BASE);
  assert.deepEqual(options.pool, [{ strategy: "sum", mosaicCompat: false, includeBos: false }]);
  assert.deepEqual(options.binarize, [{ rule: "gt", threshold: 1 }]);
  assert.deepEqual(options.hidden, ["last", "mean"]);
  assert.deepEqual(options.sae, []);
  assert.deepEqual(options.layers, [1]);
  assert.equal(options.site, "resid_post");
  assert.equal(options.tfidf, true);
  assert.equal(options.values, true);
  assert.equal(options.text, true);
  assert.equal(options.seed, 42);
  assert.equal(options.train, 0.8);
  assert.equal(options.validation, 0);
  assert.equal(options.test, 0.2);
  assert.equal(options.maxTokens, 128);
  assert.equal(options.batchSize, 16);
  assert.equal(options.model, "x");
  assert.equal(options.dataset, "y");
  assert.match(configHash, /^[0-9a-f]+$/);
});

Deno.test("extract flags: none switches lists off, several values make a list, flags parse their values", async () => {
  const parse = async (...flags: string[]) => (await parseTask(extractTask, [...BASE, ...flags])).options;
  assert.deepEqual((await parse("--binarize", "none")).binarize, []);
  assert.deepEqual((await parse("--hidden", "none")).hidden, []);
  assert.deepEqual((await parse("--hidden", "mean")).hidden, ["mean"]);
  assert.deepEqual((await parse("--binarize", "gt:1", "presence")).binarize, [
    { rule: "gt", threshold: 1 },
    { rule: "presence" },
  ]);
  assert.deepEqual((await parse("--binarize", "ge:0.5")).binarize, [{ rule: "ge", threshold: 0.5 }]);
  assert.deepEqual((await parse("--pool", "topn-count:5@mosaic-compat", "last-k:8@bos")).pool, [
    { strategy: "topn-count", n: 5, mosaicCompat: true, includeBos: true },
    { strategy: "last-k", k: 8, mosaicCompat: false, includeBos: true },
  ]);
  assert.deepEqual((await parse("--sae", "random:512:k=8", "3=some/path")).sae, [
    { kind: "random", width: 512, k: 8, seed: 0 },
    { kind: "file", layer: 3, path: "some/path" },
  ]);
  assert.deepEqual(
    (await parseTask(extractTask, ["--model", "x", "--layers", "0", "2", "--dataset", "y"])).options
      .layers,
    [0, 2],
  );
  const off = await parse("--no-tfidf", "--no-values", "--no-text");
  assert.equal(off.tfidf, false);
  assert.equal(off.values, false);
  assert.equal(off.text, false);
  assert.equal((await parse("--seed", "7")).seed, 7);
  assert.equal((await parse("--max-tokens", "64")).maxTokens, 64);
});

Deno.test("extract flags: per-feature binarization and bad values are refused", async () => {
  await assert.rejects(
    parseTask(extractTask, [...BASE, "--binarize", "per-feature"]),
    (e) => e instanceof ConfigError && /--binarize per-feature: .*fitQuantileThresholds/.test(e.message),
  );
  await assert.rejects(
    parseTask(extractTask, [...BASE, "--binarize", "gt:1", "per-feature:0.9"]),
    (e) => e instanceof ConfigError && /fitQuantileThresholds/.test(e.message),
  );
  await assert.rejects(parseTask(extractTask, [...BASE, "--pool", "sum:3"]), ConfigError);
  await assert.rejects(parseTask(extractTask, [...BASE, "--sae", "random:0"]), ConfigError);
  await assert.rejects(parseTask(extractTask, [...BASE, "--seed", "-1"]), /--seed -1: expected an integer ≥ 0/);
  await assert.rejects(parseTask(extractTask, [...BASE, "--train", "2"]), /--train 2: expected a number in \[0, 1\]/);
});

Deno.test("extract flags: the config hash ignores --batch-size and --out, not --seed", async () => {
  const hash = async (...flags: string[]) => (await parseTask(extractTask, [...BASE, ...flags])).configHash;
  const base = await hash();
  assert.equal(await hash("--batch-size", "4"), base);
  assert.equal(await hash("--out", "elsewhere"), base);
  assert.equal(await hash("--progress", "quiet", "--threads", "2"), base);
  assert.equal(await hash("--seed", "42"), base, "the default seed given explicitly");
  assert.notEqual(await hash("--seed", "1"), base);
  assert.notEqual(await hash("--max-tokens", "64"), base);
  assert.notEqual(await hash("--binarize", "none"), base);
});
