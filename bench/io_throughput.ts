/**
 * Ingest and shard-write throughput on the real shared datasets (median of 9 runs after a warm-up).
 * Run: `deno run -A bench/io_throughput.ts` (part of `deno task bench`).
 */
import { parquetWriteFile } from "hyparquet-writer";
import { type DatasetSpec, openTextDataset, ShardWriter } from "@saeflow/io";
import { format, medianMs, saveResults } from "./lib.ts";
import { syntheticRow, WIDTH } from "../tests/io/fixtures/synthetic_rows.ts";

const data = (p: string) => new URL(`../../shared/data/${p}`, import.meta.url).pathname;
const work = await Deno.makeTempDir({ prefix: "saeflow-bench-" });

async function count(spec: DatasetSpec): Promise<number> {
  let n = 0;
  for await (const _ of (await openTextDataset(spec)).records) n++;
  return n;
}

// The largest CSV as Parquet (written by another implementation, as the Hub's files are).
const csvPath = data("jailbreak-classification/jailbreak_dataset_train_balanced.csv");
const rows = await Array.fromAsync(
  (await openTextDataset({ sources: [{ path: csvPath }], fields: { text: "prompt", label: "type" } })).records,
);
const parquetPath = `${work}/jailbreak_train.parquet`;
parquetWriteFile({
  filename: parquetPath,
  columnData: [
    { name: "prompt", data: rows.map((r) => r.text), type: "STRING" },
    { name: "type", data: rows.map((r) => r.label!), type: "STRING" },
  ],
  codec: "SNAPPY",
});

const ingests: [string, string, DatasetSpec][] = [
  ["CSV (largest CSV: jailbreak train)", csvPath, {
    sources: [{ path: csvPath }],
    fields: { text: "prompt", label: "type" },
  }],
  ["Parquet (same data, hyparquet-written)", parquetPath, {
    sources: [{ path: parquetPath }],
    fields: { text: "prompt", label: "type" },
  }],
  [
    "JSON array (largest file: harmless_train.json)",
    data("refusal-direction-harmful-harmless/splits/harmless_train.json"),
    {
      sources: [{ path: data("refusal-direction-harmful-harmless/splits/harmless_train.json") }],
      fields: { text: "instruction" },
    },
  ],
  ["line files (tweeteval offensive train)", data("tweeteval/offensive/train_text.txt"), {
    sources: [{
      path: data("tweeteval/offensive/train_text.txt"),
      labelsPath: data("tweeteval/offensive/train_labels.txt"),
    }],
    fields: { text: "text", label: "label" },
  }],
];

const results: Record<string, string | number>[] = [];
for (const [name, path, spec] of ingests) {
  const records = await count(spec);
  const ms = await medianMs(9, () => count(spec));
  const mb = (await Deno.stat(path)).size / 1e6;
  results.push({
    workload: name,
    records,
    "MB": format(mb, 2),
    "records/s": format(records / (ms / 1000)),
    "MB/s": format(mb / (ms / 1000), 1),
  });
}

// Shard write: 10,000 rows of 16k-wide sparse features (≤40 active, values) + 8-d dense + text, shards of 2,500.
const featureRows = Array.from({ length: 10_000 }, (_, i) => syntheticRow(i));
let written = 0;
let bytes = 0;
const ms = await medianMs(9, async () => {
  const dir = `${work}/shards-${written++}`;
  const writer = await ShardWriter.open({
    dir,
    shardSize: 2500,
    layout: { sparse: "values", sparseWidth: WIDTH, denseDim: 8, text: true },
    metadata: { configHash: "bench" },
  });
  await ReadableStream.from(featureRows).pipeTo(writer.writable);
  bytes = writer.manifest().shards.reduce((s, x) => s + x.bytes, 0);
});
const arrowBytes = featureRows.reduce((s, r) => s + r.featIdx!.byteLength * 2 + 32 + r.text!.length + r.id.length, 0);
results.push({
  workload: "shard write (10k rows, 16k-wide sparse + dense, ZSTD)",
  records: 10_000,
  "MB": `${format(arrowBytes / 1e6, 2)} in → ${format(bytes / 1e6, 2)} on disk`,
  "records/s": format(10_000 / (ms / 1000)),
  "MB/s": format(arrowBytes / 1e6 / (ms / 1000), 1),
});

await Deno.remove(work, { recursive: true });
await saveResults(
  "io_throughput",
  results,
  "Ingest = read, decode, map columns, check ids and labels, to TextRecords. Shard write MB/s counts the uncompressed column bytes handed to the writer.",
);
