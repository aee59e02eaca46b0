/**
 * `deno task train-sae`: a TopK or JumpReLU sparse autoencoder trained on a model's activations at one hook, on
 * tfjs (wasm by default, webgpu, or tfjs-node's tensorflow). Rows stream from the model (or an activation cache)
 * through a shuffle buffer; checkpoints let a killed run resume to the same bits; held-out records measure L0, FVU,
 * dead and dense features, and the next-token loss with the SAE spliced in; the SAE is saved in the SAELens format.
 * @module
 */
import { ConfigError, configHash, type ProgressMode } from "@saeflow/core";
import { type ForwardModel, loadDecoder } from "@saeflow/forward";
import { writeJsonAtomic } from "@saeflow/io";
import {
  B_DEC_INITS,
  type BDecInit,
  evaluateSae,
  resolveTrainingConfig,
  saveSaeLens,
  splicedLoss,
  startTfjsBackend,
  TFJS_BACKENDS,
  type TfjsBackend,
  TRAINABLE_ARCHITECTURES,
  type TrainableArchitecture,
  trainSae,
} from "@saeflow/sae";
import { PeakRss } from "./lib/peak_rss.ts";
import { runTask, type TaskDefinition } from "./lib/cli.ts";
import { addDatasetOptions, type DatasetFlags, datasetSpec } from "./lib/dataset_options.ts";
import { addModelOptions, loadTokenizerFor, type ModelFlags, modelIdOf } from "./lib/model_options.ts";
import { addProgressOption, nonNegativeInteger, numberIn, oneOf, positiveInteger } from "./lib/parse.ts";
import { StepLog } from "./lib/log_file.ts";
import { hookOf, SAE_FOLDER } from "./lib/sae_sources.ts";
import { trainingRows } from "./lib/train_sae/activation_source.ts";
import { firstBatches, heldOutRows, HeldOutSet } from "./lib/train_sae/held_out.ts";
import { epochBatches } from "./lib/train_sae/epoch_batches.ts";

/** Options of `deno task train-sae`. */
export interface TrainSaeTaskOptions extends DatasetFlags, ModelFlags {
  layer: number;
  site: string;
  architecture: TrainableArchitecture;
  width: number;
  k: number;
  l0Coefficient: number;
  l0WarmupSteps: number;
  bandwidth: number;
  steps: number;
  trainBatch: number;
  lr?: number;
  warmupSteps: number;
  decaySteps: number;
  auxCoefficient: number;
  deadAfter: number;
  bDecInit: BDecInit;
  seed: number;
  shuffleBuffer: number;
  backend: TfjsBackend;
  activationCache?: string;
  evalFraction: number;
  splicedRecords: number;
  evalEvery: number;
  evalTokens: number;
  heldOutTokens: number;
  checkpointEvery: number;
  logEvery: number;
  limit?: number;
  modelId?: string;
  out: string;
  progress: ProgressMode;
}

/** `_train.json`: the run, its settings and what it measured. */
export interface TrainSaeSummary {
  configHash: string;
  model: string;
  hook: string;
  dataset: string;
  backend: TfjsBackend;
  config: ReturnType<typeof resolveTrainingConfig>;
  activationCache: "none" | "read" | "written";
  run: {
    resumedAt: number;
    steps: number;
    tokens: number;
    seconds: number;
    tokensPerSecond: number;
    peakRssMb: number;
  };
  final: Record<string, number>;
  /** Absent with `--eval-fraction 0`. */
  heldOut?: Awaited<ReturnType<typeof evaluateSae>>;
  spliced?: Awaited<ReturnType<typeof splicedLoss>>;
  sae: string;
}

export const TRAIN_SUMMARY_FILE = "_train.json";
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const LOG_FILE = "train_log.jsonl";
export { SAE_FOLDER };

/** Runs (or resumes) a training run and writes the SAE, the log and the summary into `options.out`. */
export async function trainSaeRun(
  options: TrainSaeTaskOptions,
  { configHash: hash, signal }: { configHash: string; signal?: AbortSignal },
): Promise<TrainSaeSummary> {
  await startTfjsBackend(options.backend);
  const spec = await datasetSpec(options, { brown: true });
  const hook = hookOf(options.layer, options.site);
  const tokenizer = await loadTokenizerFor(options);
  if (options.evalEvery > 0 && options.evalFraction === 0) {
    throw new ConfigError("--eval-every evaluates on held-out records: give --eval-fraction > 0");
  }
  let model: ForwardModel | undefined = await loadDecoder(options.model, { hooks: [hook], threads: options.threads });
  const modelId = options.modelId ?? modelIdOf(options.model);
  const peakRss = new PeakRss(200);
  try {
    const source = {
      spec,
      tokenizer,
      model,
      hook,
      maxTokens: options.maxTokens,
      batchSize: options.batchSize,
      evalFraction: options.evalFraction,
      seed: options.seed,
      limit: options.limit,
      signal,
    };
    const config = resolveTrainingConfig({
      architecture: options.architecture,
      dIn: model.info.dModel,
      dSae: options.width,
      totalSteps: options.steps,
      batchSize: options.trainBatch,
      seed: options.seed,
      ...(options.lr !== undefined && { learningRate: options.lr }),
      warmupSteps: options.warmupSteps,
      decaySteps: options.decaySteps,
      bDecInit: options.bDecInit,
      deadAfterTokens: options.deadAfter,
      k: options.k,
      auxCoefficient: options.auxCoefficient,
      l0Coefficient: options.l0Coefficient,
      l0WarmupSteps: options.l0WarmupSteps,
      bandwidth: options.bandwidth,
    });
    await Deno.mkdir(options.out, { recursive: true });
    // What the rows are (the cache's key), and what else the batches depend on (the checkpoint's). The record batch
    // size belongs to both: length bucketing orders records within windows of its size.
    const rowsSettings = {
      model: options.model,
      tokenizer: options.tokenizer ?? null,
      hook,
      dataset: spec,
      maxTokens: options.maxTokens,
      batchSize: options.batchSize,
      evalFraction: options.evalFraction,
      seed: options.seed,
      limit: options.limit ?? null,
    };
    const cacheKey = await configHash(rowsSettings);
    const dataKey = await configHash({ ...rowsSettings, shuffleBuffer: options.shuffleBuffer });
    const rows = await trainingRows(
      source,
      options.activationCache ? { dir: options.activationCache, key: cacheKey, modelId } : undefined,
    );
    const log = new StepLog({
      path: `${options.out}/${LOG_FILE}`,
      every: options.logEvery,
      totalSteps: config.totalSteps,
      label: `train-sae ${hook}`,
      mode: options.progress,
    });
    let last: Record<string, number> = {};
    const evalSet = options.evalEvery > 0
      ? await HeldOutSet.collect(source, { tokens: options.evalTokens, records: options.splicedRecords })
      : undefined;
    const evalId = `${modelId}/${hook}`;
    let result;
    try {
      result = await trainSae({
        config,
        batches: epochBatches({
          read: rows.read,
          dIn: config.dIn,
          batchSize: config.batchSize,
          capacity: options.shuffleBuffer,
          seed: options.seed,
        }),
        checkpoint: { path: `${options.out}/${CHECKPOINT_FILE}`, every: options.checkpointEvery, dataKey },
        signal,
        onStep: async (metrics, trainer) => {
          last = { ...metrics };
          const evaluate = evalSet && metrics.step % options.evalEvery === 0;
          if (log.step(metrics.step, config.batchSize, !!evaluate)) {
            // Since the previous line: tokens, latents that never fired, latents firing on > 10% of them.
            const { tokens: intervalTokens, deadFraction: intervalDead, denseFraction: intervalDense } = trainer
              .activity.report();
            const activity = { intervalTokens, intervalDead, intervalDense };
            const evaluation = evaluate
              ? await evalSet.evaluate(
                await trainer.toSpec({ id: evalId, hookName: hook }),
                options.model,
                options.threads,
              )
              : {};
            log.write({ ...metrics, ...activity, ...evaluation, rssMb: Deno.memoryUsage().rss / 2 ** 20, hash });
          }
        },
      });
    } finally {
      log.close();
    }
    log.finish();
    const { trainer } = result;
    try {
      const sae = await trainer.toSpec({
        id: `${modelId}/${hook}/${config.architecture}-${config.dSae}`,
        hookName: hook,
        modelId: modelId,
      });
      // The SAE first: an evaluation that fails (out of memory on a big model, say) must not cost the training.
      const saeFolder = `${options.out}/${SAE_FOLDER}`;
      await saveSaeLens(saeFolder, sae, {
        metadata: {
          dataset_path: spec.name ?? options.dataset,
          context_size: options.maxTokens,
          saeflow_training: config,
        },
      });
      const heldOut = options.evalFraction > 0
        ? await evaluateSae(sae, await heldOutRows(source, options.heldOutTokens), { threads: options.threads })
        : undefined;
      const splicedBatches = await firstBatches(source, options.splicedRecords);
      await model.release(); // splicedLoss loads its own copies, one at a time
      model = undefined;
      const spliced = splicedBatches.length > 0
        ? await splicedLoss(options.model, sae, splicedBatches, { threads: options.threads })
        : undefined;
      const summary: TrainSaeSummary = {
        configHash: hash,
        model: modelId,
        hook,
        dataset: spec.name ?? options.dataset,
        backend: options.backend,
        config,
        activationCache: rows.cached,
        run: {
          resumedAt: result.resumedAt,
          steps: result.steps,
          tokens: result.steps * config.batchSize,
          seconds: result.seconds,
          tokensPerSecond: (result.steps * config.batchSize) / Math.max(result.seconds, 1e-9),
          peakRssMb: peakRss.mebibytes(),
        },
        final: last,
        ...(heldOut && { heldOut }),
        ...(spliced && { spliced }),
        sae: saeFolder,
      };
      await writeJsonAtomic(`${options.out}/${TRAIN_SUMMARY_FILE}`, summary);
      return summary;
    } finally {
      trainer.dispose();
    }
  } finally {
    peakRss.stop();
    await model?.release();
  }
}

export const trainSaeTask: TaskDefinition<TrainSaeTaskOptions> = {
  name: "train-sae",
  summary: "Train a TopK or JumpReLU SAE on a model's activations at one hook (tfjs); resumable; saved as SAELens",
  options: (command) =>
    addProgressOption(
      addModelOptions(addDatasetOptions(command))
        .requiredOption("--layer <n>", "layer to read (0-based)", nonNegativeInteger("--layer"))
        .option(
          "--site <point>",
          "hook point of the layer",
          oneOf("--site", ["resid_pre", "attn_out", "resid_mid", "mlp_out", "resid_post"]),
          "resid_post",
        )
        .option(
          "--architecture <name>",
          TRAINABLE_ARCHITECTURES.join(" | "),
          oneOf("--architecture", TRAINABLE_ARCHITECTURES),
          "topk",
        )
        .requiredOption("--width <n>", "latents (d_sae)", positiveInteger("--width"))
        .option("--k <n>", "TopK: latents kept per token", positiveInteger("--k"), 32)
        .option(
          "--l0-coefficient <λ>",
          "JumpReLU: L0 penalty coefficient",
          numberIn("--l0-coefficient", 0, Infinity),
          1e-3,
        )
        .option(
          "--l0-warmup-steps <n>",
          "JumpReLU: steps over which λ rises from 0",
          nonNegativeInteger("--l0-warmup-steps"),
          0,
        )
        .option(
          "--bandwidth <ε>",
          "JumpReLU: straight-through kernel width",
          numberIn("--bandwidth", 1e-12, Infinity),
          0.001,
        )
        .requiredOption("--steps <n>", "training steps", positiveInteger("--steps"))
        .option("--train-batch <rows>", "activation rows per step", positiveInteger("--train-batch"), 4096)
        .option("--lr <rate>", "peak learning rate (default 4e-4 TopK, 7e-5 JumpReLU)", numberIn("--lr", 1e-12, 1))
        .option("--warmup-steps <n>", "linear learning-rate warm-up", nonNegativeInteger("--warmup-steps"), 100)
        .option("--decay-steps <n>", "linear decay to 0 over the last n steps", nonNegativeInteger("--decay-steps"), 0)
        .option("--aux-coefficient <α>", "TopK: AuxK weight", numberIn("--aux-coefficient", 0, Infinity), 1 / 32)
        .option(
          "--dead-after <tokens>",
          "a latent silent this long is dead",
          positiveInteger("--dead-after"),
          1_000_000,
        )
        .option("--b-dec-init <how>", B_DEC_INITS.join(" | "), oneOf("--b-dec-init", B_DEC_INITS), "geometric-median")
        .option("--seed <n>", "initialisation, shuffling and held-out split seed", nonNegativeInteger("--seed"), 0)
        .option("--shuffle-buffer <rows>", "rows held for shuffling", positiveInteger("--shuffle-buffer"), 65_536)
        .option("--backend <name>", TFJS_BACKENDS.join(" | "), oneOf("--backend", TFJS_BACKENDS), "wasm")
        .option("--activation-cache <dir>", "write the training rows here once, then train from the cache")
        .option("--eval-fraction <f>", "records held out for evaluation", numberIn("--eval-fraction", 0, 0.5), 0.05)
        .option(
          "--spliced-records <n>",
          "held-out records for the spliced next-token loss (0: skip)",
          nonNegativeInteger("--spliced-records"),
          64,
        )
        .option(
          "--eval-every <steps>",
          "also evaluate on held-out rows (L0, FVU, dead, dense, spliced loss) every n steps, into the log (0: at the end only)",
          nonNegativeInteger("--eval-every"),
          0,
        )
        .option(
          "--eval-tokens <n>",
          "held-out rows kept in memory for --eval-every",
          positiveInteger("--eval-tokens"),
          16_384,
        )
        .option(
          "--held-out-tokens <n>",
          "held-out rows the final evaluation reads (at most about this many)",
          positiveInteger("--held-out-tokens"),
          262_144,
        )
        .option("--checkpoint-every <steps>", "checkpoint interval", positiveInteger("--checkpoint-every"), 500)
        .option("--log-every <steps>", "train_log.jsonl interval", positiveInteger("--log-every"), 50)
        .option("--limit <n>", "read at most this many records", positiveInteger("--limit"))
        .option("--model-id <name>", "the model's name in the saved SAE (default: Hub id, or file/folder base name)")
        .option("--out <dir>", "output directory", "out/train-sae"),
    ),
  keptOnInterrupt: "a checkpoint is written at the step reached",
  presentational: [
    "out",
    "progress",
    "threads",
    "activationCache",
    "checkpointEvery",
    "logEvery",
    "evalEvery",
    "evalTokens",
  ],
  async run(options, context) {
    const summary = await trainSaeRun(options, context);
    const { run, heldOut, spliced } = summary;
    console.log(
      `${summary.sae}: ${summary.config.architecture} ${summary.config.dSae} latents at ${summary.hook}; ` +
        `${run.steps} steps this run (from ${run.resumedAt}), ${Math.round(run.tokensPerSecond)} tokens/s, ` +
        `peak RSS ${Math.round(run.peakRssMb)} MiB`,
    );
    console.log(
      !heldOut || heldOut.tokens === 0
        ? "held out: no records (--eval-fraction 0, or none drawn)"
        : `held out (${heldOut.tokens} tokens): L0 ${heldOut.meanL0.toFixed(1)}, FVU ${heldOut.fvu?.toFixed(4)}, ` +
          `dead ${(100 * heldOut.deadFraction).toFixed(1)}%, dense ${(100 * heldOut.denseFraction).toFixed(1)}%`,
    );
    if (spliced) {
      const sign = spliced.lossIncrease >= 0 ? "+" : "";
      console.log(
        `spliced next-token loss: clean ${spliced.cleanLoss.toFixed(4)}, with SAE ${spliced.splicedLoss.toFixed(4)} ` +
          `(${sign}${spliced.lossIncrease.toFixed(4)}), zero-ablated ${spliced.zeroAblatedLoss.toFixed(4)}; ` +
          `loss recovered ${(100 * spliced.lossRecovered).toFixed(1)}%`,
      );
    }
  },
};

if (import.meta.main) await runTask(trainSaeTask);
