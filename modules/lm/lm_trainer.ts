/**
 * One Llama model being trained: its parameters (tfjs variables), AdamW's state and the step count; one step per
 * batch of packed rows, with gradients clipped by their global norm; and exact checkpoints, so that a resumed run
 * goes on to the same bits as one never stopped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError, DataError } from "@saeflow/core";
import { SafetensorsFile, type TensorToWrite, writeSafetensors } from "@saeflow/io";
import { Adam, checkSameRun } from "@saeflow/sae";
import { checkLlamaConfig, type LlamaConfig } from "./llama_config.ts";
import { isNormWeight, type LlamaParams, llamaParamShapes } from "./llama_params.ts";
import { LlamaModel } from "./llama_tfjs.ts";
import { lmLearningRate, type LmTrainingConfig } from "./lm_training_config.ts";

/** What one step measured. */
export interface LmStepMetrics {
  /** Steps done, this one included. */
  step: number;
  /** Tokens trained on so far (rows × seqLen). */
  tokens: number;
  learningRate: number;
  /** The batch's mean next-token cross-entropy (nats), before the update. */
  loss: number;
  /** The gradients' global L2 norm, before clipping. */
  gradNorm: number;
}

/** The checkpoint's JSON, in the safetensors metadata under this key. */
const CHECKPOINT_KEY = "saeflow_lm_checkpoint";

/**
 * The trainer. Call {@link LmTrainer.dispose} when done: it holds tfjs tensors.
 *
 * @example
 * ```ts
 * const trainer = LmTrainer.create(modelConfig, config);
 * const metrics = await trainer.step(batches.batch(trainer.steps));
 * await trainer.saveCheckpoint("out/checkpoint.safetensors");
 * ```
 */
export class LmTrainer {
  readonly #ones: Uint8Array;

  private constructor(
    readonly modelConfig: Readonly<LlamaConfig>,
    readonly config: LmTrainingConfig,
    readonly model: LlamaModel,
    private readonly adam: Adam,
    /**
     * What else a resumed run must share with this one: a hash of where its rows come from (corpus, split,
     * tokenizer). Checkpoints record it; {@link LmTrainer.resume} refuses another.
     */
    readonly dataKey?: string,
  ) {
    this.#ones = new Uint8Array(config.batchSize * config.seqLen).fill(1);
  }

  /** A fresh trainer: the model initialised from `config.seed` (GPT-2's initialisation), zero moments. */
  static create(modelConfig: LlamaConfig, config: LmTrainingConfig, dataKey?: string): LmTrainer {
    const checked = checkFits(modelConfig, config);
    const model = LlamaModel.init(checked, config.seed);
    return new LmTrainer(checked, config, model, Adam.zeros(adamOptions(config), model.variables), dataKey);
  }

  /** Steps done. */
  get steps(): number {
    return this.adam.steps;
  }

  /**
   * One AdamW step on `ids` (`[batchSize, seqLen]` row-major, unpadded). Asynchronous because the loss and gradient
   * norm are read back with `data()`; await each step before the next. A ConfigError when the loss is not finite.
   */
  async step(ids: Int32Array): Promise<LmStepMetrics> {
    const { batchSize, seqLen, gradClip } = this.config;
    if (ids.length !== batchSize * seqLen) {
      throw new DataError(`batch ${this.steps + 1}`, {}, `${ids.length} ids`, `${batchSize} rows × ${seqLen} tokens`);
    }
    const learningRate = lmLearningRate(this.steps, this.config);
    const { loss, grads } = this.model.lossAndGrads(ids, this.#ones, batchSize, seqLen);
    const lossValue = (await loss.data())[0];
    loss.dispose();
    const gradNorm = await globalNorm(Object.values(grads));
    if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
      tf.dispose(Object.values(grads));
      throw new ConfigError(
        `LM training diverged at step ${this.steps + 1} (loss ${lossValue}, gradient norm ${gradNorm}); lower the ` +
          `learning rate (${this.config.learningRate}) or lengthen the warm-up (${this.config.warmupSteps} steps)`,
      );
    }
    if (gradClip > 0 && gradNorm > gradClip) {
      // float32, as the tensors are: the same factor whichever way it is applied
      const scale = Math.fround(gradClip / (gradNorm + 1e-6));
      for (const [name, g] of Object.entries(grads)) {
        grads[name] = g.mul(scale);
        g.dispose();
      }
    }
    this.adam.updateVariables(this.model.variables, grads, learningRate);
    return { step: this.steps, tokens: this.steps * batchSize * seqLen, learningRate, loss: lossValue, gradNorm };
  }

  /** A copy of the current parameters (what `saveLlamaFolder` writes). */
  toParams(): Promise<LlamaParams> {
    return this.model.toParams();
  }

  /** Writes everything a resumed run needs (parameters, AdamW's moments and step) to `path`, atomically. */
  async saveCheckpoint(path: string): Promise<void> {
    const tensors: Record<string, TensorToWrite> = {};
    const add = async (name: string, t: tf.Tensor) =>
      tensors[name] = { shape: t.shape, data: Float32Array.from(await t.data() as Float32Array) };
    for (const [name, t] of Object.entries(this.model.variables)) await add(`param/${name}`, t);
    for (const [name, t] of this.adam.m) await add(`adam_m/${name}`, t);
    for (const [name, t] of this.adam.v) await add(`adam_v/${name}`, t);
    const state = {
      modelConfig: this.modelConfig,
      config: this.config,
      steps: this.steps,
      dataKey: this.dataKey ?? null,
    };
    await writeSafetensors(path, tensors, { [CHECKPOINT_KEY]: JSON.stringify(state) });
  }

  /**
   * The trainer saved at `path`. Its model and training configs must equal these, and its data key `dataKey` when
   * one is given (a resumed run must be the same run); a ConfigError names the settings that differ.
   */
  static async resume(
    path: string,
    modelConfig: LlamaConfig,
    config: LmTrainingConfig,
    dataKey?: string,
  ): Promise<LmTrainer> {
    const checked = checkFits(modelConfig, config);
    await using file = await SafetensorsFile.open(path);
    const json = file.metadata[CHECKPOINT_KEY];
    if (json === undefined) throw new DataError(path, {}, `no ${CHECKPOINT_KEY} metadata`, "an LM training checkpoint");
    const state = JSON.parse(json) as {
      modelConfig: LlamaConfig;
      config: LmTrainingConfig;
      steps: number;
      dataKey: string | null;
    };
    checkSameRun(path, {
      dataKey: { there: state.dataKey, now: dataKey, means: "another corpus selection, split or tokenizer" },
      settings: [{ there: state.modelConfig, now: checked, prefix: "model " }, { there: state.config, now: config }],
    });
    const read = async (name: string) => ({ shape: file.entry(name).shape, data: await file.readFloat32(name) });
    const params: LlamaParams = {};
    const m = new Map<string, tf.Tensor>();
    const v = new Map<string, tf.Tensor>();
    // In the order a fresh model has them (the file's is by name): the gradient norm is summed in this order.
    for (const name of Object.keys(llamaParamShapes(checked))) {
      if (!file.tensors.has(`param/${name}`)) {
        throw new DataError(path, {}, `no tensor param/${name}`, "every parameter of the model config");
      }
      params[name] = await read(`param/${name}`);
    }
    const model = LlamaModel.fromParams(checked, params);
    for (const name of Object.keys(model.variables)) {
      for (const [moments, prefix] of [[m, "adam_m"], [v, "adam_v"]] as const) {
        const { shape, data } = await read(`${prefix}/${name}`);
        moments.set(name, tf.tensor(data, shape, "float32"));
      }
    }
    const adam = new Adam(adamOptions(config), state.steps, m, v);
    return new LmTrainer(checked, config, model, adam, state.dataKey ?? undefined);
  }

  dispose(): void {
    this.model.dispose();
    this.adam.dispose();
  }
}

/**
 * The L2 norm of all the gradients together, summed in float64 in a fixed order. Not a tfjs reduction: tfjs-wasm's
 * sums over large tensors round differently from one process to another (measured: the last bit of the norm), and
 * the norm decides the clipping, so it would make the trained bits depend on the process.
 */
async function globalNorm(grads: readonly tf.Tensor[]): Promise<number> {
  let squares = 0;
  for (const g of grads) {
    const data = await g.data() as Float32Array;
    for (let i = 0; i < data.length; i++) squares += data[i] * data[i];
  }
  return Math.sqrt(squares);
}

function checkFits(modelConfig: LlamaConfig, config: LmTrainingConfig): Readonly<LlamaConfig> {
  const checked = checkLlamaConfig(modelConfig);
  if (config.seqLen > checked.maxSeqLen) {
    throw new ConfigError(`LM training: rows of ${config.seqLen} tokens exceed the model's ${checked.maxSeqLen}`);
  }
  return checked;
}

function adamOptions({ beta1, beta2, epsilon, weightDecay }: LmTrainingConfig) {
  return { beta1, beta2, epsilon, weightDecay, decays: (name: string) => !isNormWeight(name) };
}
