/**
 * `deno task probe` end to end: a small untrained model (seeded weights, byte tokenizer) on review sentences from
 * three domains (Amazon, IMDB, Yelp; the UCI "Sentiment Labelled Sentences" in the shared data, 100 per domain, ids
 * `<domain>:<n>`), extracted
 * in-process, then probed: results.json, metrics.csv (one row per feature set × probe × metric, equal to
 * results.json), report.html, the 3-domain transfer matrix, determinism, `deno task report` as a subprocess, and
 * the refusals (no extract run, one training class, a shard from another configuration).
 */
import assert from "node:assert/strict";
import * as aq from "arquero";
import { ConfigError, DataError } from "@saeflow/core";
import { extract, extractTask } from "../../pipelines/extract.ts";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { writeUntrainedModel } from "./untrained_model.ts";
import { probe, type ProbeRun, REPORT_FILE, RESULTS_FILE } from "../../pipelines/probe.ts";
import { sharedData, tempDir } from "../helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOMAINS = ["amazon", "imdb", "yelp"];
const PER_DOMAIN = 100;

async function runExtract(argv: string[]) {
  const { options, configHash } = await parseTask(extractTask, argv);
  return await extract(options, { configHash, signal: new AbortController().signal });
}

/** The first PER_DOMAIN sentences of each domain as JSONL, ids `<domain>:<n>`, labels by name. */
async function writeReviews(path: string): Promise<void> {
  const lines: string[] = [];
  for (const domain of DOMAINS) {
    const rows = JSON.parse(await Deno.readTextFile(sharedData(`uci-sentiment-labelled-sentences/${domain}.json`))) as {
      text: string;
      class: number | null;
    }[];
    rows.slice(0, PER_DOMAIN).forEach((row, i) => {
      assert.ok(row.class === 0 || row.class === 1);
      const label = row.class === 1 ? "positive" : "negative";
      lines.push(JSON.stringify({ id: `${domain}:${i}`, text: row.text, label }));
    });
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

/** A copy of a JSON value without its `seconds` fields (timings differ between runs). */
function withoutSeconds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSeconds);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([k]) => k !== "seconds").map(([k, v]) => [k, withoutSeconds(v)]),
    );
  }
  return value;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("deno task probe: results, tidy metrics, report and a 3-domain transfer matrix from an extract run", async (t) => {
  await using work = await tempDir();
  const model = await writeUntrainedModel(`${work.path}/model`);
  await writeReviews(`${work.path}/reviews.jsonl`);
  const dir = `${work.path}/extract`;
  const { summary } = await runExtract([
    ...["--model", model, "--layers", "1", "--sae", "random:128", "--pool", "mean", "--binarize", "gt:1"],
    ...["--hidden", "last", "--dataset", `${work.path}/reviews.jsonl`, "--id-field", "id"],
    ...["--text-field", "text", "--label-field", "label", "--shard-size", "100", "--progress", "quiet", "--out", dir],
  ]);
  const featureSets = summary.outputs.filter((o) => o.featureKind !== "text").map((o) => o.path);
  assert.deepEqual(featureSets, [
    "hidden/l1/last",
    "tfidf",
    "sae/l1.random-128-k32-s0/mean.no-bos/values",
    "sae/l1.random-128-k32-s0/mean.no-bos/gt-1",
  ]);

  const options = {
    in: dir,
    probes: ["logistic", "tree"] as ("logistic" | "tree")[],
    seed: 42,
    bootstrap: 50,
    transferBy: "id-prefix" as const,
    progress: "quiet" as const,
  };
  const run = await probe(options);
  const out = `${dir}/probe`;
  const saved = JSON.parse(await Deno.readTextFile(`${out}/${RESULTS_FILE}`)) as ProbeRun;

  await t.step("results.json: every feature set × probe, as returned", () => {
    assert.deepEqual(saved, JSON.parse(JSON.stringify(run)));
    assert.deepEqual(
      saved.results.map((r) => `${r.featureSet} ${r.probe}`),
      featureSets.flatMap((f) => [`${f} logistic`, `${f} tree`]),
    );
    const test = summary.dataset.classCounts.test;
    for (const r of saved.results) {
      assert.deepEqual(r.classes, ["negative", "positive"]);
      assert.equal(r.nTrain + r.nTest, DOMAINS.length * PER_DOMAIN);
      assert.equal(r.nTest, test.negative + test.positive);
      assert.deepEqual(r.perClass.map((c) => c.support), [test.negative, test.positive]);
      for (const m of [r.macroF1, r.accuracy, r.rocAuc!]) {
        assert.ok(m.value >= 0 && m.value <= 1 && m.lo <= m.value && m.value <= m.hi, `${r.featureSet} ${r.probe}`);
      }
    }
    assert.ok(saved.about.some(([k, v]) => k === "config" && v === summary.configHash));
    // TF-IDF top features are named by their terms.
    const tfidf = saved.results.find((r) => r.featureSet === "tfidf" && r.probe === "logistic")!;
    assert.ok(tfidf.topFeatures![0].features.every((f) => typeof f.name === "string" && f.name.length > 0));
  });

  await t.step("metrics.csv: one row per feature set × probe × metric, the values of results.json", async () => {
    const table = aq.fromCSV(await Deno.readTextFile(`${out}/metrics.csv`));
    assert.deepEqual(table.columnNames(), [
      ...["featureSet", "featureKind", "layer", "pooling", "threshold", "probe", "metric", "value", "lo", "hi"],
    ]);
    const rows = table.objects() as Record<string, string | number | null>[];
    const expected = saved.results.flatMap((r) =>
      (["macroF1", "accuracy", "rocAuc"] as const).map((metric) => ({ r, metric, m: r[metric]! }))
    );
    assert.equal(rows.length, expected.length);
    assert.equal(rows.length, featureSets.length * 2 * 3);
    rows.forEach((row, i) => {
      const { r, metric, m } = expected[i];
      assert.equal(row.featureSet, r.featureSet);
      assert.equal(row.featureKind, r.featureKind);
      assert.equal(row.probe, r.probe);
      assert.equal(row.metric, metric);
      assert.equal(row.layer ?? null, r.layer ?? null);
      for (const k of ["value", "lo", "hi"] as const) assert.equal(row[k], m[k], `${r.featureSet} ${metric} ${k}`);
    });
  });

  await t.step("the transfer matrix crosses amazon, imdb and yelp for every feature set", () => {
    assert.deepEqual(saved.transfer.map((x) => x.featureSet), featureSets);
    for (const { title, featureSet, result } of saved.transfer) {
      assert.equal(title, `Transfer across domains: ${featureSet}`);
      assert.deepEqual(result.domains, DOMAINS);
      assert.equal(result.scores.length, 3);
      assert.ok(result.scores.every((row) => row.length === 3 && row.every((s) => s >= 0 && s <= 1)));
      const diagonal = mean([0, 1, 2].map((i) => result.scores[i][i]));
      const off = mean([0, 1, 2].flatMap((i) => [0, 1, 2].filter((j) => j !== i).map((j) => result.scores[i][j])));
      assert.ok(Math.abs(result.diagonal - diagonal) < 1e-12);
      assert.ok(Math.abs(result.offDiagonal - off) < 1e-12);
      assert.ok(Math.abs(result.gap - (diagonal - off)) < 1e-12);
    }
  });

  await t.step("report.html: charts, every feature set, the transfer heatmaps, no NaN", async () => {
    const html = await Deno.readTextFile(`${out}/${REPORT_FILE}`);
    assert.ok(html.startsWith("<!doctype html>"));
    assert.ok(html.includes("<svg"));
    for (const f of featureSets) assert.ok(html.includes(f), f);
    assert.ok(html.includes("Transfer"));
    // The best transfer matrix per family: hidden state, TF-IDF, SAE features.
    assert.equal(html.match(/<h2>Transfer across domains: /g)?.length, 3);
    for (const domain of DOMAINS) assert.ok(html.includes(`>${domain}</text>`), domain);
    assert.ok(!html.includes("NaN"));
    assert.ok(!html.includes("<script"));
  });

  await t.step("the same run probed again gives the same results.json, but for the timings", async () => {
    const again = await probe({ ...options, out: `${work.path}/again` });
    const text = JSON.parse(await Deno.readTextFile(`${work.path}/again/${RESULTS_FILE}`));
    assert.deepEqual(withoutSeconds(text), withoutSeconds(saved));
    assert.deepEqual(withoutSeconds(JSON.parse(JSON.stringify(again))), withoutSeconds(saved));
    assert.equal(
      await Deno.readTextFile(`${work.path}/again/metrics.csv`),
      await Deno.readTextFile(`${out}/metrics.csv`),
    );
  });

  await t.step("deno task report as a subprocess reuses results.json and writes the same report", async () => {
    const before = await Deno.readTextFile(`${out}/${REPORT_FILE}`);
    await Deno.remove(`${out}/${REPORT_FILE}`);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "pipelines/report.ts", "--in", dir, "--progress", "quiet"],
      cwd: ROOT,
      env: { HF_HUB_OFFLINE: "1" },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(new TextDecoder().decode(stdout), new RegExp(`report: ${dir}/probe/report.html`));
    assert.equal(await Deno.readTextFile(`${out}/${REPORT_FILE}`), before);
  });

  await t.step("a shard from another configuration mixed in: DataError naming the file", async () => {
    const other = `${work.path}/other`;
    // Same dataset, another split seed: another configuration, the same shard layout and file names.
    await runExtract([
      ...["--model", model, "--layers", "1", "--hidden", "last", "--binarize", "none", "--no-values", "--no-tfidf"],
      ...["--no-text", "--dataset", `${work.path}/reviews.jsonl`, "--id-field", "id", "--text-field", "text"],
      ...["--label-field", "label", "--seed", "7", "--shard-size", "100", "--progress", "quiet", "--out", other],
    ]);
    const victim = `${dir}/hidden/l1/last/part-00001.parquet`;
    await Deno.copyFile(`${other}/hidden/l1/last/part-00001.parquet`, victim);
    await assert.rejects(probe({ ...options, out: `${work.path}/mixed` }), (error: Error) => {
      assert.ok(error instanceof DataError, `${error}`);
      assert.ok(error.message.includes(victim), error.message);
      assert.match(error.message, /mixed in/);
      return true;
    });
  });
});

Deno.test("deno task probe: a directory that no extract run wrote is a ConfigError", async () => {
  await using empty = await tempDir();
  await assert.rejects(
    probe({ in: empty.path, probes: ["logistic"], seed: 42, bootstrap: 10, progress: "quiet" }),
    (error: Error) => {
      assert.ok(error instanceof ConfigError, `${error}`);
      assert.match(error.message, /_extract\.json/);
      return true;
    },
  );
});

Deno.test("deno task probe: a training split with a single class is a ConfigError saying so", async () => {
  await using work = await tempDir();
  const model = await writeUntrainedModel(`${work.path}/model`);
  // Preset splits: every training record is positive, the test split has both classes.
  const records = Array.from({ length: 30 }, (_, i) => {
    const split = i < 20 ? "train" : "test";
    const label = split === "train" || i % 2 === 0 ? "positive" : "negative";
    return JSON.stringify({ id: `r:${i}`, text: `review number ${i} ${label}`, label, split });
  });
  await Deno.writeTextFile(`${work.path}/one.jsonl`, records.join("\n") + "\n");
  const dir = `${work.path}/extract`;
  await runExtract([
    ...["--model", model, "--layers", "1", "--hidden", "last", "--binarize", "none", "--no-values", "--no-tfidf"],
    ...["--dataset", `${work.path}/one.jsonl`, "--id-field", "id", "--text-field", "text", "--label-field", "label"],
    ...["--split-field", "split", "--progress", "quiet", "--out", dir],
  ]);
  for (const probes of [["logistic"], ["tree"]] as ("logistic" | "tree")[][]) {
    await assert.rejects(
      probe({ in: dir, probes, seed: 42, bootstrap: 10, progress: "quiet" }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError, `${probes}: ${error}`);
        assert.match(error.message, /(only|1) class/, `${probes}: ${error.message}`);
        return true;
      },
    );
  }
});
