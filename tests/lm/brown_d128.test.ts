/**
 * The project's own language model, kept in data/lm/brown-d128 (train.yaml is the exact command): the files are the
 * ones trained (checksums); its corpus split and tokenizer come out the same again; on every validation row it has
 * the loss its run recorded, clearly below the unigram and bigram baselines, which come out the same too; and its
 * validation loss fell over the run.
 */
import assert from "node:assert/strict";
import { brownSentences, LlamaModel, loadLlamaParams, ngramBaselines, validationLoss } from "@saeflow/lm";
import { startTfjsBackend } from "@saeflow/sae";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { prepareLmData } from "../../pipelines/lib/train_lm/lm_data.ts";
import { LOG_FILE, TRAIN_SUMMARY_FILE, type TrainLmSummary, trainLmTask } from "../../pipelines/train_lm.ts";
import { assertChecksums, tempDir } from "../helpers.ts";

const ROOT = new URL("../../data/lm/brown-d128/", import.meta.url).pathname;
const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
const summary: TrainLmSummary = JSON.parse(await Deno.readTextFile(`${ROOT}${TRAIN_SUMMARY_FILE}`));

Deno.test("brown-d128: every committed file matches its recorded SHA-256", async () => {
  await assertChecksums(ROOT, [...MODEL_FILES.map((f) => `model/${f}`), TRAIN_SUMMARY_FILE, LOG_FILE]);
});

Deno.test("brown-d128: its data comes out the same, and on every validation row it beats unigram and bigram as recorded", async () => {
  await startTfjsBackend("wasm");
  const { options } = await parseTask(trainLmTask, ["--config", `${ROOT}train.yaml`]);
  await using dir = await tempDir();
  const { seed, validationFraction, vocabSize, seqLen } = options;
  const data = await prepareLmData({ seed, validationFraction, vocabSize, seqLen }, dir.path);
  assert.equal(
    await Deno.readTextFile(`${dir.path}/tokenizer.json`),
    await Deno.readTextFile(`${ROOT}model/tokenizer.json`),
    "the tokenizer trains to the same file",
  );
  assert.deepEqual(data.sentences, summary.corpus.sentences);
  const baselines = ngramBaselines(data.train, data.validation, data.tokenizerFiles.vocabSize);
  assert.equal(baselines.unigram, summary.baselines.unigram.loss);
  assert.equal(baselines.bigram, summary.baselines.bigram.loss);

  const { config, params } = await loadLlamaParams(`${ROOT}model`);
  const model = LlamaModel.fromParams(config, params);
  try {
    const final = await validationLoss(model, data.validation, { batchSize: summary.config.batchSize });
    assert.equal(final.tokens, summary.final.tokens);
    assert.ok(
      Math.abs(final.loss - summary.final.loss) < 1e-4,
      `validation loss ${final.loss} vs ${summary.final.loss}`,
    );
    // "Clearly beats": by a quarter of a nat or more against the bigram, the stronger baseline.
    assert.ok(final.loss < baselines.bigram - 0.25, `validation loss ${final.loss}, bigram ${baselines.bigram}`);
    assert.ok(final.loss < baselines.unigram - 1, `validation loss ${final.loss}, unigram ${baselines.unigram}`);
  } finally {
    model.dispose();
  }
});

Deno.test("brown-d128: the run's validation loss fell from evaluation to evaluation, as its log records", async () => {
  const lines = (await Deno.readTextFile(`${ROOT}${LOG_FILE}`)).trim().split("\n").map((l) => JSON.parse(l));
  const curve = lines.filter((l) => l.valLoss !== undefined).map((l) => [l.step, l.valLoss] as [number, number]);
  assert.ok(curve.length >= 5, `${curve.length} evaluations`);
  assert.equal(curve.at(-1)![0], summary.config.totalSteps);
  for (let i = 1; i < curve.length; i++) {
    assert.ok(curve[i][1] < curve[i - 1][1], `step ${curve[i][0]}: ${curve[i][1]}`);
  }
});

Deno.test("brown-d128 never saw the demo's sentences: no review sentence of the sentiment fixtures is a Brown sentence", async () => {
  const normalize = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();
  const brown = new Set<string>();
  for await (const { text } of brownSentences()) brown.add(normalize(text));
  let reviews = 0;
  for (const domain of ["amazon", "imdb", "yelp"]) {
    const url = new URL(`../../node_modules/sentiment/test/fixtures/${domain}.json`, import.meta.url);
    const records: { text: string }[] = JSON.parse(await Deno.readTextFile(url));
    for (const { text } of records) {
      if (!text) continue;
      reviews++;
      assert.ok(!brown.has(normalize(text)), `${domain}: "${text}" is in Brown`);
    }
  }
  assert.equal(reviews, 3000);
});
