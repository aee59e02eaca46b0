/**
 * Every dataset format on the real files in ../shared/data, against Python's standard library reading the same
 * bytes (csv, json, gzip): full contents must agree, record by record.
 */
import assert from "node:assert/strict";
import { openImageDataset, openTextDataset, readParquet } from "@saeflow/io";
import { parquetWriteFile } from "hyparquet-writer";
import { python, sharedData, tempDir } from "../helpers.ts";

const PY_CSV = `
import csv, json, sys
path, text, label = sys.argv[1:4]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = [r for r in csv.DictReader(f) if any(v.strip() for v in r.values() if v)]
print(json.dumps([[r[text], r[label]] for r in rows]))
`;

async function textsAndLabels(spec: Parameters<typeof openTextDataset>[0]) {
  const { records } = await openTextDataset(spec);
  return (await Array.fromAsync(records)).map((r) => [r.text, r.label]);
}

for (
  const [file, text, label] of [
    ["jailbreak-classification/jailbreak_dataset_train_balanced.csv", "prompt", "type"],
    ["xstest/xstest_prompts.csv", "prompt", "label"],
    ["multilingual-hatecheck/hatecheck_cases_final_german.csv", "test_case", "label_gold"],
    ["cold-chinese-offensive/dev.csv", "TEXT", "label"],
  ]
) {
  Deno.test(`CSV ${file} matches Python's csv module record for record`, async () => {
    const path = sharedData(file);
    const expected = await python<string[][]>(PY_CSV, path, text, label);
    const got = await textsAndLabels({ sources: [{ path }], fields: { text, label } });
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected);
  });
}

Deno.test("COLD's bare-BOM first header is read as an empty column name, not as garbage", async () => {
  const { rows } = await import("@saeflow/io").then((io) => io.readCsv(sharedData("cold-chinese-offensive/dev.csv")));
  const first = (await rows.getReader().read()).value!;
  assert.deepEqual(Object.keys(first.fields), ["", "split", "topic", "label", "TEXT"]);
  assert.equal(first.line, 2);
});

Deno.test("TSV with header and unquoted fields (SMS spam, quotes inside texts) equals split-on-first-tab", async () => {
  const path = sharedData("sms-spam-collection/SMSSpamCollection.tsv");
  const expected = (await Deno.readTextFile(path)).split("\n").slice(1).filter(Boolean).map((l) => {
    const tab = l.indexOf("\t");
    return [l.slice(tab + 1), l.slice(0, tab)];
  });
  const got = await textsAndLabels({ sources: [{ path }], fields: { text: "SMS", label: "Label" } });
  assert.equal(got.length, 5574);
  assert.deepEqual(got, expected);
  assert.equal(got.filter(([, l]) => l === "spam").length, 747);
});

Deno.test("header-less TSV with column names (GermEval) and a label map", async () => {
  const path = sharedData("germeval2018/germeval2018.training.txt");
  const got = await textsAndLabels({
    sources: [{ path, format: "tsv" }],
    csv: { header: false, columnNames: ["text", "coarse", "fine"] },
    fields: { text: "text", label: "coarse" },
    labels: { OFFENSE: "offensive", OTHER: "other" },
  });
  const expected = (await Deno.readTextFile(path)).split("\n").filter(Boolean).map((l) => l.split("\t"))
    .map(([t, c]) => [t, c === "OFFENSE" ? "offensive" : "other"]);
  assert.equal(got.length, 5009);
  assert.deepEqual(got, expected);
});

Deno.test("SST-2 TSV with a list label map; record ids default to <file stem>:<row>", async () => {
  const { records, labelNames } = await openTextDataset({
    sources: [{ path: sharedData("sst2/sst2_dev.tsv"), split: "validation" }],
    fields: { text: "text", label: "label" },
    labels: ["negative", "positive"],
  });
  const all = await Array.fromAsync(records);
  assert.equal(all.length, 872);
  assert.deepEqual(labelNames, ["negative", "positive"]);
  assert.equal(all.filter((r) => r.label === "negative").length, 428);
  assert.deepEqual({ id: all[0].id, split: all[0].split }, { id: "sst2_dev:0", split: "validation" });
  assert.equal(all[0].text, "it 's a charming and often affecting journey . ");
});

Deno.test("JSON arrays stream element by element (the largest file, harmless_train.json) and match json.load", async () => {
  const path = sharedData("refusal-direction-harmful-harmless/splits/harmless_train.json");
  const expected = await python<string[]>(
    `import json,sys; print(json.dumps([r["instruction"] for r in json.load(open(sys.argv[1]))]))`,
    path,
  );
  const { records } = await openTextDataset({
    sources: [{ path }],
    fields: { text: "instruction" },
    keep: ["category"],
  });
  const all = await Array.fromAsync(records);
  assert.deepEqual(all.map((r) => r.text), expected);
  assert.equal(all[0].label, undefined);
  assert.deepEqual(all[0].meta, { category: null });
});

Deno.test("the sentiment fixtures (JSON arrays) of three domains read as one dataset with per-source meta", async () => {
  const sources = ["amazon", "imdb", "yelp"].map((domain) => ({
    path: sharedData(`uci-sentiment-labelled-sentences/${domain}.json`),
    meta: { domain },
  }));
  const { records, bad } = await openTextDataset({
    sources,
    fields: { text: "text", label: "class" },
    labels: ["negative", "positive"],
    onBad: "skip",
  });
  const all = await Array.fromAsync(records);
  // Each fixture ends with {"text": "", "class": null}: real-data quirks are skipped and counted, not silently kept.
  const expected = await python<number[]>(
    `import json,sys; d=[json.load(open(p)) for p in sys.argv[1:]]; print(json.dumps([sum(len(x) for x in d), sum(1 for x in d for r in x if not r["text"].strip())]))`,
    ...sources.map((s) => s.path),
  );
  assert.deepEqual([all.length, bad.total], [expected[0] - expected[1], expected[1]]);
  assert.deepEqual(bad.toJSON().byKind, { "missing text": 3 });
  assert.deepEqual(new Set(all.map((r) => r.meta!.domain)), new Set(["amazon", "imdb", "yelp"]));
  assert.equal(new Set(all.map((r) => r.id)).size, all.length, "ids unique across files");
});

Deno.test("JSONL (converted from a real dataset by Python) and its gzip read identically", async () => {
  await using dir = await tempDir();
  const path = sharedData("xstest/xstest_prompts.csv");
  const jsonl = `${dir.path}/xstest.jsonl`;
  await python(
    `
import csv, json, gzip, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\\n")
    f.write("\\n")  # a trailing blank line is ignored
with gzip.open(sys.argv[2] + ".gz", "wt", encoding="utf-8") as f:
    for r in rows: f.write(json.dumps(r) + "\\r\\n")
print(len(rows))`,
    path,
    jsonl,
  );
  const expected = await python<string[][]>(PY_CSV, path, "prompt", "type");
  const spec = (p: string) => ({ sources: [{ path: p }], fields: { text: "prompt", label: "type", id: "id" } });
  assert.deepEqual(await textsAndLabels(spec(jsonl)), expected);
  assert.deepEqual(await textsAndLabels(spec(`${jsonl}.gz`)), expected);
});

Deno.test("gzip CSV without a header (sklearn digits): 1,797 rows of 65 columns", async () => {
  const { rows } = await import("@saeflow/io").then((io) =>
    io.readCsv(sharedData("sklearn-digits/digits.csv.gz"), { header: false })
  );
  const all = await Array.fromAsync(rows);
  assert.equal(all.length, 1797);
  assert.equal(Object.keys(all[0].fields).length, 65);
  const expected = await python<string[]>(
    `import gzip,csv,json,sys; print(json.dumps(next(csv.reader(gzip.open(sys.argv[1],"rt")))))`,
    sharedData("sklearn-digits/digits.csv.gz"),
  );
  assert.deepEqual(Object.values(all[0].fields), expected);
});

Deno.test("parallel line files (XLM-T, no trailing newline) with a TweetEval mapping.txt", async () => {
  const base = sharedData("xlm-t-sentiment/english");
  const { records } = await openTextDataset({
    sources: [{ path: `${base}/test_text.txt`, labelsPath: `${base}/test_labels.txt`, split: "test" }],
    fields: { text: "text", label: "label" },
    labels: { file: sharedData("tweeteval/sentiment/mapping.txt") },
  });
  const all = await Array.fromAsync(records);
  const lines = (await Deno.readTextFile(`${base}/test_text.txt`)).split("\n");
  assert.equal(all.length, 870);
  assert.deepEqual(all.map((r) => r.text), lines);
  assert.deepEqual(
    Object.fromEntries(["negative", "neutral", "positive"].map((c) => [c, all.filter((r) => r.label === c).length])),
    { negative: 290, neutral: 290, positive: 290 },
  );
});

Deno.test("TweetEval stance (trailing newline) keeps line alignment", async () => {
  const base = sharedData("tweeteval/stance/abortion");
  const { records } = await openTextDataset({
    sources: [{ path: `${base}/train_text.txt`, labelsPath: `${base}/train_labels.txt` }],
    fields: { text: "text", label: "label" },
    labels: { file: `${base}/mapping.txt` },
  });
  const all = await Array.fromAsync(records);
  const texts = (await Deno.readTextFile(`${base}/train_text.txt`)).replace(/\n$/, "").split("\n");
  const labels = (await Deno.readTextFile(`${base}/train_labels.txt`)).replace(/\n$/, "").split("\n");
  assert.equal(all.length, texts.length);
  const names = Object.fromEntries(
    (await Deno.readTextFile(`${base}/mapping.txt`)).trim().split("\n").map((l) => l.split("\t")),
  );
  assert.deepEqual(all.map((r) => [r.text, r.label]), texts.map((t, i) => [t, names[labels[i].trim()]]));
});

Deno.test("Parquet written by another implementation (hyparquet-writer) with Hugging Face ClassLabel metadata", async () => {
  await using dir = await tempDir();
  const csv = sharedData("jailbreak-classification/jailbreak_dataset_train_balanced.csv");
  const expected = await python<string[][]>(PY_CSV, csv, "prompt", "type");
  const names = ["benign", "jailbreak"];
  const path = `${dir.path}/train.parquet`;
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: "prompt", data: expected.map(([t]) => t), type: "STRING" },
      { name: "type", data: expected.map(([, l]) => BigInt(names.indexOf(l))), type: "INT64" }, // HF stores ClassLabel as int64
      { name: "unused", data: expected.map(() => 1.5), type: "DOUBLE" },
    ],
    rowGroupSize: 200,
    kvMetadata: [{
      key: "huggingface",
      value: JSON.stringify({
        info: { features: { prompt: { dtype: "string", _type: "Value" }, type: { names, _type: "ClassLabel" } } },
      }),
    }],
  });
  const direct = await readParquet(path, { columns: ["prompt"] });
  assert.deepEqual(
    Object.keys((await direct.rows.getReader().read()).value!.fields),
    ["prompt"],
    "only the asked columns",
  );
  assert.deepEqual(direct.classLabels, { type: names });
  const got = await textsAndLabels({ sources: [{ path }], fields: { text: "prompt", label: "type" } });
  assert.deepEqual(got, expected);
});

Deno.test("image folder: CIFAR-10 labels.csv → 500 ImageRecords with the exact file bytes", async () => {
  const index = sharedData("cifar10-test-subset/labels.csv");
  const { records } = await openImageDataset({
    sources: [{ path: index }],
    fields: { image: "file", label: "label", id: "file" },
  });
  const all = await Array.fromAsync(records);
  assert.equal(all.length, 500);
  assert.equal(new Set(all.map((r) => r.label)).size, 10);
  const first = all[0];
  assert.equal(first.mimeType, "image/jpeg");
  assert.deepEqual(first.image, await Deno.readFile(sharedData(`cifar10-test-subset/${first.meta!.path}`)));
  assert.deepEqual([first.image[0], first.image[1]], [0xff, 0xd8]);
});

Deno.test("gzip of a JSON array, a Parquet file and parallel line files read like the originals", async () => {
  await using dir = await tempDir();
  const gzip = async (path: string, name: string) => {
    const target = `${dir.path}/${name}`;
    await python(
      `import gzip,shutil,sys,json; shutil.copyfileobj(open(sys.argv[1],"rb"), gzip.open(sys.argv[2],"wb")); print(1)`,
      path,
      target,
    );
    return target;
  };
  const json = sharedData("uci-sentiment-labelled-sentences/yelp.json");
  const jsonSpec = (path: string) => ({
    sources: [{ path }],
    fields: { text: "text", label: "class" },
    onBad: "skip" as const,
  });
  assert.deepEqual(
    await textsAndLabels(jsonSpec(await gzip(json, "yelp.json.gz"))),
    await textsAndLabels(jsonSpec(json)),
  );

  const parquet = `${dir.path}/p.parquet`;
  parquetWriteFile({ filename: parquet, columnData: [{ name: "text", data: ["a", "b", "c"], type: "STRING" }] });
  const parquetSpec = (path: string) => ({ sources: [{ path }], fields: { text: "text" } });
  assert.deepEqual(await textsAndLabels(parquetSpec(await gzip(parquet, "p.parquet.gz"))), [["a", undefined], [
    "b",
    undefined,
  ], ["c", undefined]]);

  const base = sharedData("xlm-t-sentiment/spanish");
  const linesSpec = (text: string, labels: string) => ({
    sources: [{ path: text, labelsPath: labels }],
    fields: { text: "text", label: "label" },
  });
  assert.deepEqual(
    await textsAndLabels(
      linesSpec(await gzip(`${base}/val_text.txt`, "t.txt.gz"), await gzip(`${base}/val_labels.txt`, "l.txt.gz")),
    ),
    await textsAndLabels(linesSpec(`${base}/val_text.txt`, `${base}/val_labels.txt`)),
  );
});

Deno.test("default ids stay unique for same-named files in different folders (XLM-T languages) and across Hub datasets", async () => {
  const { defaultIdPrefixes } = await import("@saeflow/io");
  const base = sharedData("xlm-t-sentiment");
  const sources = ["german", "english"].map((lang) => ({
    path: `${base}/${lang}/test_text.txt`,
    labelsPath: `${base}/${lang}/test_labels.txt`,
  }));
  const { records } = await openTextDataset({ sources, fields: { text: "text", label: "label" } });
  const all = await Array.fromAsync(records);
  assert.equal(all.length, 1740);
  assert.deepEqual([all[0].id, all[870].id], ["german/test_text:0", "english/test_text:0"]);
  assert.deepEqual(
    defaultIdPrefixes([{ path: "data/amazon.json" }, { path: "data/imdb.json.gz" }, { path: "/x/y/sst2.tsv" }]),
    ["data/amazon", "data/imdb", "x/y/sst2"],
  );
  assert.deepEqual(defaultIdPrefixes([{ path: "only/one.csv" }]), ["one"]);
  assert.deepEqual(
    defaultIdPrefixes([{ hub: { id: "a/b", split: "train" } }, { hub: { id: "a/b", split: "test" } }]),
    ["train", "test"],
  );
  assert.deepEqual(
    defaultIdPrefixes([{ hub: { id: "a/b", split: "train" } }, { hub: { id: "c/d", config: "en", split: "train" } }]),
    ["a/b/train", "c/d/en/train"],
  );
});
