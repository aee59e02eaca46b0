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
  assert.match(out, /UNTRAINED Llama \(4 layers, d_model 64/);
  assert.match(out, /random:1024:k=16 at layers 1 and 3/);
  assert.match(out, /skipped 3 bad records: 3 missing text/);
  assert.match(out, /macro-F1 \[95% CI\]/);
  assert.match(out, /top features of the best SAE probe/);
  assert.match(out, /transfer .*: in-domain 0\.\d+, across domains 0\.\d+ \(gap -?0\.\d+\)/);

  const extract = `${dir.path}/extract`;
  const text = await openShardSet(`${extract}/text`);
  assert.deepEqual(text.manifest.classCounts, {
    train: { negative: 1200, positive: 1200 },
    test: { negative: 300, positive: 300 },
  });
  const run: ProbeRun = JSON.parse(await Deno.readTextFile(`${extract}/probe/results.json`));
  // 9 feature sets (4 hidden, TF-IDF, 2 layers x values / gt-1) x (logistic, tree)
  assert.equal(run.results.length, 18);
  for (const r of run.results) {
    assert.ok(r.macroF1.lo <= r.macroF1.value && r.macroF1.value <= r.macroF1.hi, `${r.featureSet} ${r.probe} CI`);
    assert.equal(r.nTrain + r.nTest, 3000);
    assert.ok(r.macroF1.value > 0.4, `${r.featureSet} ${r.probe}: ${r.macroF1.value}`);
  }
  const tfidf = run.results.find((r) => r.featureSet === "tfidf" && r.probe === "logistic")!;
  assert.ok(tfidf.macroF1.value > 0.7, `TF-IDF on review sentiment: ${tfidf.macroF1.value}`);
  assert.deepEqual(run.transfer[0].result.domains, ["amazon", "imdb", "yelp"]);

  const report = await Deno.readTextFile(`${extract}/probe/report.html`);
  assert.ok((report.match(/<svg/g) ?? []).length >= 4, "layer curves, binarized vs continuous, transfer heatmaps");
  for (const section of ["What was run", "Macro-F1 per layer", "Binarized vs continuous", "Transfer", "Top features"]) {
    assert.ok(report.includes(section), section);
  }
  assert.ok(!report.includes("NaN"));
});
