/**
 * The forward front door: a model (llama2.c file, Hugging Face safetensors folder or Hub id) loaded as one ONNX
 * Runtime session whose outputs are the requested hooks, run on token batches.
 * @module
 */
import * as ort from "onnxruntime-node";
import { ConfigError } from "@saeflow/core";
import type { TokenBatch } from "@saeflow/tokenize";
import type { ActivationBatch } from "./activation_batch.ts";
import { buildDecoderGraph, type DecoderGraphOptions } from "./decoder/decoder_graph.ts";
import type { AttentionKernel } from "./decoder/attention_graph.ts";
import type { DecoderConfig } from "./decoder/decoder_config.ts";
import type { WeightSource } from "./decoder/weight_source.ts";
import { checkDtype, createSession, type Dtype, type ExecutionProvider } from "./execution.ts";
import { type Hook, parseHooks } from "./hooks.ts";
import { checkTokens, toInt64 } from "./token_checks.ts";

/** What a loaded model is; recorded in shard metadata. */
export interface ModelInfo {
  /** The path or Hub id it was loaded from. */
  id: string;
  /** Hub revision, when it came from the Hub. */
  revision?: string;
  /** llama2c and safetensors checkpoints run a graph built here; onnx runs an exported graph after surgery. */
  format: "llama2c" | "safetensors" | "onnx";
  numLayers: number;
  /** Width of every hook's activations. */
  dModel: number;
  /** Longest sequence the model takes, when known. */
  maxPositions?: number;
  vocabSize?: number;
  /** The architecture, for graphs built here. */
  config?: DecoderConfig;
}

/** A model ready to turn token batches into activations at its hooks. */
export interface ForwardModel {
  readonly info: ModelInfo;
  readonly hooks: readonly Hook[];
  readonly timings: ForwardTimings;
  run(tokens: TokenBatch): Promise<ActivationBatch>;
  release(): Promise<void>;
}

/** Options for {@link DecoderSession.create}. */
export interface ForwardOptions {
  /** Hook names to return, e.g. `["blocks.2.hook_resid_post"]`. */
  hooks: readonly string[];
  /** Also return next-token logits (needs every layer). */
  logits?: boolean;
  executionProvider?: ExecutionProvider;
  dtype?: Dtype;
  threads?: number;
  /** Attention kernel of built graphs (default: fused on cpu where the config allows it, else standard ops). */
  attention?: AttentionKernel;
  /** Return the hooks' activations (default true); false when only `extend` reads them, so none cross into JS. */
  exposeHooks?: boolean;
  /** Extra nodes reading the hook values inside the graph; their outputs come back in `ActivationBatch.extra`. */
  extend?: DecoderGraphOptions["extend"];
  /** Hook values replaced inside the graph (see {@link DecoderGraphOptions.splice}); built graphs only. */
  splice?: DecoderGraphOptions["splice"];
}

/** Where a session's time went, summed over its batches (for progress lines and benchmarks). */
export interface ForwardTimings {
  batches: number;
  /** Real (unpadded) tokens. */
  tokens: number;
  /** Tokens including padding: what the model computed. */
  paddedTokens: number;
  /** Validating the batch and converting ids and mask to int64 feeds. */
  feedMs: number;
  /** Inside ONNX Runtime, including copying its outputs into JS arrays. */
  runMs: number;
}

/** Refuses a request for nothing: no hooks and no logits. */
export function checkRequested(hooks: readonly Hook[], logits: boolean | undefined, model: string): void {
  if (hooks.length === 0 && !logits) {
    throw new ConfigError(`${model}: nothing requested; give hooks (like blocks.0.hook_resid_post) or ask for logits`);
  }
}

/** A fresh, zeroed {@link ForwardTimings}. */
export const noTimings = (): ForwardTimings => ({ batches: 0, tokens: 0, paddedTokens: 0, feedMs: 0, runMs: 0 });

/** Adds one batch to `timings`: `started` → `fed` was spent on checks and feeds, `fed` → now in ONNX Runtime. */
export function recordBatch(timings: ForwardTimings, tokens: TokenBatch, started: number, fed: number): void {
  timings.batches++;
  timings.tokens += tokens.lengths.reduce((a, b) => a + b, 0);
  timings.paddedTokens += tokens.batchSize * tokens.seqLen;
  timings.feedMs += fed - started;
  timings.runMs += performance.now() - fed;
}

/** A decoder built into one ONNX Runtime session. */
export class DecoderSession implements ForwardModel {
  readonly timings: ForwardTimings = noTimings();

  private constructor(
    readonly info: ModelInfo,
    readonly hooks: readonly Hook[],
    readonly layersBuilt: number,
    private readonly session: ort.InferenceSession,
    private readonly extraOutputs: readonly string[],
  ) {}

  /**
   * Builds the graph for the requested hooks and starts the session.
   *
   * @example
   * ```ts
   * const { config, weights } = await readLlama2cCheckpoint("stories260K.bin");
   * const model = await DecoderSession.create("stories260K", "llama2c", config, weights, {
   *   hooks: ["blocks.2.hook_resid_post"],
   * });
   * ```
   */
  static async create(
    source: Pick<ModelInfo, "id" | "revision" | "format">,
    config: DecoderConfig,
    weights: WeightSource,
    options: ForwardOptions,
  ): Promise<DecoderSession> {
    const { executionProvider = "cpu", dtype = "fp32" } = options;
    checkDtype(dtype, executionProvider);
    const info: ModelInfo = {
      ...source,
      numLayers: config.numLayers,
      dModel: config.hiddenSize,
      maxPositions: config.maxPositions,
      vocabSize: config.vocabSize,
      config,
    };
    const hooks = parseHooks(options.hooks, config.numLayers, info.id);
    checkRequested(hooks, options.logits, info.id);
    const graph = await buildDecoderGraph(config, weights, {
      hooks,
      logits: options.logits,
      exposeHooks: options.exposeHooks,
      extend: options.extend,
      splice: options.splice,
      dtype,
      executionProvider,
      attention: options.attention,
      metadata: { "saeflow.model": info.id, "saeflow.hooks": hooks.map((h) => h.name).join(",") },
    });
    const session = await createSession(graph.bytes, {
      executionProvider,
      dtype,
      threads: options.threads,
      externalDataFolder: graph.externalDataFolder,
    }).finally(() => graph.release());
    const extraOutputs = graph.outputs.filter((o) => o !== "logits" && !hooks.some((h) => h.name === o));
    return new DecoderSession(
      info,
      options.exposeHooks === false ? [] : hooks,
      graph.layersBuilt,
      session,
      extraOutputs,
    );
  }

  /** Runs one batch; refuses rows the model cannot take, naming the record. */
  async run(tokens: TokenBatch): Promise<ActivationBatch> {
    const started = performance.now();
    checkTokens(tokens, { model: this.info.id, ...this.info });
    const { batchSize, seqLen } = tokens;
    const feeds = {
      input_ids: new ort.Tensor("int64", toInt64(tokens.ids), [batchSize, seqLen]),
      attention_mask: new ort.Tensor("int64", toInt64(tokens.mask), [batchSize, seqLen]),
    };
    const fed = performance.now();
    const results = await this.session.run(feeds);
    recordBatch(this.timings, tokens, started, fed);
    const activations = new Map(this.hooks.map((h) => [h.name, results[h.name].data as Float32Array]));
    const logits = results.logits?.data as Float32Array | undefined;
    const extra = this.extraOutputs.length === 0 ? undefined : new Map(
      this.extraOutputs.map((
        name,
      ) => [name, { data: results[name].data as ArrayLike<number | bigint>, dims: results[name].dims }]),
    );
    return {
      tokens,
      activations,
      dModel: this.info.dModel,
      ...(logits ? { logits } : {}),
      ...(extra ? { extra } : {}),
    };
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
