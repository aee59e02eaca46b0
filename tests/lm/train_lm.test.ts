/**
 * `deno task train-lm` end to end on a few hundred Brown sentences and a tiny model: the Hugging Face folder loads
 * with `loadDecoder` and `loadHfTokenizer`, and the ONNX graph's next-token loss on the validation rows is the loss
 * the trainer reported; the model beats the unigram baseline; a run stopped by its abort signal, by Ctrl-C (exit
 * 130) or by SIGKILL resumes to the very bytes of a run never stopped; a checkpoint of other settings is refused.
 */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { loadDecoder } from "@saeflow/forward";
import { SafetensorsFile } from "@saeflow/io";
import { packSequences, splitBrownSentences } from "@saeflow/lm";
import { loadHfTokenizer, padBatch } from "@saeflow/tokenize";
import { parseTask } from "../../pipelines/lib/cli.ts";
import {
  CHECKPOINT_FILE,
  LOG_FILE,
  MODEL_FOLDER,
  TRAIN_SUMMARY_FILE,
  type TrainLmContext,
  trainLmRun,
  trainLmTask,
} from "../../pipelines/train_lm.ts";
import { tempDir } from "../helpers.ts";

const TRAIN_LM = new URL("../../pipelines/train_lm.ts", import.meta.url).pathname;
const DENO = Deno.execPath();

const args = (out: string, ...extra: string[]) => [
  ...["--limit", "400", "--validation-fraction", "0.1", "--vocab-size", "512"],
  ...["--d-model", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--seq-len", "32"],
  ...["--batch-size", "8", "--lr", "5e-3", "--warmup-steps", "10", "--progress", "quiet", "--out", out, ...extra],
];

async function run(argv: string[], context: Partial<TrainLmContext> = {}) {
  const { options, configHash } = await parseTask(trainLmTask, argv);
  return await trainLmRun(options, { configHash, ...context });
}

const modelBytes = (out: string) => Deno.readFile(`${out}/${MODEL_FOLDER}/model.safetensors`);
const readLog = async (out: string) =>
  (await Deno.readTextFile(`${out}/${LOG_FILE}`)).trim().split("\n").map((l) => JSON.parse(l));
/** A log line without its timing fields, which differ between runs. */
const numbers = ({ tokensPerSecond: _t, rssMb: _r, ...rest }: Record<string, number>) => rest;

async function checkpointStep(out: string): Promise<number | undefined> {
  try {
    await using file = await SafetensorsFile.open(`${out}/${CHECKPOINT_FILE}`);
    return JSON.parse(file.metadata.saeflow_lm_checkpoint).steps;
  } catch {
    return undefined; // not written yet, or being replaced
  }
}

Deno.test("train-lm: the folder loads in the ONNX forward; its validation loss is the trainer's; it beats the unigram baseline", async () => {
  await using out = await tempDir();
  const argv = args(
    out.path,
    "--steps",
    "300",
    "--eval-every",
    "100",
    "--checkpoint-every",
    "100",
    "--log-every",
    "50",
  );
  const summary = await run(argv);
  assert.equal(summary.run.steps, 300);
  assert.equal(summary.model.vocabSize, 512);
  assert.equal(summary.model.nKvHeads, 2);
  assert.equal(summary.model.dFf, 128);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out.path}/${TRAIN_SUMMARY_FILE}`)), summary);
  const { unigram, bigram } = summary.baselines;
  console.log(
    `val loss ${summary.final.loss.toFixed(4)}; unigram ${unigram.loss.toFixed(4)}, bigram ${bigram.loss.toFixed(4)}`,
  );
  assert.ok(bigram.loss < unigram.loss);
  assert.ok(summary.final.loss < unigram.loss - 0.3, `val loss ${summary.final.loss} vs unigram ${unigram.loss}`);
  assert.ok(summary.run.tokensPerSecond > 0 && summary.run.peakRssMb > 0);
  assert.ok(Math.abs(summary.final.perplexity - Math.exp(summary.final.loss)) < 1e-9);

  const log = await readLog(out.path);
  assert.deepEqual(log.map((l) => l.step), [50, 100, 150, 200, 250, 300]);
  assert.deepEqual(log.filter((l) => "valLoss" in l).map((l) => l.step), [100, 200, 300]);
  assert.ok(log.every((l) => l.tokens === l.step * 8 * 32 && l.tokensPerSecond > 0 && l.learningRate > 0));
  assert.ok(log[5].loss < log[0].loss, "the training loss falls");

  // The folder as any reader sees it: the tokenizer from its files, the model through the ONNX graph.
  const folder = `${out.path}/${MODEL_FOLDER}`;
  const tokenizer = await loadHfTokenizer(folder);
  assert.equal(tokenizer.vocabSize, 512);
  assert.equal(tokenizer.bosId, 1);
  assert.ok(tokenizer.addsBos);
  const { validation } = await splitBrownSentences({ seed: 0, validationFraction: 0.1, limit: 400 });
  const rows = packSequences(validation.map((s) => tokenizer.encode(s.text, { addSpecialTokens: false })), {
    seqLen: 32,
    bosId: tokenizer.bosId!,
    eosId: tokenizer.eosId!,
  });
  assert.equal(rows.count, summary.final.rows);
  const forward = await loadDecoder(folder, { hooks: [], logits: true });
  let sum = 0;
  let predictions = 0;
  try {
    for (let start = 0; start < rows.count; start += 8) {
      const batchRows = [];
      for (let r = start; r < Math.min(start + 8, rows.count); r++) {
        batchRows.push([...rows.ids.subarray(r * 32, (r + 1) * 32)]);
      }
      const tokens = padBatch(batchRows, { padId: 0, hasBos: true });
      const logits = (await forward.run(tokens)).logits!;
      for (let b = 0; b < batchRows.length; b++) {
        for (let t = 0; t + 1 < 32; t++) {
          const at = (b * 32 + t) * 512;
          let max = -Infinity;
          for (let v = 0; v < 512; v++) max = Math.max(max, logits[at + v]);
          let z = 0;
          for (let v = 0; v < 512; v++) z += Math.exp(logits[at + v] - max);
          sum += max + Math.log(z) - logits[at + batchRows[b][t + 1]];
          predictions++;
        }
      }
    }
  } finally {
    await forward.release();
  }
  assert.equal(predictions, summary.final.tokens);
  const onnxLoss = sum / predictions;
  console.log(`ONNX validation loss ${onnxLoss.toFixed(6)}, trainer ${summary.final.loss.toFixed(6)}`);
  assert.ok(Math.abs(onnxLoss - summary.final.loss) < 1e-4, `ONNX ${onnxLoss} vs trainer ${summary.final.loss}`);
});

Deno.test("train-lm: stopped by its signal, a run resumes to the bytes of a run never stopped", async () => {
  await using straight = await tempDir();
  await using stopped = await tempDir();
  // a clip below the gradients' norms: the clipping is part of what must resume exactly
  const settings = [
    "--steps",
    "40",
    "--checkpoint-every",
    "10",
    "--log-every",
    "5",
    "--eval-every",
    "20",
    "--grad-clip",
    "0.3",
  ];
  const reference = await run(args(straight.path, ...settings));
  const controller = new AbortController();
  await assert.rejects(() =>
    run(args(stopped.path, ...settings), {
      signal: controller.signal,
      onStep: ({ step }) => step === 13 && controller.abort(new Error("stop")),
    })
  );
  assert.equal(await checkpointStep(stopped.path), 13, "the checkpoint is written on the way out");
  await assert.rejects(() => Deno.stat(`${stopped.path}/${TRAIN_SUMMARY_FILE}`), Deno.errors.NotFound);
  const resumed = await run(args(stopped.path, ...settings));
  assert.equal(resumed.run.resumedAt, 13);
  assert.equal(resumed.run.steps, 27);
  assert.deepEqual(await modelBytes(stopped.path), await modelBytes(straight.path));
  assert.equal(resumed.final.loss, reference.final.loss);
  assert.deepEqual((await readLog(stopped.path)).map(numbers), (await readLog(straight.path)).map(numbers));
  assert.equal(resumed.configHash, reference.configHash);
  assert.ok((await readLog(straight.path)).some((l) => l.gradNorm > 0.3), "some steps were clipped");

  // The same directory with other settings: refused, naming what differs.
  await Deno.remove(`${stopped.path}/${TRAIN_SUMMARY_FILE}`);
  await assert.rejects(
    () => run(args(stopped.path, ...settings, "--lr", "1e-3", "--steps", "50")),
    (e) => e instanceof ConfigError && e.message.includes("learningRate"),
  );
  await assert.rejects(
    () => run(args(stopped.path, ...settings, "--d-model", "64", "--steps", "50")),
    (e) => e instanceof ConfigError && e.message.includes("dModel"),
  );
});

Deno.test("train-lm: Ctrl-C exits 130 with a checkpoint; SIGKILL loses only the steps since one; the rerun gets the same bytes", async () => {
  await using straight = await tempDir();
  await using out = await tempDir();
  const settings = ["--steps", "120", "--checkpoint-every", "5", "--eval-every", "0", "--grad-clip", "0.3"];
  await run(args(straight.path, ...settings));
  const child = () =>
    new Deno.Command(DENO, {
      args: ["run", "-A", TRAIN_LM, ...args(out.path, ...settings)],
      stdout: "null",
      stderr: "piped",
    })
      .spawn();
  const waitForCheckpoint = async (after: number) => {
    for (let i = 0; i < 3000; i++) {
      const step = await checkpointStep(out.path);
      if (step !== undefined && step > after) return step;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("no checkpoint appeared");
  };

  const interrupted = child();
  await waitForCheckpoint(0);
  interrupted.kill("SIGINT");
  const first = await interrupted.output();
  assert.equal(first.code, 130, new TextDecoder().decode(first.stderr));
  const stoppedAt = (await checkpointStep(out.path))!;
  assert.ok(stoppedAt >= 5 && stoppedAt < 120, `stopped at ${stoppedAt}`);

  const killed = child();
  await waitForCheckpoint(stoppedAt);
  killed.kill("SIGKILL");
  await killed.output();
  await assert.rejects(() => Deno.stat(`${out.path}/${TRAIN_SUMMARY_FILE}`), Deno.errors.NotFound);
  const killedAt = (await checkpointStep(out.path))!;
  assert.ok(killedAt > stoppedAt && killedAt < 120, `killed after ${killedAt}`);

  const resumed = await run(args(out.path, ...settings));
  assert.equal(resumed.run.resumedAt, killedAt);
  assert.deepEqual(await modelBytes(out.path), await modelBytes(straight.path));
  assert.deepEqual((await readLog(out.path)).map(numbers), (await readLog(straight.path)).map(numbers));
});

Deno.test("train-lm: too few sentences for both sides is a ConfigError", async () => {
  await using out = await tempDir();
  await assert.rejects(() => run(args(out.path, "--limit", "3", "--steps", "2")), ConfigError);
});
