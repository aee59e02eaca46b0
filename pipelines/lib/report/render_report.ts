/**
 * The HTML report of a probe run: what was run (model, SAEs, dataset, split), the headline table (macro-F1 with
 * bootstrap CIs per feature set and probe), per-layer curves, binarized vs continuous SAE features, transfer
 * heatmaps and the top features per class. One self-contained file: inline SVG, no scripts, no network.
 * @module
 */
import type { MetricWithCI, ProbeResult } from "@saeflow/probe";
import type { DecodedExample } from "@saeflow/sae";
import type { TransferResult } from "@saeflow/transfer";
import { escapeXml, groupedBars, heatmap, lineChart, type Series } from "./svg_charts.ts";

/** Everything the report shows. */
export interface ReportData {
  title: string;
  /** What was run, as label → value lines (model, SAEs, dataset, split, config hash …). */
  about: [string, string][];
  results: ProbeResult[];
  transfer?: { title: string; result: TransferResult }[];
  /** The strongest activating tokens of the best SAE probe's top features (feature id → examples). */
  featureExamples?: Record<string, DecodedExample[]>;
}

/** Contexts shown per feature in the report. */
const EXAMPLES_SHOWN = 4;

const ci = (m: MetricWithCI | undefined) =>
  m ? `${m.value.toFixed(3)} <small>[${m.lo.toFixed(3)}, ${m.hi.toFixed(3)}]</small>` : "–";

/** A feature set's family across layers: the same SAE / pooling / rule, or the same baseline. */
export function familyOf(r: ProbeResult): string {
  if (r.featureKind.startsWith("hidden")) return `hidden state (${r.featureKind.slice("hidden-".length)})`;
  if (r.featureKind === "tfidf") return "TF-IDF";
  const sae = (r.sae ?? "sae").replace(/^l\d+\./, "");
  return `${sae} ${r.pooling ?? ""} ${r.featureKind === "sae-binary" ? r.threshold : "values"}`;
}

/** The report as one HTML document. */
export function renderReport(data: ReportData): string {
  const logistic = data.results.filter((r) => r.probe === "logistic");
  const sections = [
    section("What was run", table(["", ""], data.about.map(([k, v]) => [escapeXml(k), escapeXml(v)]))),
    section("Results", resultsTable(data.results)),
    section("Macro-F1 per layer (logistic probes)", layerCurves(logistic)),
    section("Binarized vs continuous SAE features (logistic probes)", binarizedVsContinuous(logistic)),
    ...(data.transfer ?? []).map(({ title, result }) =>
      section(
        title,
        heatmap(title, result.domains, result.domains, result.scores) +
          `<p>In-domain (diagonal) mean ${result.diagonal.toFixed(3)}, transfer (off-diagonal) mean ${
            result.offDiagonal.toFixed(3)
          }: gap ${result.gap.toFixed(3)}.</p>`,
      )
    ),
    section("Top features per class", topFeatures(logistic, data.featureExamples)),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(data.title)}</title>` +
    `<style>body{font:14px system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}` +
    `table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}` +
    `small{color:#777}h2{margin-top:1.6em}</style></head><body><h1>${escapeXml(data.title)}</h1>` +
    `${sections.join("")}</body></html>\n`;
}

function section(title: string, body: string): string {
  return `<h2>${escapeXml(title)}</h2>${body}`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function resultsTable(results: ProbeResult[]): string {
  const sorted = [...results].sort((a, b) => b.macroF1.value - a.macroF1.value);
  return table(
    ["feature set", "probe", "macro-F1 [95% CI]", "accuracy", "ROC-AUC", "chosen", "train / test"],
    sorted.map((r) => [
      escapeXml(r.featureSet),
      escapeXml(r.probe),
      ci(r.macroF1),
      ci(r.accuracy),
      ci(r.rocAuc),
      escapeXml(
        Object.entries(r.params).map(([k, v]) => `${k} ${typeof v === "number" ? v : JSON.stringify(v)}`).join(", "),
      ),
      `${r.nTrain} / ${r.nTest}`,
    ]),
  );
}

function layerCurves(results: ProbeResult[]): string {
  const families = new Map<string, Series>();
  const layers = [...new Set(results.map((r) => r.layer).filter((l): l is number => l !== undefined))];
  for (const r of results) {
    const name = familyOf(r);
    let series = families.get(name);
    if (!series) families.set(name, series = { name, points: [] });
    // Layer-free baselines (TF-IDF) are drawn flat across the layers.
    for (const x of r.layer === undefined ? layers : [r.layer]) {
      series.points.push({ x, y: r.macroF1.value, lo: r.macroF1.lo, hi: r.macroF1.hi });
    }
  }
  if (layers.length === 0) return "<p>No layered features.</p>";
  return lineChart("Test macro-F1 by layer", "layer", "macro-F1", [...families.values()]);
}

function binarizedVsContinuous(results: ProbeResult[]): string {
  const groups = new Map<string, { name: string; bars: { name: string; value: number }[] }>();
  for (const r of results) {
    if (!r.featureKind.startsWith("sae")) continue;
    const name = `${r.sae} ${r.pooling}`;
    let group = groups.get(name);
    if (!group) groups.set(name, group = { name, bars: [] });
    group.bars.push({
      name: r.featureKind === "sae" ? "continuous" : `binarized ${r.threshold}`,
      value: r.macroF1.value,
    });
  }
  return groups.size ? groupedBars("Test macro-F1", "macro-F1", [...groups.values()]) : "<p>No SAE features.</p>";
}

/** The SAE logistic probe with the best test macro-F1: the one whose features the report and the demo explain. */
export function bestSaeProbe(results: readonly ProbeResult[]): ProbeResult | undefined {
  return results.filter((r) => r.probe === "logistic" && r.featureKind.startsWith("sae") && r.topFeatures)
    .sort((a, b) => b.macroF1.value - a.macroF1.value)[0];
}

/** One activation in its context, the activating token in bold. */
export function contextHtml({ context, at, value, cut }: DecodedExample): string {
  const text = (tokens: string[]) => escapeXml(tokens.join(""));
  return `${cut.before ? "…" : ""}${text(context.slice(0, at))}<b>${text([context[at]])}</b>` +
    `${text(context.slice(at + 1))}${cut.after ? "…" : ""} <small>${value.toFixed(2)}</small>`;
}

function topFeatures(results: ProbeResult[], examples: ReportData["featureExamples"]): string {
  const best = bestSaeProbe(results);
  if (!best) return "<p>No SAE probe.</p>";
  const perClass = best.topFeatures!.map(({ class: name, features }) =>
    `<h3>${escapeXml(name)}</h3>` + table(
      ["feature", "weight", "strongest activations in the data", "Neuronpedia"],
      features.map((f) => [
        String(f.feature),
        f.weight.toFixed(4),
        examples?.[f.feature]?.slice(0, EXAMPLES_SHOWN).map(contextHtml).join("<br>") ?? "–",
        f.neuronpedia
          ? `<a href="https://www.neuronpedia.org/${escapeXml(f.neuronpedia)}">${escapeXml(f.neuronpedia)}</a>`
          : "–",
      ]),
    )
  ).join("");
  return `<p>From the best SAE probe: ${escapeXml(best.featureSet)} (${escapeXml(best.probe)}, macro-F1 ${
    best.macroF1.value.toFixed(3)
  }). Positive weights push towards the class.${
    examples ? " Each feature's strongest activations over the whole dataset, activating token in bold." : ""
  }</p>${perClass}`;
}
