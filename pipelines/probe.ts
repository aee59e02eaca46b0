/**
 * `deno task probe`: the probes on every feature set of a finished extract run — class-balanced logistic regression
 * (C by CV on train), decision trees (validation-chosen), optionally k-sparse probes — scored on the test split with
 * bootstrap CIs; optionally a transfer matrix across domains (record-id prefixes: amazon / imdb / yelp, or languages).
 * Writes `results.json` (small: metrics, chosen parameters, top features), `metrics.csv` (tidy, one row per feature
 * set × probe × metric) and `report.html`.
 * @module
 */
import * as aq from "arquero";
import { ConfigError, type ProgressMode } from "@saeflow/core";
import { readJsonFile, writeFileAtomic } from "@saeflow/io";
import {
  classificationReport,
  type FeatureSetInfo,
  fitLogistic,
  type LabeledMatrix,
  loadSplitMatrices,
  logisticBase,
  metricRows,
  type ProbeKind,
  type ProbeResult,
  PROBES,
  runProbes,
  selectRows,
  type SplitMatrices,
} from "@saeflow/probe";
import { transferMatrix, type TransferResult } from "@saeflow/transfer";
import type { DecodedExample, TopActivationsJson } from "@saeflow/sae";
import type { ExtractSummary } from "./extract.ts";
import { FEATURE_EXAMPLES_FILE, SUMMARY_FILE, TFIDF_FILE } from "./extract.ts";
import { runTask, type TaskContext, type TaskDefinition } from "./lib/cli.ts";
import { addProgressOption, listOf, nonNegativeInteger, numberIn, oneOf, positiveInteger } from "./lib/parse.ts";
import { bestSaeProbe, familyOf, renderReport, type ReportData } from "./lib/report/render_report.ts";

/** Options of `deno task probe`. */
export interface ProbeTaskOptions {
  in: string;
  features?: string[];
  probes: ProbeKind[];
  seed: number;
  bootstrap: number;
  cs?: number[];
  transferBy?: "id-prefix";
  out?: string;
  progress: ProgressMode;
}

/** `results.json`. */
export interface ProbeRun {
  about: [string, string][];
  results: ProbeResult[];
  transfer: { title: string; featureSet: string; result: TransferResult }[];
  /** The best SAE probe's top features' strongest activations, when extract kept them (`--feature-examples`). */
  featureExamples?: Record<string, DecodedExample[]>;
}

export const RESULTS_FILE = "results.json";
export const REPORT_FILE = "report.html";

/** Runs the probes on an extract run's shards and writes results, tidy metrics and the report. */
export async function probe(options: ProbeTaskOptions, _context?: TaskContext): Promise<ProbeRun> {
  const summary = await readJsonFile<ExtractSummary>(`${options.in}/${SUMMARY_FILE}`, "an extract run's summary");
  if (!summary) throw new ConfigError(`${options.in} has no ${SUMMARY_FILE}: run deno task extract into it first`);
  const featureSets = options.features ?? summary.outputs.filter((o) => o.featureKind !== "text").map((o) => o.path);
  if (featureSets.length === 0) throw new ConfigError(`${options.in}: no feature sets to probe`);
  const vocabulary = (await readJsonFile<{ vocabulary: string[] }>(`${options.in}/${TFIDF_FILE}`, "a TF-IDF model"))
    ?.vocabulary;
  const results: ProbeResult[] = [];
  const transfer: ProbeRun["transfer"] = [];
  for (const path of featureSets) {
    const set = await loadSplitMatrices(`${options.in}/${path}`);
    const info = featureSetInfo(path, set);
    const train = set.splits.get("train"), test = set.splits.get("test");
    if (!train || !test) {
      throw new ConfigError(`${set.dir}: needs a train and a test split; it has ${[...set.splits.keys()].join(", ")}`);
    }
    const started = performance.now();
    const found = runProbes({ train, test, validation: set.splits.get("validation") }, info, {
      probes: options.probes,
      seed: options.seed,
      bootstrap: options.bootstrap,
      cs: options.cs,
      neuronpediaId: set.metadata.neuronpediaId as string | undefined,
      featureName: info.featureKind === "tfidf" && vocabulary ? (f) => vocabulary[f] : undefined,
    });
    results.push(...found);
    const logistic = found.find((r) => r.probe === "logistic");
    if (options.transferBy && logistic) {
      const result = await domainTransfer(train, test, logistic.params.C as number, info.featureKind);
      transfer.push({ title: `Transfer across domains: ${path}`, featureSet: path, result });
    }
    if (options.progress !== "quiet") {
      const line = found.map((r) => `${r.probe} ${r.macroF1.value.toFixed(3)}`).join(", ");
      console.error(`${path}: ${line} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  }
  const featureExamples = await topFeatureExamples(options.in, results);
  const run: ProbeRun = { about: about(summary), results, transfer, ...(featureExamples ? { featureExamples } : {}) };
  const out = options.out ?? `${options.in}/probe`;
  await Deno.mkdir(out, { recursive: true });
  const text = (s: string) => [new TextEncoder().encode(s)];
  await writeFileAtomic(`${out}/${RESULTS_FILE}`, text(JSON.stringify(run, null, 1) + "\n"));
  await writeFileAtomic(`${out}/metrics.csv`, text(aq.from(metricRows(results)).toCSV()));
  await writeFileAtomic(`${out}/${REPORT_FILE}`, text(renderReport(reportData(run))));
  return run;
}

/** The report's input from a probe run: the best transfer matrix per feature family. */
export function reportData(run: ProbeRun, title = "saeflow probe report"): ReportData {
  const bestPerFamily = new Map<string, ProbeRun["transfer"][number]>();
  for (const t of run.transfer) {
    const result = run.results.find((r) => r.featureSet === t.featureSet && r.probe === "logistic")!;
    const family = result.featureKind.startsWith("sae") ? "SAE features" : familyOf(result);
    const current = bestPerFamily.get(family);
    if (!current || t.result.diagonal > current.result.diagonal) bestPerFamily.set(family, t);
  }
  return {
    title,
    about: run.about,
    results: run.results,
    transfer: [...bestPerFamily.values()],
    featureExamples: run.featureExamples,
  };
}

/** The strongest activations extract kept for the best SAE probe's top features, if it kept any. */
async function topFeatureExamples(
  dir: string,
  results: readonly ProbeResult[],
): Promise<Record<string, DecodedExample[]> | undefined> {
  const best = bestSaeProbe(results);
  if (!best?.sae) return undefined;
  const kept = await readJsonFile<TopActivationsJson>(
    `${dir}/sae/${best.sae}/${FEATURE_EXAMPLES_FILE}`,
    "the feature examples of deno task extract",
  );
  if (!kept) return undefined;
  const wanted = new Set(best.topFeatures!.flatMap(({ features }) => features.map((f) => String(f.feature))));
  return Object.fromEntries(Object.entries(kept.features).filter(([feature]) => wanted.has(feature)));
}

function featureSetInfo(path: string, set: SplitMatrices): FeatureSetInfo {
  const m = set.metadata;
  const hook = m.hook as string | undefined;
  const layer = hook ? Number(/^blocks\.(\d+)\./.exec(hook)?.[1]) : undefined;
  return {
    featureSet: path,
    featureKind: String(m.featureKind),
    ...(hook ? { hook, layer } : {}),
    ...(m.sae ? { sae: path.split("/")[1] } : {}),
    ...(m.pooling ? { pooling: String(m.pooling) } : {}),
    ...(m.threshold !== undefined ? { threshold: String(m.threshold) } : {}),
    width: set.splits.values().next().value!.X.cols,
  };
}

/**
 * Train on each domain's training rows, test on every domain's test rows (domain = the record id up to its first
 * `:`), with the C the in-domain probe chose.
 */
async function domainTransfer(
  train: LabeledMatrix,
  test: LabeledMatrix,
  C: number,
  featureKind: string,
): Promise<TransferResult> {
  const byDomain = (m: LabeledMatrix) => {
    const rows = new Map<string, number[]>();
    m.ids.forEach((id, i) => {
      const domain = id.includes(":") ? id.slice(0, id.indexOf(":")) : "";
      let list = rows.get(domain);
      if (!list) rows.set(domain, list = []);
      list.push(i);
    });
    return new Map([...rows].map(([d, r]) => [d, subset(m, Int32Array.from(r))]));
  };
  const trainBy = byDomain(train), testBy = byDomain(test);
  const names = [...trainBy.keys()].filter((d) => testBy.has(d)).sort();
  if (names.length < 2) throw new ConfigError(`transfer by id prefix needs two domains; found ${names.join(", ")}`);
  const K = train.classes.length;
  return await transferMatrix(names.map((name) => ({ name, train: trainBy.get(name)!, test: testBy.get(name)! })), {
    fit: (d) => fitLogistic(d.X, d.y, K, { ...logisticBase(d.X, featureKind), C, maxIter: 300 }),
    score: (model, d) => classificationReport(d.y, model.predict(d.X), K).macroF1,
  });
}

function subset(m: LabeledMatrix, rows: Int32Array): LabeledMatrix {
  return {
    X: selectRows(m.X, rows),
    y: rows.map((r) => m.y[r]),
    classes: m.classes,
    ids: Array.from(rows, (r) => m.ids[r]),
  };
}

function about(s: ExtractSummary): [string, string][] {
  const note = (s.model as { note?: string }).note;
  return [
    [
      "model",
      `${s.model.id} (${s.model.format}, ${s.model.numLayers} layers, d_model ${s.model.dModel})${
        note ? `: ${note}` : ""
      }`,
    ],
    ["tokenizer", s.model.tokenizer],
    [
      "SAEs",
      s.saes.map((sae) => `${sae.id} (${sae.source}, ${sae.dSae} wide, L0 ${sae.stats?.meanL0.toFixed(1) ?? "?"})`)
        .join("; "),
    ],
    ["dataset", `${s.dataset.name}: ${s.dataset.records} records, classes ${(s.dataset.labelNames ?? []).join(", ")}`],
    [
      "split",
      `stratified ${JSON.stringify(s.split.fractions)}, seed ${s.split.seed}; ${JSON.stringify(s.dataset.classCounts)}`,
    ],
    ["pooling", s.pools.join(", ")],
    ["config", s.configHash],
  ];
}

const DEFAULT_PROBES: ProbeKind[] = ["logistic", "tree"];

export const probeTask: TaskDefinition<ProbeTaskOptions> = {
  name: "probe",
  summary: "Probe every feature set of an extract run (logistic, tree, k-sparse), with bootstrap CIs and a report",
  options: (command) =>
    addProgressOption(
      command
        .requiredOption("--in <dir>", "a finished deno task extract output directory")
        .option("--features <paths...>", "feature sets under --in (default: all but text)")
        .option(
          "--probes <kinds...>",
          PROBES.join(", "),
          listOf(oneOf("--probes", PROBES), DEFAULT_PROBES),
          DEFAULT_PROBES,
        )
        .option("--seed <n>", "seed of CV folds, validation carve-out and bootstrap", nonNegativeInteger("--seed"), 42)
        .option("--bootstrap <n>", "bootstrap resamples for the 95% CIs", positiveInteger("--bootstrap"), 1000)
        .option(
          "--cs <values...>",
          "logistic C grid (default 0.001 0.01 0.1 1)",
          listOf(numberIn("--cs", 1e-9, 1e9), []),
        )
        .option(
          "--transfer-by <what>",
          "transfer matrix across domains: id-prefix",
          oneOf("--transfer-by", ["id-prefix"]),
        )
        .option("--out <dir>", "where results go (default <in>/probe)"),
    ),
  presentational: ["out", "progress"],
  async run(options, context) {
    const run = await probe(options, context);
    printTable(run.results);
    console.log(`\nresults, metrics.csv and report.html in ${options.out ?? `${options.in}/probe`}`);
  },
};

/** The headline table: macro-F1 with its CI per feature set and probe, best first. */
export function printTable(results: readonly ProbeResult[]): void {
  const f = (m: { value: number; lo: number; hi: number } | undefined) =>
    m ? `${m.value.toFixed(3)} [${m.lo.toFixed(3)}, ${m.hi.toFixed(3)}]` : "–";
  aq.from(results.map((r) => ({
    "feature set": r.featureSet,
    probe: r.probe,
    "macro-F1 [95% CI]": f(r.macroF1),
    accuracy: r.accuracy.value.toFixed(3),
    "ROC-AUC": r.rocAuc ? r.rocAuc.value.toFixed(3) : "–",
  }))).orderby(aq.desc("macro-F1 [95% CI]")).print(results.length); // a number: arquero ignores an options object's limit
}

if (import.meta.main) await runTask(probeTask);
