/**
 * `deno task train-lm`: the project's own small causal language model, trained from nothing on the Brown corpus, on
 * tfjs (wasm by default). The sentences are split by a seeded hash of their ids, a byte-level BPE tokenizer is trained
 * on the training side, and a Llama decoder learns next-token prediction on packed rows with AdamW, a warm-up and a
 * cosine decay, and clipped gradients. Validation loss is measured against unigram and bigram baselines; checkpoints
 * let a stopped run (Ctrl-C, a kill) resume to the same bits. The result is a Hugging Face folder that `loadDecoder`
 * runs and `loadHfTokenizer` tokenizes for.
 * @module
 */
import { configHash, type ProgressMode } from "@saeflow/core";
import { writeJsonAtomic } from "@saeflow/io";
import {
  type LlamaConfig,
  type LmStepMetrics,
  type LmTrainer,
  type LmTrainingConfig,
  LR_SCHEDULES,
  type LrSchedule,
  type NgramBaselines,
  ngramBaselines,
  resolveLmTrainingConfig,
  saveLlamaFolder,
  ShuffledBatches,
  trainLm,
  type ValidationLoss,
  validationLoss,
} from "@saeflow/lm";
import { startTfjsBackend, TFJS_BACKENDS, type TfjsBackend } from "@saeflow/sae";
import { PeakRss } from "./lib/peak_rss.ts";
import { runTask, type TaskDefinition } from "./lib/cli.ts";
import { addProgressOption, listOf, nonNegativeInteger, numberIn, oneOf, positiveInteger } from "./lib/parse.ts";
import { StepLog } from "./lib/log_file.ts";
import { prepareLmData } from "./lib/train_lm/lm_data.ts";

/** Options of `deno task train-lm`. */
export interface TrainLmTaskOptions {
  dModel: number;
  layers: number;
  heads: number;
  /** Default: `heads` (no grouped-query attention). */
  kvHeads?: number;
  /** Default: 4 × dModel. */
  dFf?: number;
  seqLen: number;
  tieEmbeddings: boolean;
  vocabSize: number;
  steps: number;
  batchSize: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  schedule: LrSchedule;
  weightDecay: number;
  gradClip: number;
  seed: number;
  validationFraction: number;
  limit?: number;
  categories?: string[];
  evalEvery: number;
  evalRows: number;
  checkpointEvery: number;
  logEvery: number;
  backend: TfjsBackend;
  out: string;
  progress: ProgressMode;
}

/** A loss and its perplexity. */
export interface LossSummary {
  loss: number;
  perplexity: number;
}

/** `_train.json`: the run, its settings and what it measured. */
export interface TrainLmSummary {
  configHash: string;
  dataKey: string;
  backend: TfjsBackend;
  model: Readonly<LlamaConfig>;
  parameters: number;
  config: LmTrainingConfig;
  corpus: {
    name: "brown";
    sentences: { train: number; validation: number };
    rows: { train: number; validation: number };
    tokens: { train: number; validation: number };
    tokenizer: { vocabSize: number; merges: number };
  };
  baselines: { unigram: LossSummary; bigram: LossSummary; tokens: number };
  /** The final model on every validation row. */
  final: ValidationLoss;
  /** The training loss of the last step taken (absent when the run was already complete). */
  lastTrainLoss?: number;
  run: {
    resumedAt: number;
    steps: number;
    tokens: number;
    epochs: number;
    seconds: number;
    tokensPerSecond: number;
    peakRssMb: number;
  };
  /** The Hugging Face folder. */
  folder: string;
}

export const TRAIN_SUMMARY_FILE = "_train.json";
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const LOG_FILE = "train_log.jsonl";
export const MODEL_FOLDER = "model";

/** What the run function gets besides its options. */
export interface TrainLmContext {
  configHash: string;
  /** Aborted: the run writes a checkpoint between steps and throws. */
  signal?: AbortSignal;
  /** Called after every step (after its log line): an observer for progress displays and tests. */
  onStep?: (metrics: LmStepMetrics) => void;
}

/** Runs (or resumes) a training run and writes the model folder, the log and the summary into `options.out`. */
export async function trainLmRun(options: TrainLmTaskOptions, context: TrainLmContext): Promise<TrainLmSummary> {
  const { configHash: hash, signal } = context;
  await startTfjsBackend(options.backend);
  const folder = `${options.out}/${MODEL_FOLDER}`;
  const peakRss = new PeakRss(200);
  try {
    const corpusSettings = {
      seed: options.seed,
      validationFraction: options.validationFraction,
      limit: options.limit,
      categories: options.categories,
      vocabSize: options.vocabSize,
      seqLen: options.seqLen,
    };
    const data = await prepareLmData(corpusSettings, folder, signal);
    const { train, validation, tokenizerFiles } = data;
    const baselines = ngramBaselines(train, validation, tokenizerFiles.vocabSize);
    const modelConfig: LlamaConfig = {
      vocabSize: tokenizerFiles.vocabSize,
      dModel: options.dModel,
      nLayers: options.layers,
      nHeads: options.heads,
      nKvHeads: options.kvHeads ?? options.heads,
      dFf: options.dFf ?? 4 * options.dModel,
      maxSeqLen: options.seqLen,
      ropeTheta: 10000,
      rmsNormEps: 1e-5,
      tieEmbeddings: options.tieEmbeddings,
    };
    const config = resolveLmTrainingConfig({
      totalSteps: options.steps,
      batchSize: options.batchSize,
      seqLen: options.seqLen,
      learningRate: options.lr,
      minLearningRateRatio: options.minLrRatio,
      warmupSteps: options.warmupSteps,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      gradClip: options.gradClip,
      seed: options.seed,
    });
    // Everything the rows depend on, the tokenizer's exact text included: a checkpoint is resumed only on the same.
    const dataKey = await configHash({
      corpus: { ...corpusSettings, limit: options.limit ?? null, categories: options.categories ?? null },
      tokenizer: await configHash(tokenizerFiles.tokenizerJson),
    });
    const batches = new ShuffledBatches(train, { batchSize: config.batchSize, seed: config.seed });
    const evalOptions = { batchSize: config.batchSize, maxRows: options.evalRows };
    const log = new StepLog({
      path: `${options.out}/${LOG_FILE}`,
      every: options.logEvery,
      totalSteps: config.totalSteps,
      label: "train-lm",
      mode: options.progress,
    });
    let last: LmStepMetrics | undefined;
    // tokens/s of the log lines: training time only, evaluations left out
    let intervalStart = performance.now();
    let intervalTokens = 0;
    const onStep = async (metrics: LmStepMetrics, trainer: LmTrainer) => {
      last = metrics;
      intervalTokens += config.batchSize * config.seqLen;
      const evaluate = options.evalEvery > 0 &&
        (metrics.step % options.evalEvery === 0 || metrics.step === config.totalSteps);
      if (log.step(metrics.step, config.batchSize * config.seqLen, evaluate)) {
        const seconds = (performance.now() - intervalStart) / 1000;
        const evaluation = evaluate ? await validationLoss(trainer.model, validation, evalOptions) : undefined;
        log.write({
          ...metrics,
          ...(evaluation && { valLoss: evaluation.loss, valPerplexity: evaluation.perplexity }),
          tokensPerSecond: intervalTokens / Math.max(seconds, 1e-9),
          rssMb: Deno.memoryUsage().rss / 2 ** 20,
        });
        intervalStart = performance.now();
        intervalTokens = 0;
      }
      context.onStep?.(metrics);
    };
    let result;
    try {
      result = await trainLm({
        modelConfig,
        config,
        batch: (step) => batches.batch(step),
        checkpoint: { path: `${options.out}/${CHECKPOINT_FILE}`, every: options.checkpointEvery, dataKey },
        onStep,
        signal,
      });
    } finally {
      log.close();
    }
    log.finish();
    const { trainer } = result;
    try {
      const params = await trainer.toParams();
      await saveLlamaFolder(folder, modelConfig, params, tokenizerFiles, {
        saeflow_training: { corpus: "brown", configHash: hash, steps: trainer.steps, seed: config.seed },
      });
      const final = await validationLoss(trainer.model, validation, { batchSize: config.batchSize });
      const tokens = result.steps * config.batchSize * config.seqLen;
      const summary: TrainLmSummary = {
        configHash: hash,
        dataKey,
        backend: options.backend,
        model: trainer.modelConfig,
        parameters: Object.values(params).reduce((n, p) => n + p.data.length, 0),
        config,
        corpus: {
          name: "brown",
          sentences: data.sentences,
          rows: { train: train.count, validation: validation.count },
          tokens: { train: train.count * train.seqLen, validation: validation.count * validation.seqLen },
          tokenizer: { vocabSize: tokenizerFiles.vocabSize, merges: tokenizerFiles.merges },
        },
        baselines: withPerplexities(baselines),
        final,
        ...(last && { lastTrainLoss: last.loss }),
        run: {
          resumedAt: result.resumedAt,
          steps: result.steps,
          tokens,
          epochs: batches.epochOf(trainer.steps),
          seconds: result.seconds,
          tokensPerSecond: tokens / Math.max(result.seconds, 1e-9),
          peakRssMb: peakRss.mebibytes(),
        },
        folder,
      };
      await writeJsonAtomic(`${options.out}/${TRAIN_SUMMARY_FILE}`, summary);
      return summary;
    } finally {
      trainer.dispose();
    }
  } finally {
    peakRss.stop();
  }
}

function withPerplexities({ unigram, bigram, tokens }: NgramBaselines): TrainLmSummary["baselines"] {
  return {
    unigram: { loss: unigram, perplexity: Math.exp(unigram) },
    bigram: { loss: bigram, perplexity: Math.exp(bigram) },
    tokens,
  };
}

export const trainLmTask: TaskDefinition<TrainLmTaskOptions> = {
  name: "train-lm",
  summary: "Train the project's own small Llama LM on the Brown corpus (BPE tokenizer + tfjs); resumable; saved as a " +
    "Hugging Face folder",
  options: (command) =>
    addProgressOption(
      command
        .option("--d-model <n>", "residual stream width", positiveInteger("--d-model"), 128)
        .option("--layers <n>", "decoder layers", positiveInteger("--layers"), 4)
        .option("--heads <n>", "attention heads", positiveInteger("--heads"), 4)
        .option("--kv-heads <n>", "key/value heads (default: --heads)", positiveInteger("--kv-heads"))
        .option("--d-ff <n>", "SwiGLU MLP width (default: 4 × --d-model)", positiveInteger("--d-ff"))
        .option("--seq-len <n>", "tokens per training row (and the model's context)", positiveInteger("--seq-len"), 128)
        .option("--no-tie-embeddings", "a separate output projection instead of the embedding matrix")
        .option(
          "--vocab-size <n>",
          "BPE vocabulary (3 specials + 256 bytes + merges)",
          positiveInteger("--vocab-size"),
          4096,
        )
        .option("--steps <n>", "training steps", positiveInteger("--steps"), 2000)
        .option("--batch-size <rows>", "rows per step", positiveInteger("--batch-size"), 16)
        .option("--lr <rate>", "peak learning rate", numberIn("--lr", 1e-12, 1), 1e-3)
        .option("--min-lr-ratio <r>", "final learning rate / peak", numberIn("--min-lr-ratio", 0, 1), 0.1)
        .option("--warmup-steps <n>", "linear learning-rate warm-up", nonNegativeInteger("--warmup-steps"), 100)
        .option("--schedule <name>", LR_SCHEDULES.join(" | "), oneOf("--schedule", LR_SCHEDULES), "cosine")
        .option("--weight-decay <λ>", "AdamW decoupled weight decay", numberIn("--weight-decay", 0, Infinity), 0.1)
        .option(
          "--grad-clip <norm>",
          "clip gradients to this global norm (0: off)",
          numberIn("--grad-clip", 0, Infinity),
          1,
        )
        .option("--seed <n>", "split, initialisation and shuffling seed", nonNegativeInteger("--seed"), 0)
        .option(
          "--validation-fraction <f>",
          "sentences held out for validation",
          numberIn("--validation-fraction", 0, 0.5),
          0.05,
        )
        .option("--limit <n>", "read only the first n sentences of the corpus", positiveInteger("--limit"))
        .option(
          "--categories <names...>",
          "only these Brown genres (news, fiction, ...)",
          listOf((s: string) => s, [] as string[]),
        )
        .option(
          "--eval-every <steps>",
          "validation loss every n steps, into the log (0: at the end only)",
          nonNegativeInteger("--eval-every"),
          200,
        )
        .option("--eval-rows <n>", "validation rows of the periodic evaluation", positiveInteger("--eval-rows"), 64)
        .option("--checkpoint-every <steps>", "checkpoint interval", positiveInteger("--checkpoint-every"), 200)
        .option("--log-every <steps>", "train_log.jsonl interval", positiveInteger("--log-every"), 10)
        .option("--backend <name>", TFJS_BACKENDS.join(" | "), oneOf("--backend", TFJS_BACKENDS), "wasm")
        .option("--out <dir>", "output directory", "out/train-lm"),
    ),
  keptOnInterrupt: "a checkpoint is written at the step reached",
  presentational: ["out", "progress", "checkpointEvery", "logEvery", "evalEvery", "evalRows"],
  async run(options, context) {
    const summary = await trainLmRun(options, context);
    const { run, final, baselines, model } = summary;
    console.log(
      `${summary.folder}: Llama ${model.dModel}×${model.nLayers} (${summary.parameters} parameters, vocabulary ` +
        `${model.vocabSize}); ${run.steps} steps this run (from ${run.resumedAt}), ${run.epochs.toFixed(2)} epochs, ` +
        `${Math.round(run.tokensPerSecond)} tokens/s, peak RSS ${Math.round(run.peakRssMb)} MiB`,
    );
    console.log(
      `validation (${final.tokens} tokens): loss ${final.loss.toFixed(4)}, perplexity ${
        final.perplexity.toFixed(1)
      }; ` +
        `unigram ${baselines.unigram.loss.toFixed(4)} (${baselines.unigram.perplexity.toFixed(1)}), ` +
        `bigram ${baselines.bigram.loss.toFixed(4)} (${baselines.bigram.perplexity.toFixed(1)})`,
    );
  },
};

if (import.meta.main) await runTask(trainLmTask);
