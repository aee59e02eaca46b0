/**
 * `deno task demo`: the whole chain on the embedded default, offline. The embedded dataset (the `sentiment`
 * package's Amazon / IMDB / Yelp review sentences, 3 × 1,000) goes through the project's own language model (a
 * 1.6 M-parameter Llama trained on the Brown corpus, `data/lm/brown-d128`) and TopK SAEs trained on its residual
 * stream (`data/saes/brown-d128`); then probes compare SAE features with hidden-state and TF-IDF baselines, the best
 * SAE probe's top features are shown with the tokens that activate them most, a transfer matrix crosses the three
 * review domains, and an HTML report is written.
 * @module
 */
import { type ProgressMode } from "@saeflow/core";
import type { DecodedExample } from "@saeflow/sae";
import { extract, extractTask } from "./extract.ts";
import { printTable, probe, REPORT_FILE, reportData } from "./probe.ts";
import { parseTask, runTask, type TaskDefinition } from "./lib/cli.ts";
import { addProgressOption } from "./lib/parse.ts";
import { bestSaeProbe } from "./lib/report/render_report.ts";

interface DemoOptions {
  out: string;
  progress: ProgressMode;
}

const DATA = new URL("../data/", import.meta.url).pathname;
/** The project's own LM (`deno task train-lm`, see data/lm/brown-d128/README.md). */
const DEMO_MODEL = `${DATA}lm/brown-d128/model`;
/** The SAEs the demo encodes with: TopK, 2,048 wide (16× d_model), k = 32, at layers 1 and 3 of 4. */
const DEMO_SAES = ["L1-topk-2048", "L3-topk-2048"].map((name) => `${DATA}saes/brown-d128/${name}/sae`);
/**
 * Binarization: a feature is on when it fired anywhere in the sentence. MOSAIC's `x > 1` assumes Gemma Scope's
 * activation scale; these SAEs' activations are mostly 0.05–0.3, so that rule would leave two features a sentence.
 */
const DEMO_BINARIZE = "presence";
/** Strongest activating tokens kept per SAE feature, for the top-feature tables. */
const EXAMPLES_PER_FEATURE = 10;

export const demoTask: TaskDefinition<DemoOptions> = {
  name: "demo",
  summary: "Run the embedded default offline: review sentences → model → SAE → probes vs baselines → report",
  options: (command) => addProgressOption(command.option("--out <dir>", "output directory", "out/demo")),
  presentational: ["out", "progress"],
  async run({ out, progress }, context) {
    console.log("saeflow demo — everything below runs offline on this machine\n");
    console.log(
      "dataset: sentiment-fixtures (UCI Sentiment Labelled Sentences via npm `sentiment`: Amazon, IMDB, Yelp)",
    );
    console.log(
      "model:   brown-d128, the project's own Llama (4 layers, d_model 128, 1.6 M parameters, BPE 4,096) trained " +
        "on the Brown corpus by deno task train-lm (data/lm/brown-d128)",
    );
    console.log("SAEs:    TopK, 2,048 features, k = 32, at layers 1 and 3, trained by deno task train-sae on Brown\n");
    const extractDir = `${out}/extract`;
    const parsed = await parseTask(extractTask, [
      ...["--model", DEMO_MODEL, "--dataset", "sentiment-fixtures", "--layers", "1", "3", "--sae", ...DEMO_SAES],
      ...["--pool", "sum", "--binarize", DEMO_BINARIZE, "--feature-examples", String(EXAMPLES_PER_FEATURE)],
      ...["--shard-size", "1000", "--out", extractDir, "--progress", progress],
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
    const best = bestSaeProbe(run.results);
    if (best?.topFeatures) {
      console.log(
        `\ntop features of the best SAE probe (${best.featureSet}, logistic; positive weight = the class), ` +
          "each with the tokens that activate it most in the data:",
      );
      for (const { class: name, features } of best.topFeatures) {
        console.log(`  ${name}:`);
        for (const f of features) {
          const tokens = strongestTokens(run.featureExamples?.[f.feature] ?? []);
          console.log(`    #${String(f.feature).padEnd(5)} ${f.weight.toFixed(3).padStart(7)}  ${tokens}`);
        }
      }
    }
    for (const { title, result } of reportData(run).transfer ?? []) {
      console.log(
        `${title.replace("Transfer across domains: ", "transfer ")}: in-domain ${result.diagonal.toFixed(3)}, ` +
          `across domains ${result.offDiagonal.toFixed(3)} (gap ${result.gap.toFixed(3)})`,
      );
    }
    console.log(`\nreport (with each top feature's contexts): ${extractDir}/probe/${REPORT_FILE}`);
  },
};

/** A feature's distinct strongest tokens, quoted, strongest first. */
function strongestTokens(examples: readonly DecodedExample[], shown = 5): string {
  const tokens = [...new Set(examples.map((e) => JSON.stringify(e.context[e.at])))];
  return tokens.slice(0, shown).join(" · ") || "–";
}

if (import.meta.main) await runTask(demoTask);
