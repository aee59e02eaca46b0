/**
 * The whole `deno task extract` on CPU, as a user runs it (a child process per run, numbers from its
 * `_extract.json`):
 * 1. stories260K over the jailbreak-classification train prompts (≤ 128 tokens), two layers, random SAEs 8x and
 *    32x wide, sum and top-5 pooling, `x > 1`, hidden-state and TF-IDF baselines: records/s, tokens/s, busy time
 *    per stage;
 * 2. peak RSS for 1k, 10k and 100k records (the same sentences cycled under fresh ids): it must stay flat;
 * 3. shard bytes per record for 16k- and 65k-wide SAE features (TopK k = 82, Gemma Scope's canonical L0 at 2B
 *    layer 12), continuous and binarized.
 *
 * Run: `./node_modules/.bin/deno run -A bench/extract.ts`
 */
import type { ExtractSummary } from "../pipelines/extract.ts";
import { format, saveResults } from "./lib.ts";

const SHARED = new URL("../../shared/", import.meta.url).pathname;
const EXTRACT = new URL("../pipelines/extract.ts", import.meta.url).pathname;
const MODEL = `${SHARED}models/stories260K/stories260K.bin`;
const JAILBREAK = `${SHARED}data/jailbreak-classification/jailbreak_dataset_train_balanced.csv`;
const JAILBREAK_TEST = `${SHARED}data/jailbreak-classification/jailbreak_dataset_test_balanced.csv`;

async function extract(args: string[]): Promise<ExtractSummary> {
  const out = await Deno.makeTempDir({ prefix: "saeflow-bench-extract-" });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", EXTRACT, "--model", MODEL, "--progress", "quiet", "--out", out, ...args],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`extract failed: ${new TextDecoder().decode(stderr)}`);
    return JSON.parse(await Deno.readTextFile(`${out}/_extract.json`));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const throughput = (s: ExtractSummary) => ({
  records: s.run.records,
  "records/s": format(s.run.recordsPerSecond, 1),
  "tokens/s": format(s.run.tokensPerSecond),
  "peak RSS (MiB)": format(s.run.peakRssMb),
});

// 1. The jailbreak train file, everything on.
const full = await extract([
  ...["--dataset", JAILBREAK, "--text-field", "prompt", "--label-field", "type"],
  ...["--layers", "1", "3", "--sae", "random:512", "random:2048", "--pool", "sum", "topn-count:5"],
]);
const wallMs = full.run.seconds * 1000;
const stages = Object.entries(full.stageMs).sort((a, b) => b[1] - a[1])
  .map(([stage, ms]) => `${stage} ${format(ms / 1000, 1)} s (${format((100 * ms) / wallMs)}%)`).join(", ");
await saveResults(
  "extract",
  [{
    run: "jailbreak train, 2 layers x 2 SAEs x 2 pools, baselines",
    ...throughput(full),
    "shard sets": full.outputs.length,
  }],
  `Busy time per stage (stages overlap, so shares can add past 100%): ${stages}. Wall time ${
    format(full.run.seconds, 1)
  } s.`,
);

// 2. RSS as the stream grows.
const sentences = (await Deno.readTextFile(`${SHARED}data/sst2/sst2_dev.tsv`)).split("\n").slice(1)
  .filter((line) => line.includes("\t")).map((line) => line.split("\t"));
const rssRows = [];
for (const n of [1_000, 10_000, 100_000]) {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  const lines = Array.from({ length: n }, (_, i) => {
    const [text, label] = sentences[i % sentences.length];
    return JSON.stringify({ id: `r${i}`, text, label });
  });
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const summary = await extract([
    ...["--dataset", file, "--text-field", "text", "--label-field", "label", "--id-field", "id"],
    ...["--layers", "2", "--sae", "random:512", "--max-tokens", "64", "--shard-size", "5000"],
  ]);
  await Deno.remove(file);
  rssRows.push({ ...throughput(summary), "shard sets": summary.outputs.length });
}
await saveResults(
  "extract_rss",
  rssRows,
  "sst2 dev sentences cycled under fresh ids, ≤ 64 tokens, layer 2, random SAE 512 wide, sum pooling, x > 1, " +
    "last/mean hidden states, TF-IDF, text: peak RSS of the whole process (model, encoders, one window of records " +
    "in flight, one row group per shard set, and the split pre-pass's id → split map).",
);

// 3. Shard size per record at Gemma Scope widths.
const sizeRows = [];
for (const width of [16_384, 65_536]) {
  const summary = await extract([
    ...["--dataset", JAILBREAK_TEST, "--text-field", "prompt", "--label-field", "type"],
    ...["--layers", "2", "--sae", `random:${width}:k=82`, "--pool", "sum", "--binarize", "gt:1", "presence"],
    ...["--hidden", "none", "--no-tfidf", "--no-text"],
  ]);
  const perRecord = (suffix: string) => {
    const output = summary.outputs.find((o) => o.path.endsWith(suffix))!;
    return format(output.bytes / output.records);
  };
  sizeRows.push({
    width,
    records: summary.dataset.records,
    "tokens/record": format(summary.run.tokens / summary.run.records, 1),
    "values (bytes/record)": perRecord("/values"),
    "gt-1 (bytes/record)": perRecord("/gt-1"),
    "presence (bytes/record)": perRecord("/presence"),
  });
}
await saveResults(
  "extract_shard_size",
  sizeRows,
  "jailbreak test prompts (≤ 128 tokens), layer 2, random TopK SAE with k = 82, sum pooling; ZSTD-compressed " +
    "Parquet (feat_idx list<int32>, feat_val list<float32>), bytes of the shard files divided by records.",
);
