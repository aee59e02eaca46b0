/**
 * `deno task demo`: the whole chain on the embedded default, offline. The embedded dataset (the `sentiment`
 * package's Amazon / IMDB / Yelp review sentences, 3 × 1,000) goes through the project's small deterministic model
 * (an untrained Llama with seeded weights and a byte tokenizer, until the project trains its own language model) and
 * a seeded random SAE; then probes compare SAE features with hidden-state and TF-IDF baselines, a transfer matrix
 * crosses the three review domains, and an HTML report is written.
 * @module
 */
import { type ProgressMode } from "@saeflow/core";
import { extract, extractTask } from "./extract.ts";
import { printTable, probe, REPORT_FILE, reportData } from "./probe.ts";
import { parseTask, runTask, type TaskDefinition } from "./lib/cli.ts";
import { DEMO_MODEL, writeDemoModel } from "./lib/demo_model.ts";
import { addProgressOption } from "./lib/parse.ts";

interface DemoOptions {
  out: string;
  progress: ProgressMode;
}

/** The SAE the demo encodes with at each layer: random, TopK, 16× the model width. */
const DEMO_SAE = "random:1024:k=16";
const DEMO_LAYERS = ["1", "3"];

export const demoTask: TaskDefinition<DemoOptions> = {
  name: "demo",
  summary: "Run the embedded default offline: review sentences → model → SAE → probes vs baselines → report",
  options: (command) => addProgressOption(command.option("--out <dir>", "output directory", "out/demo")),
  presentational: ["out", "progress"],
  async run({ out, progress }, context) {
    const { hidden, layers, seed } = DEMO_MODEL;
    console.log("saeflow demo — everything below runs offline on this machine\n");
    console.log(
      "dataset: sentiment-fixtures (UCI Sentiment Labelled Sentences via npm `sentiment`: Amazon, IMDB, Yelp)",
    );
    console.log(
      `model:   the project's small deterministic model: an UNTRAINED Llama (${layers} layers, d_model ${hidden}, ` +
        `seeded random weights, seed ${seed}) with a byte-level tokenizer; its features are random functions of the ` +
        "text's bytes (a trained model replaces it when the project trains its own)",
    );
    console.log(
      `SAE:     ${DEMO_SAE} at layers ${DEMO_LAYERS.join(" and ")}: a seeded random TopK SAE (k = 16), no training\n`,
    );
    const model = await writeDemoModel(`${out}/model`);
    const extractDir = `${out}/extract`;
    const parsed = await parseTask(extractTask, [
      ...["--model", model, "--dataset", "sentiment-fixtures", "--layers", ...DEMO_LAYERS, "--sae", DEMO_SAE],
      ...["--pool", "sum", "--binarize", "gt:1", "--shard-size", "1000", "--out", extractDir, "--progress", progress],
    ]);
    const { summary, alreadyComplete, shares } = await extract(parsed.options, {
      ...context,
      configHash: parsed.configHash,
    });
    if (summary.dataset.skipped) console.log(summary.dataset.skipped);
    console.log(
      alreadyComplete
        ? `features: reusing the finished shards in ${extractDir} (delete it to extract again)`
        : `features: ${summary.dataset.records} records, ${summary.run.tokens} tokens, ${summary.outputs.length} shard sets in ${
          summary.run.seconds.toFixed(1)
        } s (${shares})`,
    );
    console.log("probes: logistic regression (C by 5-fold CV on train) and decision trees (MOSAIC grid, validation)\n");
    const run = await probe({
      in: extractDir,
      probes: ["logistic", "tree"],
      seed: 42,
      bootstrap: 1000,
      transferBy: "id-prefix",
      progress,
    });
    printTable(run.results);
    const best = run.results.filter((r) => r.featureKind.startsWith("sae") && r.probe === "logistic")
      .sort((a, b) => b.macroF1.value - a.macroF1.value)[0];
    if (best?.topFeatures) {
      console.log(`\ntop features of the best SAE probe (${best.featureSet}, logistic; positive weight = the class):`);
      for (const { class: name, features } of best.topFeatures) {
        console.log(
          `  ${name}: ${features.slice(0, 5).map((f) => `#${f.feature} (${f.weight.toFixed(3)})`).join(", ")}`,
        );
      }
    }
    for (const { title, result } of reportData(run).transfer ?? []) {
      console.log(
        `${title.replace("Transfer across domains: ", "transfer ")}: in-domain ${result.diagonal.toFixed(3)}, ` +
          `across domains ${result.offDiagonal.toFixed(3)} (gap ${result.gap.toFixed(3)})`,
      );
    }
    console.log(`\nreport: ${extractDir}/probe/${REPORT_FILE}`);
  },
};

if (import.meta.main) await runTask(demoTask);
