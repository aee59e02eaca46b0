/**
 * `deno task extract` end to end on real data (sst2 → stories260K → random SAEs): shards are byte-identical across
 * runs and batch sizes, each row matches the stages run by hand on that record alone, a killed run resumes to the
 * same bytes, and bad input fails with a clear error before anything is lost.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { ConfigError } from "@saeflow/core";
import { binarize } from "@saeflow/binarize";
import { loadDecoder } from "@saeflow/forward";
import { loadShards, openShardSet, stratifiedSplit } from "@saeflow/io";
import { lastTokenStates, maskedMeanStates, poolRecord } from "@saeflow/pool";
import { randomSae, SaeEncoder, type TopActivationsJson } from "@saeflow/sae";
import { loadLlama2cTokenizer, padBatch } from "@saeflow/tokenize";
import { extract, extractTask } from "../../pipelines/extract.ts";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { sharedData, sharedModel, tempDir } from "../helpers.ts";

const EXTRACT = new URL("../../pipelines/extract.ts", import.meta.url).pathname;
const MODEL = sharedModel("stories260K/stories260K.bin");
const SST2 = sharedData("sst2/sst2_dev.tsv");

const args = (out: string, ...extra: string[]) => [
  ...["--model", MODEL, "--layers", "1", "3", "--sae", "random:256", "random:1024:k=8:seed=3"],
  ...["--pool", "sum", "topn-count:3", "--binarize", "gt:1", "presence"],
  ...["--dataset", SST2, "--text-field", "text", "--label-field", "label", "--limit", "60"],
  ...["--shard-size", "25", "--progress", "quiet", "--out", out, ...extra],
];

async function runExtract(argv: string[]) {
  const { options, configHash } = await parseTask(extractTask, argv);
  return await extract(options, { configHash, signal: new AbortController().signal });
}

/** Every file of a run but the lock files and the timing summary, by relative path. */
async function shardFiles(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name !== ".lock" && entry.name !== "_extract.json") {
        files.set(relative(root, path), await Deno.readFile(path));
      }
    }
  };
  await walk(root);
  return files;
}

function assertSameFiles(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>, what: string) {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: the same files`);
  for (const [path, bytes] of a) assert.ok(bytes.length > 0 && equalBytes(bytes, b.get(path)!), `${what}: ${path}`);
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

Deno.test("extract: byte-identical shards across two runs and across batch sizes 1 and 16", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  await using c = await tempDir();
  const first = await runExtract(args(a.path, "--batch-size", "16"));
  await runExtract(args(b.path, "--batch-size", "16"));
  const single = await runExtract(args(c.path, "--batch-size", "1"));
  assert.equal(single.summary.configHash, first.summary.configHash, "batch size does not shape results");
  const files = await shardFiles(a.path);
  // 30 shard sets (text, tfidf, 2 layers x (last, mean), 4 SAEs x 2 pools x (values, gt-1, presence)), each of 3
  // shards and a manifest, and the TF-IDF model
  assert.equal(files.size, 30 * 4 + 1);
  assertSameFiles(files, await shardFiles(b.path), "second run");
  assertSameFiles(files, await shardFiles(c.path), "batch size 1");
  assert.equal(first.summary.outputs.length, 30);
  assert.ok(first.summary.outputs.every((o) => o.records === 60));
  assert.ok(first.summary.run.tokens > 60 && first.summary.run.recordsPerSecond > 0);
});

Deno.test("extract: every row is what the stages give on that record alone; one stratified split for every output", async () => {
  await using out = await tempDir();
  const { summary } = await runExtract(args(out.path, "--batch-size", "7"));
  const text = (await loadShards(`${out.path}/text`)).objects() as {
    id: string;
    label: string;
    split: string;
    text: string;
  }[];
  assert.equal(text.length, 60);

  // The split: the exact stratified cut of these 60 ids and labels, in every shard set.
  const expected = stratifiedSplit(text, { seed: 42, fractions: { train: 0.8, test: 0.2 } });
  assert.deepEqual(text.map((r) => r.split), text.map((r) => expected.get(r.id)));
  for (const { path } of summary.outputs) {
    const t = await loadShards(`${out.path}/${path}`, { columns: ["id", "split"] });
    assert.deepEqual(t.array("id"), text.map((r) => r.id), `${path}: input order`);
    assert.deepEqual(t.array("split"), text.map((r) => r.split), `${path}: split`);
  }
  const manifest = (await openShardSet(`${out.path}/sae/l1.random-256-k32-s0/sum.no-bos/gt-1`)).manifest;
  assert.equal(manifest.configHash, summary.configHash);
  assert.equal(manifest.records, 60);
  assert.deepEqual((manifest.extra.split as { seed: number }).seed, 42);
  assert.match(String(manifest.extra.datasetFingerprint), /^[0-9a-f]{64}$/);
  const classCounts: Record<string, Record<string, number>> = {};
  for (const { split, label } of text) (classCounts[split] ??= {})[label] = (classCounts[split][label] ?? 0) + 1;
  assert.deepEqual(summary.dataset.classCounts, classCounts);
  assert.deepEqual(manifest.classCounts, classCounts);
  assert.deepEqual(Object.values(classCounts.test), [6, 6], "20% of each class in test");

  // By hand, record by record: tokenize alone, forward alone, encode, pool, threshold.
  const tokenizer = await loadLlama2cTokenizer(sharedModel("stories260K/tok512.bin"));
  const hook = "blocks.3.hook_resid_post";
  const model = await loadDecoder(MODEL, { hooks: [hook] });
  const spec = randomSae({ dIn: 64, dSae: 1024, k: 8, seed: 3, hookName: hook });
  const encoder = await SaeEncoder.create(spec);
  const sae = `sae/l3.${spec.id}`;
  const shard = async (path: string) =>
    (await loadShards(`${out.path}/${path}`)).objects() as Record<string, unknown>[];
  const [last, mean, sums, counts, gt1] = await Promise.all([
    shard("hidden/l3/last"),
    shard("hidden/l3/mean"),
    shard(`${sae}/sum.no-bos/values`),
    shard(`${sae}/topn-count-n3.no-bos/values`),
    shard(`${sae}/sum.no-bos/gt-1`),
  ]);
  try {
    for (const i of [0, 1, 17, 33, 59]) {
      const record = text[i];
      const ids = tokenizer.encode(record.text).slice(0, 128);
      const tokens = padBatch([ids], { padId: tokenizer.padId, hasBos: true, records: [record] });
      const activations = await model.run(tokens);
      assertClose(last[i].dense as Float32Array, lastTokenStates(activations, hook)[0], `${record.id} last`);
      assertClose(mean[i].dense as Float32Array, maskedMeanStates(activations, hook)[0], `${record.id} mean`);
      const x = activations.activations.get(hook)!;
      const { features } = await encoder.encode(x, ids.length);
      const sum = poolRecord(features, 0, ids.length, { strategy: "sum" }, tokens);
      assert.deepEqual(Array.from(sums[i].feat_idx as Int32Array), Array.from(sum.indices), `${record.id} sum ids`);
      assertClose(sums[i].feat_val as Float32Array, sum.values, `${record.id} sum values`);
      const count = poolRecord(features, 0, ids.length, { strategy: "topn-count", n: 3 }, tokens);
      assert.deepEqual(Array.from(counts[i].feat_val as Float32Array), Array.from(count.values), `${record.id} counts`);
      const active = binarize(sum, { rule: "gt", threshold: 1 });
      assert.deepEqual(Array.from(gt1[i].feat_idx as Int32Array), Array.from(active), `${record.id} x > 1`);
    }
  } finally {
    await encoder.release();
    await model.release();
  }
});

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])), `${what}[${i}]`);
  }
}

Deno.test("extract --feature-examples: each feature's strongest tokens agree with the max-pooled shards, whatever the batching", async () => {
  await using out = await tempDir();
  await using again = await tempDir();
  const argv = (dir: string, batch: string) => [
    ...["--model", MODEL, "--layers", "1", "--sae", "random:256", "--pool", "max", "--binarize", "none", "--no-tfidf"],
    ...["--hidden", "none", "--dataset", SST2, "--text-field", "text", "--label-field", "label", "--limit", "60"],
    ...["--feature-examples", "3", "--batch-size", batch, "--progress", "quiet", "--out", dir],
  ];
  await runExtract(argv(out.path, "7"));
  await runExtract(argv(again.path, "16"));
  const file = "sae/l1.random-256-k32-s0/top_activations.json";
  const kept: TopActivationsJson = JSON.parse(await Deno.readTextFile(`${out.path}/${file}`));
  const shards = await shardFiles(out.path);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${again.path}/${file}`)), kept, "batching does not matter");
  // A resumed run (a shard set behind), a run killed before the file was written, and another n all cover every
  // record again: the model reruns from the first record while the writers skip what they hold.
  await Deno.remove(`${again.path}/sae/l1.random-256-k32-s0/max.no-bos/values/part-00000.parquet`);
  const resumed = await runExtract(argv(again.path, "16"));
  assert.equal(resumed.summary.run.records, 60);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${again.path}/${file}`)), kept, "resumed");
  await Deno.remove(`${again.path}/${file}`);
  assert.ok(!(await runExtract(argv(again.path, "16"))).alreadyComplete, "a missing examples file is work to do");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${again.path}/${file}`)), kept, "written again");
  assertSameFiles(await shardFiles(again.path), shards, "the shards are untouched");
  await runExtract([...argv(again.path, "16"), "--feature-examples", "1"]);
  const one: TopActivationsJson = JSON.parse(await Deno.readTextFile(`${again.path}/${file}`));
  assert.equal(one.perFeature, 1);
  assert.deepEqual(one.features["0"], kept.features["0"].slice(0, 1));
  assert.ok((await runExtract([...argv(again.path, "16"), "--feature-examples", "1"])).alreadyComplete);
  const text = new Map(
    ((await loadShards(`${out.path}/text`)).objects() as { id: string; text: string }[]).map((r) => [r.id, r.text]),
  );
  // Max pooling (BOS left out, as the examples leave it out) sees the same activations through another code path.
  const maxima = new Map<number, { value: number; ids: string[] }>();
  for (const row of (await loadShards(`${out.path}/sae/l1.random-256-k32-s0/max.no-bos/values`)).objects()) {
    const { id, feat_idx: featIdx, feat_val: featVal } = row as {
      id: string;
      feat_idx: Int32Array;
      feat_val: Float32Array;
    };
    featIdx.forEach((f, j) => {
      const best = maxima.get(f);
      if (!best || featVal[j] > best.value) maxima.set(f, { value: featVal[j], ids: [id] });
      else if (featVal[j] === best.value) best.ids.push(id);
    });
  }
  assert.deepEqual(
    Object.keys(kept.features).map(Number).sort((a, b) => a - b),
    [...maxima.keys()].sort((a, b) => a - b),
  );
  for (const [feature, examples] of Object.entries(kept.features)) {
    const { value, ids } = maxima.get(Number(feature))!;
    assert.equal(examples[0].value, value, `feature ${feature}: the strongest example is the largest max-pooled value`);
    assert.ok(ids.includes(examples[0].record), `feature ${feature}: in a record whose max is that value`);
    assert.ok(examples.length <= 3 && examples.every((e, i) => i === 0 || e.value <= examples[i - 1].value));
    for (const { record, context, at } of examples) {
      assert.ok(text.get(record)!.includes(context[at].trim()), `${record}: "${context[at]}" is in its text`);
    }
  }
});

Deno.test("extract: a run killed mid-way resumes to the same bytes; so does a shard set left behind the others", async () => {
  await using clean = await tempDir();
  await using killed = await tempDir();
  const argv = (out: string) => [...args(out, "--limit", "872", "--shard-size", "40"), "--hidden", "none"];
  await runExtract(argv(clean.path));
  const reference = await shardFiles(clean.path);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EXTRACT, ...argv(killed.path)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const marker = `${killed.path}/text/part-00003.parquet`;
  while (!(await Deno.stat(marker).catch(() => undefined))) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGKILL");
  await child.status;
  const partial = await openShardSet(`${killed.path}/text`, { allowIncomplete: true });
  assert.ok(!partial.manifest.complete && partial.manifest.records < 872, "killed before the end");
  await runExtract(argv(killed.path));
  assertSameFiles(await shardFiles(killed.path), reference, "resumed after SIGKILL");

  // One shard set behind the others (as a kill between two writers' commits leaves it): only it catches up.
  const behind = `${killed.path}/sae/l1.random-256-k32-s0/sum.no-bos/gt-1`;
  await Deno.remove(`${behind}/part-00021.parquet`);
  await Deno.remove(`${behind}/part-00020.parquet`);
  const { summary } = await runExtract(argv(killed.path));
  assert.equal(summary.run.records, 872 - 800, "only the missing records went through the model");
  assertSameFiles(await shardFiles(killed.path), reference, "caught up");
});

Deno.test("extract: bad options and changed input fail with a clear error, and nothing written is lost", async () => {
  await using out = await tempDir();
  await assert.rejects(
    runExtract(args(out.path, "--binarize", "per-feature:0.9")),
    /per-feature thresholds are fitted/,
  );
  await assert.rejects(runExtract(args(out.path, "--sae", "no/such/sae")), /no such file or folder/);
  await assert.rejects(runExtract(args(out.path, "--pool", "sum:3")), /sum takes no parameter/);
  await assert.rejects(runExtract(args(out.path, "--layers", "9")), /layer 9, but .* has 5 layers/);
  await assert.rejects(runExtract(args(out.path, "--sae", "random:0")), /width "0" is not an integer ≥ 1/);

  await runExtract(args(out.path, "--limit", "50"));
  const before = await shardFiles(out.path);
  // Another configuration into the same directory.
  await assert.rejects(runExtract(args(out.path, "--pool", "max")), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /holds shards of another configuration/);
    return true;
  });
  assertSameFiles(await shardFiles(out.path), before, "after refusing another configuration");

  // The same configuration over a dataset whose records changed (same file, same ids, other texts): refused.
  await using data = await tempDir();
  const copy = `${data.path}/sst2.tsv`;
  const lines = (await Deno.readTextFile(SST2)).split("\n");
  await Deno.writeTextFile(copy, [lines[0], ...lines.slice(2)].join("\n"));
  await using changed = await tempDir();
  const changedArgs = args(changed.path).map((a) => a === SST2 ? copy : a);
  await runExtract(changedArgs);
  const written = await shardFiles(changed.path);
  await Deno.writeTextFile(copy, lines.join("\n"));
  await assert.rejects(runExtract(changedArgs), /the dataset changed since .* was written/);
  assertSameFiles(await shardFiles(changed.path), written, "after refusing changed input");
});
