/**
 * One SAE being trained on tfjs: parameters, Adam state and latent activity, one step per batch of activation rows,
 * exact checkpoints, and the result as an {@link SaeSpec} that every encoder and the SAELens writer take.
 *
 * Inputs are trained on in units where their mean squared norm is 1 (the factor is measured on the first batch, as
 * Gemma Scope and SAELens's `expected_average_only_in` do), so one set of default hyperparameters fits models of any
 * scale; the spec carries the factor as a `scale` normalization, which the SAELens writer folds into the weights.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ConfigError, DataError, SAEFLOW_VERSION } from "@saeflow/core";
import { SafetensorsFile, type TensorToWrite, writeSafetensors } from "@saeflow/io";
import type { SaeSpec } from "../sae_spec.ts";
import { Adam, learningRateAt } from "./adam.ts";
import { FeatureActivity } from "./feature_activity.ts";
import { jumpReluLoss } from "./jumprelu_loss.ts";
import type { LossContext, LossTerms } from "./sae_loss.ts";
import {
  initialParameters,
  parameterNames,
  type SaeParams,
  toTensors,
  unitRows,
  withoutParallelComponent,
} from "./sae_params.ts";
import { checkSameRun } from "./same_run.ts";
import { topkLoss } from "./topk_loss.ts";
import type { SaeTrainingConfig } from "./training_config.ts";

/** What one step measured (losses in training units; fractions of the latents). */
export interface StepMetrics {
  /** Steps done, this one included. */
  step: number;
  /** Rows trained on so far. */
  tokens: number;
  learningRate: number;
  loss: number;
  /** The batch's fraction of variance unexplained, `Σ‖x − x̂‖² / Σ‖x − x̄‖²`. */
  fvu: number;
  /** Mean active latents per row. */
  l0: number;
  /** AuxK (TopK) or λ·L0 (JumpReLU), as added to the loss. */
  penalty: number;
  /** Latents silent for `deadAfterTokens` or more. */
  deadFraction: number;
}

/** The checkpoint's JSON, in the safetensors metadata under this key. */
const CHECKPOINT_KEY = "saeflow_sae_checkpoint";

/** The trainer. Call {@link dispose} when done: it holds tfjs tensors. */
export class SaeTrainer {
  private constructor(
    readonly config: SaeTrainingConfig,
    /** Inputs are multiplied by this before training (mean squared norm 1 on the first batch). */
    readonly scale: number,
    private params: SaeParams,
    private readonly adam: Adam,
    readonly activity: FeatureActivity,
    /** Rows trained on so far. */
    public tokens: number,
    /**
     * What else a resumed run must share with this one: a hash of where its rows come from (model, hook, dataset,
     * tokenization, shuffling). Checkpoints record it; {@link resume} refuses another.
     */
    readonly dataKey?: string,
  ) {}

  /** A fresh trainer whose scale and `b_dec` come from `sample` (`[rows, dIn]`, the first batch, say). */
  static create(config: SaeTrainingConfig, sample: Float32Array, dataKey?: string): SaeTrainer {
    const { dIn, dSae } = config;
    if (tf.getBackend() === "wasm") checkWasmHeap(config);
    const rows = rowsOf(sample, dIn, "the initialisation sample");
    let squares = 0;
    for (const v of sample) squares += v * v;
    if (!(squares > 0 && Number.isFinite(squares))) {
      throw new DataError("the initialisation sample", {}, `mean squared norm ${squares / rows}`, "finite and > 0");
    }
    const scale = Math.fround(1 / Math.sqrt(squares / rows));
    const scaled = Float32Array.from(sample, (v) => v * scale);
    const values = initialParameters(config, scaled);
    const params = toTensors(values, dIn, dSae);
    return new SaeTrainer(
      config,
      scale,
      params,
      Adam.zeros(adamOptions(config), params),
      FeatureActivity.fresh(dSae),
      0,
      dataKey,
    );
  }

  /** Steps done. */
  get steps(): number {
    return this.adam.steps;
  }

  /**
   * One Adam step on `batch` (`[rows, dIn]`, in the activations' own units). Asynchronous because the step's numbers
   * are read back with `data()`: tfjs-webgpu's synchronous read needs a canvas, which Deno has not. Await each step
   * before the next.
   */
  async step(batch: Float32Array): Promise<StepMetrics> {
    const { config } = this;
    const { dIn, dSae } = config;
    const rows = rowsOf(batch, dIn, `batch ${this.steps + 1}`);
    if (rows !== config.batchSize) {
      throw new DataError(`batch ${this.steps + 1}`, {}, `${rows} rows`, `the configured ${config.batchSize} rows`);
    }
    const names = parameterNames(config.architecture);
    const learningRate = learningRateAt(this.steps, config);
    const dead = config.architecture === "topk" && config.auxCoefficient > 0
      ? this.activity.deadMask(config.deadAfterTokens)
      : undefined;
    const x = tf.tidy(() => tf.tensor2d(batch, [rows, dIn]).mul(this.scale) as tf.Tensor2D);
    const totalVariance = tf.tidy(() => x.sub(x.mean(0)).square().sum() as tf.Scalar);
    const deadMask = dead && dead.count > 0 ? tf.tensor1d(dead.mask) : undefined;
    const context: LossContext = {
      totalVariance,
      ...(deadMask && { dead: { mask: deadMask, count: dead!.count } }),
      l0Coefficient: config.l0Coefficient *
        (config.l0WarmupSteps > 0 ? Math.min(1, (this.steps + 1) / config.l0WarmupSteps) : 1),
    };
    let terms: LossTerms | undefined;
    const loss = (...values: tf.Tensor[]): tf.Scalar => {
      const p = Object.fromEntries(names.map((name, i) => [name, values[i]]));
      terms = config.architecture === "topk" ? topkLoss(p, x, config, context) : jumpReluLoss(p, x, config, context);
      return terms.loss;
    };
    const { value, grads } = tf.valueAndGrads(loss)(names.map((name) => this.params[name]));
    const gradients = Object.fromEntries(names.map((name, i) => [name, grads[i]]));
    if (config.normalizeDecoder) {
      const projected = withoutParallelComponent(gradients.W_dec, this.params.W_dec);
      gradients.W_dec.dispose();
      gradients.W_dec = projected;
    }
    this.params = this.adam.update(this.params, gradients, learningRate);
    if (config.normalizeDecoder) {
      const normalized = unitRows(this.params.W_dec);
      this.params.W_dec.dispose();
      this.params.W_dec = normalized;
    }
    const t = terms!;
    const read = tf.tidy(() => tf.concat([tf.stack([value, t.sqError, t.active, t.penalty, totalVariance]), t.fired]));
    const numbers = await read.data() as Float32Array;
    tf.dispose([
      read,
      value,
      x,
      totalVariance,
      t.sqError,
      t.active,
      t.penalty,
      t.fired,
    ]); // the gradients went to Adam, which disposed them
    deadMask?.dispose();
    if (!Number.isFinite(numbers[0])) {
      throw new ConfigError(
        `SAE training diverged at step ${this.steps} (loss ${numbers[0]}); lower the learning rate ` +
          `(${config.learningRate}) or check the activations for outliers`,
      );
    }
    this.activity.add(numbers.subarray(5, 5 + dSae), rows);
    this.tokens += rows;
    return {
      step: this.steps,
      tokens: this.tokens,
      learningRate,
      loss: numbers[0],
      fvu: numbers[1] / numbers[4],
      l0: numbers[2] / rows,
      penalty: numbers[3],
      deadFraction: this.activity.deadMask(config.deadAfterTokens).count / dSae,
    };
  }

  /**
   * The SAE as trained, in the activations' own units through a `scale` normalization. Weights are copied out of
   * tfjs; JumpReLU thresholds are `exp(log θ)` rounded to float32.
   */
  async toSpec({ id, hookName, modelId }: { id: string; hookName?: string; modelId?: string }): Promise<SaeSpec> {
    const { architecture, dIn, dSae, k, applyBDecToInput } = this.config;
    const values = new Map<string, Float32Array>();
    for (const [name, t] of Object.entries(this.params)) {
      values.set(name, Float32Array.from(await t.data() as Float32Array));
    }
    const read = (name: string) => values.get(name)!;
    return {
      id,
      source: `trained by saeflow ${SAEFLOW_VERSION} (${architecture}, ${this.steps} steps)`,
      architecture,
      dIn,
      dSae,
      ...(architecture === "topk" && { k, topkOrder: "topk-then-relu" as const }),
      applyBDecToInput,
      normalization: { kind: "scale", factor: this.scale },
      ...(hookName !== undefined && { hookName }),
      ...(modelId !== undefined && { modelId }),
      weights: {
        W_enc: { shape: [dIn, dSae], data: read("W_enc") },
        b_enc: { shape: [dSae], data: read("b_enc") },
        W_dec: { shape: [dSae, dIn], data: read("W_dec") },
        b_dec: { shape: [dIn], data: read("b_dec") },
        ...(architecture === "jumprelu" && {
          threshold: { shape: [dSae], data: read("log_threshold").map(Math.exp) },
        }),
      },
    };
  }

  /** Writes everything a resumed run needs (parameters, Adam moments, latent activity) to `path`, atomically. */
  async saveCheckpoint(path: string): Promise<void> {
    const tensors: Record<string, TensorToWrite> = {};
    const add = async (name: string, t: tf.Tensor) =>
      tensors[name] = { shape: t.shape, data: Float32Array.from(await t.data() as Float32Array) };
    for (const [name, t] of Object.entries(this.params)) await add(`param/${name}`, t);
    for (const [name, t] of this.adam.m) await add(`adam_m/${name}`, t);
    for (const [name, t] of this.adam.v) await add(`adam_v/${name}`, t);
    const { tokensSinceFired, firedSinceReport, tokensSinceReport } = this.activity;
    tensors["activity/tokens_since_fired"] = { shape: [tokensSinceFired.length], data: tokensSinceFired };
    tensors["activity/fired_since_report"] = { shape: [firedSinceReport.length], data: firedSinceReport };
    const state = {
      config: this.config,
      scale: this.scale,
      steps: this.steps,
      tokens: this.tokens,
      tokensSinceReport,
      dataKey: this.dataKey ?? null,
    };
    await writeSafetensors(path, tensors, { [CHECKPOINT_KEY]: JSON.stringify(state) });
  }

  /**
   * The trainer saved at `path`. Its config must equal `config`, and its data key `dataKey` when one is given (a
   * resumed run must be the same run); a ConfigError names the settings that differ.
   */
  static async resume(path: string, config: SaeTrainingConfig, dataKey?: string): Promise<SaeTrainer> {
    await using file = await SafetensorsFile.open(path);
    const json = file.metadata[CHECKPOINT_KEY];
    if (json === undefined) {
      throw new DataError(path, {}, `no ${CHECKPOINT_KEY} metadata`, "an SAE training checkpoint");
    }
    const state = JSON.parse(json) as {
      config: SaeTrainingConfig;
      scale: number;
      steps: number;
      tokens: number;
      tokensSinceReport: number;
      dataKey: string | null;
    };
    checkSameRun(path, {
      dataKey: {
        there: state.dataKey,
        now: dataKey,
        means: "another model, hook, dataset, tokenization or shuffling",
      },
      settings: [{ there: state.config, now: config }],
    });
    const names = parameterNames(config.architecture);
    const load = async (name: string) => {
      const entry = file.entry(name);
      return tf.tensor(await file.readFloat32(name), entry.shape);
    };
    const params: SaeParams = {};
    const m = new Map<string, tf.Tensor>();
    const v = new Map<string, tf.Tensor>();
    for (const name of names) {
      params[name] = await load(`param/${name}`);
      m.set(name, await load(`adam_m/${name}`));
      v.set(name, await load(`adam_v/${name}`));
    }
    const float64 = async (name: string) => new Float64Array((await file.read(name)).buffer);
    const activity = new FeatureActivity(
      await float64("activity/tokens_since_fired"),
      await float64("activity/fired_since_report"),
      state.tokensSinceReport,
    );
    const adam = new Adam(adamOptions(config), state.steps, m, v);
    return new SaeTrainer(config, state.scale, params, adam, activity, state.tokens, state.dataKey ?? undefined);
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    this.adam.dispose();
  }
}

/** wasm32 addresses 4 GiB; tfjs and XNNPACK need some of it for themselves. */
const WASM_HEAP_USABLE = 4 * 2 ** 30 - 256 * 2 ** 20;

/**
 * Refuses, before anything is allocated, a run whose peak would overflow tfjs-wasm's heap (it fails midway with
 * "memory access out of bounds" and leaves the backend unusable). The peak is about twelve copies of the encoder
 * matrix (W_enc and W_dec, Adam's two moments of each, their gradients, Adam's temporaries and XNNPACK's packed
 * copies) plus a few `[batch, d_sae]` activations: measured, d_model 2304 × 18,432 latents at batch 256 peaks at
 * 2.9 GiB RSS and trains; × 36,864 does not fit.
 */
function checkWasmHeap({ dIn, dSae, batchSize }: SaeTrainingConfig): void {
  const bytes = 4 * (12 * dIn * dSae + 8 * batchSize * dSae);
  if (bytes > WASM_HEAP_USABLE) {
    throw new ConfigError(
      `SAE training: ${dIn} × ${dSae} latents at batch ${batchSize} needs about ${(bytes / 2 ** 30).toFixed(1)} GiB ` +
        `of tfjs-wasm's heap, which stops at 4 GiB (wasm32); use the webgpu or tensorflow backend, fewer latents, ` +
        `or a smaller batch`,
    );
  }
}

function adamOptions({ beta1, beta2, epsilon }: SaeTrainingConfig) {
  return { beta1, beta2, epsilon };
}

function rowsOf(data: Float32Array, dIn: number, what: string): number {
  const rows = data.length / dIn;
  if (!Number.isInteger(rows) || rows < 1) {
    throw new DataError(what, {}, `${data.length} values`, `a positive multiple of d_in ${dIn}`);
  }
  return rows;
}
