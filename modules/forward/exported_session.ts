/**
 * Exported ONNX decoders (onnx-community / Optimum exports, or any pre-norm transformer graph) as a forward model:
 * the residual stream is located in the graph, the requested hooks become extra outputs by surgery, and each batch
 * is fed the inputs such exports take (ids, mask, positions, an empty KV cache).
 * @module
 */
import { basename, dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { ConfigError } from "@saeflow/core";
import { readJsonFile } from "@saeflow/io";
import type { TokenBatch } from "@saeflow/tokenize";
import type { ActivationBatch } from "./activation_batch.ts";
import type { ExecutionProvider } from "./execution.ts";
import {
  checkRequested,
  type ForwardModel,
  type ForwardTimings,
  type ModelInfo,
  noTimings,
  recordBatch,
} from "./forward_model.ts";
import { type Hook, parseHooks } from "./hooks.ts";
import { hookTensors } from "./onnx/hook_tensors.ts";
import { type OnnxGraph, type OnnxValueInfo, parseOnnxGraph } from "./onnx/onnx_graph.ts";
import { locateResidualStream } from "./onnx/residual_locator.ts";
import { loadSessionWithOutputs } from "./onnx/session_with_outputs.ts";
import { checkTokens, outputAsFloat32, toInt64 } from "./token_checks.ts";

/** Options for {@link ExportedSession.open}. */
export interface ExportedSessionOptions {
  hooks: readonly string[];
  /** Also return the export's `logits` output. */
  logits?: boolean;
  executionProvider?: ExecutionProvider;
  threads?: number;
}

const FLOAT = 1;
const FLOAT16 = 10;

/** One feed for each graph input the export declares. */
type FeedMaker = (tokens: TokenBatch) => ort.Tensor;

function feedFor(input: OnnxValueInfo, source: string): FeedMaker {
  const name = input.name;
  const shape = (t: TokenBatch) => [t.batchSize, t.seqLen];
  if (name === "input_ids") return (t) => new ort.Tensor("int64", toInt64(t.ids), shape(t));
  if (name === "attention_mask") return (t) => new ort.Tensor("int64", toInt64(t.mask), shape(t));
  if (name === "position_ids") {
    return (t) =>
      new ort.Tensor("int64", BigInt64Array.from({ length: t.ids.length }, (_, i) => BigInt(i % t.seqLen)), shape(t));
  }
  if (name === "token_type_ids") return (t) => new ort.Tensor("int64", new BigInt64Array(t.ids.length), shape(t));
  if (/^past_key_values\.\d+\.(key|value)$/.test(name) && input.dims?.length === 4) {
    // An empty cache: [batch, kv_heads, 0, head_dim]; the two fixed dims come from the export's declared shape.
    const [, heads, , headDim] = input.dims;
    if (
      typeof heads === "number" && typeof headDim === "number" &&
      (input.elemType === FLOAT || input.elemType === FLOAT16)
    ) {
      const type = input.elemType === FLOAT ? "float32" : "float16";
      return (t) =>
        new ort.Tensor(type, type === "float32" ? new Float32Array(0) : new Uint16Array(0), [
          t.batchSize,
          heads,
          0,
          headDim,
        ]);
    }
  }
  throw new ConfigError(
    `${source}: graph input "${name}" is not one saeflow can feed; expected input_ids, attention_mask, position_ids, ` +
      `token_type_ids or past_key_values.{i}.{key,value} (float32 or float16) with fixed head dims`,
  );
}

/** An exported ONNX decoder whose residual stream is read through added graph outputs. */
export class ExportedSession implements ForwardModel {
  readonly timings: ForwardTimings = noTimings();

  private constructor(
    readonly info: ModelInfo,
    readonly hooks: readonly Hook[],
    private readonly tensors: Record<string, string>,
    private readonly feeds: [string, FeedMaker][],
    private readonly fetches: string[],
    private readonly session: ort.InferenceSession,
  ) {}

  /**
   * Opens `model.onnx` (external data beside it is read by ONNX Runtime from disk), locates the requested hooks and
   * starts a session that returns them. A `config.json` in the file's folder or its parent supplies the context
   * length and vocabulary size when present.
   *
   * @example
   * ```ts
   * const model = await ExportedSession.open("onnx-community/Qwen2.5-0.5B/onnx/model.onnx", {
   *   hooks: ["blocks.12.hook_resid_post"],
   * });
   * ```
   */
  static async open(path: string, options: ExportedSessionOptions): Promise<ExportedSession> {
    const { executionProvider, threads, logits = false } = options;
    const bytes = await Deno.readFile(path);
    const graph: OnnxGraph = parseOnnxGraph(bytes, path);
    const config = await readConfigNear(path);
    const blocks = locateResidualStream(graph);
    const hooks = parseHooks(options.hooks, blocks.length, path);
    checkRequested(hooks, logits, path);
    if (logits && !graph.outputs.some((o) => o.name === "logits")) {
      throw new ConfigError(`${path}: logits were asked for, but the graph has no "logits" output`);
    }
    const { tensors, nodes } = hookTensors(graph, hooks.map((h) => h.name), blocks);
    const feeds = graph.inputs.map((input): [string, FeedMaker] => [input.name, feedFor(input, path)]);
    const declared = Number(hooks.length > 0 ? graph.typeOf(tensors[hooks[0].name])?.dims?.at(-1) : NaN);
    const info: ModelInfo = {
      id: path,
      format: "onnx",
      numLayers: blocks.length,
      dModel: Number.isInteger(declared)
        ? declared
        : typeof config?.hidden_size === "number"
        ? config.hidden_size
        : NaN,
      ...(typeof config?.max_position_embeddings === "number" ? { maxPositions: config.max_position_embeddings } : {}),
      ...(typeof config?.vocab_size === "number" ? { vocabSize: config.vocab_size } : {}),
    };
    // Fetch only what is used: an export's KV cache (and logits, unless asked) never becomes JS arrays.
    const fetches = [...Object.values(tensors), ...(logits ? ["logits"] : [])];
    const session = await loadSessionWithOutputs(path, fetches, { executionProvider, threads }, { nodes }, {
      bytes,
      graph,
    });
    return new ExportedSession(info, hooks, tensors, feeds, fetches, session);
  }

  async run(tokens: TokenBatch): Promise<ActivationBatch> {
    const started = performance.now();
    checkTokens(tokens, { model: this.info.id, ...this.info });
    const feeds = Object.fromEntries(this.feeds.map(([name, make]) => [name, make(tokens)]));
    const fed = performance.now();
    const results = await this.session.run(feeds, this.fetches);
    recordBatch(this.timings, tokens, started, fed);
    const activations = new Map(
      this.hooks.map((h) => [h.name, outputAsFloat32(results[this.tensors[h.name]], h.name)]),
    );
    const first = this.hooks[0] && results[this.tensors[this.hooks[0].name]];
    const dModel = first ? first.dims.at(-1)! : this.info.dModel;
    const logits = results.logits ? outputAsFloat32(results.logits, "logits") : undefined;
    return { tokens, activations, dModel, ...(logits ? { logits } : {}) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The Hugging Face config.json beside an export: next to `model.onnx`, or above it when it sits in `onnx/`. */
async function readConfigNear(path: string): Promise<Record<string, unknown> | undefined> {
  const folders = basename(dirname(path)) === "onnx" ? [dirname(path), dirname(dirname(path))] : [dirname(path)];
  for (const folder of folders) {
    const config = await readJsonFile(join(folder, "config.json"), "a Hugging Face config.json");
    if (config) return config;
  }
  return undefined;
}
