/**
 * `deno task train-sae` end to end on real data (sst2 → stories260K → a TopK SAE): the saved SAELens folder reloads
 * and encodes as the trained SAE does, the held-out numbers and the spliced loss are measured, a run killed with
 * SIGKILL resumes to the very same bytes, the activation cache changes nothing, and bad settings fail clearly.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import { SafetensorsFile } from "@saeflow/io";
import { loadSaeLens, SaeEncoder, SaeTrainer, startTfjsBackend } from "@saeflow/sae";
import { parseTask } from "../../pipelines/lib/cli.ts";
import { modelIdOf } from "../../pipelines/lib/model_options.ts";
import { datasetSpec } from "../../pipelines/lib/dataset_options.ts";
import {
  CHECKPOINT_FILE,
  LOG_FILE,
  SAE_FOLDER,
  TRAIN_SUMMARY_FILE,
  trainSaeRun,
  trainSaeTask,
} from "../../pipelines/train_sae.ts";
import { sharedData, sharedModel, tempDir } from "../helpers.ts";
import { mulberry32, standardNormal } from "../random.ts";

const TRAIN_SAE = new URL("../../pipelines/train_sae.ts", import.meta.url).pathname;

const args = (out: string, ...extra: string[]) => [
  ...["--model", sharedModel("stories260K/stories260K.bin"), "--layer", "2", "--width", "256", "--k", "8"],
  ...["--dataset", sharedData("sst2/sst2_dev.tsv"), "--text-field", "text", "--eval-fraction", "0.1"],
  ...["--steps", "60", "--train-batch", "256", "--shuffle-buffer", "2048", "--lr", "3e-3", "--warmup-steps", "10"],
  ...["--dead-after", "5000", "--checkpoint-every", "10", "--log-every", "5", "--spliced-records", "16"],
  ...["--progress", "quiet", "--out", out, ...extra],
];

async function run(argv: string[]) {
  await startTfjsBackend("wasm");
  const { options, configHash } = await parseTask(trainSaeTask, argv);
  return await trainSaeRun(options, { configHash });
}

const weights = (out: string) => Deno.readFile(`${out}/${SAE_FOLDER}/sae_weights.safetensors`);
const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

Deno.test("train-sae: the SAELens folder reloads and encodes like the trainer's SAE; held-out and spliced numbers", async () => {
  await using out = await tempDir();
  const summary = await run(args(out.path));
  assert.equal(summary.run.steps, 60);
  assert.equal(summary.hook, "blocks.2.hook_resid_post");
  const heldOut = summary.heldOut!;
  assert.ok(heldOut.tokens > 1000, `held-out tokens ${heldOut.tokens}`);
  assert.ok(heldOut.meanL0 <= 8 && heldOut.meanL0 > 6, `L0 ${heldOut.meanL0}`);
  // 60 small steps already explain most of the variance and keep most of the model's next-token loss.
  assert.ok(heldOut.fvu! < 0.5, `FVU ${heldOut.fvu}`);
  assert.ok(summary.spliced!.lossRecovered > 0.7, `loss recovered ${summary.spliced!.lossRecovered}`);
  assert.ok(summary.spliced!.predictions > 100);
  const onDisk = JSON.parse(await Deno.readTextFile(`${out.path}/${TRAIN_SUMMARY_FILE}`));
  assert.equal(onDisk.configHash, summary.configHash);
  const log = (await Deno.readTextFile(`${out.path}/${LOG_FILE}`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.step), Array.from({ length: 12 }, (_, i) => 5 * (i + 1)));
  assert.deepEqual(log.map((l) => l.tokens), log.map((l) => 256 * l.step), "rows trained so far");
  assert.ok(log.every((l) => l.intervalTokens === 5 * 256 && l.intervalDead >= 0 && l.intervalDense >= 0));

  // The saved folder against the trainer restored from the final checkpoint: same features on the same rows.
  const saved = await loadSaeLens(`${out.path}/${SAE_FOLDER}`);
  assert.equal(saved.hookName, "blocks.2.hook_resid_post");
  assert.equal(saved.architecture, "topk");
  assert.equal(saved.k, 8);
  assert.equal(saved.normalization.kind, "none");
  const trainer = await SaeTrainer.resume(`${out.path}/${CHECKPOINT_FILE}`, summary.config);
  const trained = await trainer.toSpec({ id: "trained" });
  trainer.dispose();
  const gaussian = standardNormal(mulberry32(5));
  const rows = 64;
  const x = Float32Array.from({ length: rows * 64 }, () => 3 * gaussian());
  const [a, b] = [await SaeEncoder.create(saved), await SaeEncoder.create(trained)];
  try {
    const [fa, fb] = [(await a.encode(x, rows)).features, (await b.encode(x, rows)).features];
    assert.deepEqual(fa.rowPtr, fb.rowPtr);
    assert.deepEqual(fa.indices, fb.indices);
    for (let i = 0; i < fa.values.length; i++) {
      assert.ok(Math.abs(fa.values[i] - fb.values[i]) <= 1e-5 * (1 + Math.abs(fb.values[i])), `value ${i}`);
    }
  } finally {
    await a.release();
    await b.release();
  }
});

Deno.test("train-sae: a run killed with SIGKILL resumes to the same SAE bytes; the activation cache changes nothing", async () => {
  await using clean = await tempDir();
  await using killed = await tempDir();
  await using cached = await tempDir();
  await run(args(clean.path));
  const reference = await weights(clean.path);

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN_SAE, ...args(killed.path)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const hasStep = async (step: number) => {
    const log = await Deno.readTextFile(`${killed.path}/${LOG_FILE}`).catch(() => "");
    return log.split("\n").some((line) => line && JSON.parse(line).step >= step);
  };
  while (!(await hasStep(25))) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGKILL");
  await child.status;
  assert.ok(!(await Deno.stat(`${killed.path}/${TRAIN_SUMMARY_FILE}`).catch(() => undefined)), "killed before the end");
  await using checkpoint = await SafetensorsFile.open(`${killed.path}/${CHECKPOINT_FILE}`);
  const checkpointSteps = JSON.parse(checkpoint.metadata.saeflow_sae_checkpoint).steps;
  assert.ok(checkpointSteps >= 20 && checkpointSteps < 60, `checkpoint at ${checkpointSteps}`);

  const resumed = await run(args(killed.path));
  assert.equal(resumed.run.resumedAt, checkpointSteps);
  assert.equal(resumed.run.steps, 60 - checkpointSteps);
  assert.ok(equalBytes(await weights(killed.path), reference), "resumed SAE equals the uninterrupted one");
  const log = (await Deno.readTextFile(`${killed.path}/${LOG_FILE}`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.step), Array.from({ length: 12 }, (_, i) => 5 * (i + 1)), "no step logged twice");

  const cache = `${cached.path}/cache`;
  const first = await run(args(`${cached.path}/a`, "--activation-cache", cache));
  const second = await run(args(`${cached.path}/b`, "--activation-cache", cache));
  assert.equal(first.activationCache, "written");
  assert.equal(second.activationCache, "read");
  assert.ok(equalBytes(await weights(`${cached.path}/a`), reference), "trained from a fresh cache");
  assert.ok(equalBytes(await weights(`${cached.path}/b`), reference), "trained from the cache");
});

Deno.test("train-sae: Ctrl-C (SIGINT) saves a checkpoint at the step reached and exits 130; the rerun resumes to the same bytes", async () => {
  await using clean = await tempDir();
  await using interrupted = await tempDir();
  // No periodic checkpoint in the run: the one found afterwards is the interrupt's.
  const argv = (out: string) => args(out, "--checkpoint-every", "1000", "--steps", "200");
  await run(argv(clean.path));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN_SAE, ...argv(interrupted.path)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logged = async (step: number) => {
    const log = await Deno.readTextFile(`${interrupted.path}/${LOG_FILE}`).catch(() => "");
    return log.split("\n").some((line) => line && JSON.parse(line).step >= step);
  };
  while (!(await logged(30))) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGINT");
  const { code, stderr } = await child.output();
  assert.equal(code, 130, new TextDecoder().decode(stderr));
  assert.match(new TextDecoder().decode(stderr), /train-sae: interrupted; a checkpoint is written at the step reached/);
  await using checkpoint = await SafetensorsFile.open(`${interrupted.path}/${CHECKPOINT_FILE}`);
  const steps = JSON.parse(checkpoint.metadata.saeflow_sae_checkpoint).steps;
  assert.ok(steps >= 30 && steps < 200, `checkpoint at step ${steps}`);
  const resumed = await run(argv(interrupted.path));
  assert.equal(resumed.run.resumedAt, steps);
  assert.ok(
    equalBytes(await weights(interrupted.path), await weights(clean.path)),
    "resumed SAE equals the uninterrupted one",
  );
});

Deno.test("train-sae: --eval-every logs held-out numbers while training, and changes nothing it trains", async () => {
  await using plain = await tempDir();
  await using evaluated = await tempDir();
  await run(args(plain.path));
  const summary = await run(args(evaluated.path, "--eval-every", "20", "--eval-tokens", "2000"));
  assert.ok(equalBytes(await weights(evaluated.path), await weights(plain.path)), "the same SAE");
  const log = (await Deno.readTextFile(`${evaluated.path}/${LOG_FILE}`)).trim().split("\n").map((l) => JSON.parse(l));
  const evaluations = log.filter((line) => line.heldOut);
  assert.deepEqual(evaluations.map((line) => line.step), [20, 40, 60]);
  for (const { heldOut, spliced } of evaluations) {
    assert.ok(heldOut.tokens >= 2000 && heldOut.tokens < 2000 + 16 * 128, `held-out tokens ${heldOut.tokens}`);
    assert.ok(spliced.predictions > 0 && Number.isFinite(spliced.lossRecovered));
  }
  assert.ok(evaluations[2].heldOut.fvu < evaluations[0].heldOut.fvu, "held-out FVU falls while training");
  // The final evaluation covers every held-out record; the spliced records are the same ones.
  assert.deepEqual(evaluations[2].spliced.predictions, summary.spliced!.predictions);
});

Deno.test("train-sae: other settings into a checkpointed directory, or too little data, fail clearly", async () => {
  await using out = await tempDir();
  await run(args(out.path, "--steps", "10"));
  await assert.rejects(run(args(out.path, "--steps", "10", "--lr", "1e-3")), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /checkpoint of another training run: learningRate 0.003 there, 0.001 now/);
    return true;
  });
  // Another record batch size orders the rows differently: the checkpoint's data key says so.
  await assert.rejects(run(args(out.path, "--steps", "10", "--batch-size", "4")), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /checkpoint of a run on other data/);
    return true;
  });
  await assert.rejects(
    run(args(out.path, "--eval-fraction", "0", "--eval-every", "5")),
    /--eval-every evaluates on held-out records: give --eval-fraction > 0/,
  );
  await using small = await tempDir();
  await assert.rejects(run(args(small.path, "--limit", "3", "--train-batch", "4096")), (e) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /an epoch gave no batch of 4096 rows/);
    return true;
  });
});

Deno.test("train-sae: the saved SAE names its model by Hub id, or by a local file's or folder's base name", () => {
  assert.equal(modelIdOf("google/gemma-2-2b"), "google/gemma-2-2b");
  assert.equal(modelIdOf(sharedModel("stories260K/stories260K.bin")), "stories260K");
  assert.equal(modelIdOf("data/saes/"), "saes", "an existing relative folder is local, not a Hub id");
});

Deno.test("train-sae --dataset brown trains on the Brown corpus offline; other tasks refuse it", async () => {
  await using out = await tempDir();
  const brown = args(out.path, "--steps", "5", "--limit", "300").map((a, i, all) =>
    all[i - 1] === "--dataset" ? "brown" : a
  );
  const summary = await run(brown);
  assert.equal(summary.dataset, "brown");
  assert.equal(summary.run.steps, 5);
  assert.ok(summary.heldOut!.tokens > 100, `held-out Brown tokens: ${summary.heldOut!.tokens}`);
  await assert.rejects(
    datasetSpec({ dataset: "brown", header: true, skipBad: false }),
    /--dataset brown: only deno task train-sae reads the Brown corpus/,
  );
});
