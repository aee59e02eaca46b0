/** The README's main command, offline, on the embedded default: the whole chain, a table, and the report. */
import assert from "node:assert/strict";
import { openShardSet } from "@saeflow/io";
import type { ProbeRun } from "../../pipelines/probe.ts";
import { tempDir } from "../helpers.ts";

Deno.test("deno task demo: sentences → model → SAE → probes vs baselines, a CI table, transfer and the HTML report", async () => {
  await using dir = await tempDir();
  const demo = new URL("../../pipelines/demo.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo, "--out", dir.path, "--progress", "quiet"],
    env: { HF_HUB_OFFLINE: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  // It says what it used.
  assert.match(out, /brown-d128, the project's own Llama \(4 layers, d_model 128/);
  assert.match(out, /TopK, 2,048 features, k = 32, at layers 1 and 3/);
  assert.match(out, /skipped 3 bad records: 3 missing text/);
  assert.match(out, /macro-F1 \[95% CI\]/);
  assert.match(out, /top features of the best SAE probe/);
  assert.match(out, /^ {4}#\d+ +-?\d\.\d{3} {2}".+"/m, "each top feature with its strongest tokens");
  assert.match(out, /transfer .*: in-domain 0\.\d+, across domains 0\.\d+ \(gap -?0\.\d+\)/);

  const extract = `${dir.path}/extract`;
  const text = await openShardSet(`${extract}/text`);
  assert.deepEqual(text.manifest.classCounts, {
    train: { negative: 1200, positive: 1200 },
    test: { negative: 300, positive: 300 },
  });
  const run: ProbeRun = JSON.parse(await Deno.readTextFile(`${extract}/probe/results.json`));
  // 9 feature sets (4 hidden, TF-IDF, 2 layers x values / presence) x (logistic, tree)
  assert.equal(run.results.length, 18);
  for (const r of run.results) {
    assert.ok(r.macroF1.lo <= r.macroF1.value && r.macroF1.value <= r.macroF1.hi, `${r.featureSet} ${r.probe} CI`);
    assert.equal(r.nTrain + r.nTest, 3000);
    assert.ok(r.macroF1.value > 0.4, `${r.featureSet} ${r.probe}: ${r.macroF1.value}`);
  }
  const tfidf = run.results.find((r) => r.featureSet === "tfidf" && r.probe === "logistic")!;
  assert.ok(tfidf.macroF1.value > 0.7, `TF-IDF on review sentiment: ${tfidf.macroF1.value}`);
  // The bar: SAE features of the project's own model and SAEs reach macro-F1 0.70 on the held-out split.
  const sae = run.results.filter((r) => r.featureKind.startsWith("sae") && r.probe === "logistic");
  const bestSae = Math.max(...sae.map((r) => r.macroF1.value));
  assert.ok(bestSae >= 0.7, `best SAE probe macro-F1 ${bestSae}`);
  // The best SAE probe's 10 top features per class, each with its strongest activations in the data.
  const best = sae.find((r) => r.macroF1.value === bestSae)!;
  assert.deepEqual(best.topFeatures!.map((c) => c.features.length), [10, 10]);
  for (const { features } of best.topFeatures!) {
    for (const { feature } of features) {
      const examples = run.featureExamples![feature];
      assert.ok(examples.length > 0 && examples.length <= 10, `feature ${feature}: ${examples.length} examples`);
      assert.ok(examples.every((e) => e.context[e.at] !== undefined && e.value > 0));
    }
  }
  assert.deepEqual(run.transfer[0].result.domains, ["amazon", "imdb", "yelp"]);

  const report = await Deno.readTextFile(`${extract}/probe/report.html`);
  assert.ok((report.match(/<svg/g) ?? []).length >= 4, "layer curves, binarized vs continuous, transfer heatmaps");
  for (const section of ["What was run", "Macro-F1 per layer", "Binarized vs continuous", "Transfer", "Top features"]) {
    assert.ok(report.includes(section), section);
  }
  assert.ok(report.includes("strongest activations in the data") && report.includes("<b>"), "feature contexts");
  assert.ok(!report.includes("NaN"));
});
