/**
 * Hidden states of an exported ONNX decoder (an onnx-community / Optimum export) loaded through transformers.js: the
 * model comes from `AutoModelForCausalLM.from_pretrained`, and its decoder session is swapped for one over the same
 * file with the hook tensors as extra graph outputs (see `loadSessionWithOutputs`).
 *
 * Why the swap works (transformers.js 4.3): `decoder_forward` (src/models/modeling_utils.js) runs
 * `self.sessions['model']`, feeding `pick(inputs, session.inputNames)` (it makes `position_ids` from the attention
 * mask and zero-length `past_key_values.*` from `session.inputMetadata`), and `sessionRun` (src/models/session.js)
 * returns every output `session.run` gives, with no filter on names; `session.config` ({dtype, device}) is only stored.
 * The replacement session has the same inputs and outputs plus the hooks, so transformers.js sees the same model.
 * @module
 */
import { resolve } from "node:path";
import { AutoModelForCausalLM, type PreTrainedModel, Tensor } from "@huggingface/transformers";
import type { InferenceSession } from "onnxruntime-node";
import { ConfigError, DataError } from "@saeflow/core";
import type { ExecutionProvider } from "./execution.ts";
import { hookTensors } from "./onnx/hook_tensors.ts";
import { parseOnnxGraph } from "./onnx/onnx_graph.ts";
import { loadSessionWithOutputs } from "./onnx/session_with_outputs.ts";

/** transformers.js dtypes and the file each picks, `onnx/{model}{suffix}.onnx` (its `DEFAULT_DTYPE_SUFFIX_MAPPING`). */
export const TRANSFORMERS_JS_DTYPES = {
  fp32: "",
  fp16: "_fp16",
  int8: "_int8",
  uint8: "_uint8",
  q8: "_quantized",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
} as const;
export type TransformersJsDtype = keyof typeof TRANSFORMERS_JS_DTYPES;

/** Options of {@link loadTransformersJsWithHooks}. */
export interface TransformersJsHookOptions {
  /** Which export of the folder to load (default `fp32`, `onnx/model.onnx`). */
  dtype?: TransformersJsDtype;
  /** ONNX Runtime execution provider, passed to transformers.js as `device` too (default `cpu`). */
  device?: ExecutionProvider;
  /** The model file's base name in `onnx/` (default `model`). */
  modelFileName?: string;
  /** Threads for one operator in the hooked session (default: ONNX Runtime's choice). */
  threads?: number;
}

/** What one forward pass returns. */
export interface TransformersJsActivations {
  /** Hook name → float32 `[batch, seq, dModel]`, row-major, in the order the hooks were asked. */
  activations: Map<string, Float32Array>;
  dModel: number;
  /** The model's logits `[batch, seq, vocab]`, as transformers.js returns them. */
  logits: Float32Array;
}

/** A transformers.js model whose forward pass also returns the hook tensors. */
export interface TransformersJsHookedModel {
  /** The transformers.js model; `model.sessions.model` is the hooked session. */
  model: PreTrainedModel;
  /** The ONNX file the session runs. */
  modelPath: string;
  /** Hook name → graph tensor name. */
  tensors: Record<string, string>;
  /**
   * One forward pass through transformers.js (`model.forward`) over a batch of equal-length rows, padding marked
   * by 0 in `mask` (right padding gives every real token the positions it has alone).
   */
  run(
    inputIds: readonly (readonly number[])[],
    mask: readonly (readonly number[])[],
  ): Promise<TransformersJsActivations>;
  /** Releases the ONNX Runtime sessions. */
  release(): Promise<void>;
}

/**
 * Loads a local transformers.js model folder (`config.json`, `onnx/model.onnx`, optionally `onnx/model.onnx_data`
 * and `generation_config.json`) with `AutoModelForCausalLM.from_pretrained`, then replaces its decoder session by
 * one that also outputs the tensors of `hooks` (TransformerLens names, `blocks.{L}.hook_resid_post`).
 *
 * The hooks are checked against the graph before transformers.js loads anything. transformers.js's own session is
 * released before the hooked one is created, so the weights are never in memory twice.
 *
 * Decoder-only models (one `model` session: Llama, Gemma, Qwen, ... exports) only; encoder-decoder and multimodal
 * models have other sessions and forward functions.
 *
 * @throws {ConfigError} for a hook the graph does not have (naming the file), a missing model file, or a model
 *   that transformers.js does not load as a decoder-only model
 * @throws {DataError} when transformers.js cannot load the folder
 *
 * @example
 * ```ts
 * const hooked = await loadTransformersJsWithHooks("models/SmolLM2-135M-Instruct", ["blocks.3.hook_resid_post"]);
 * const { activations } = await hooked.run([[1, 22, 333], [1, 44, 0]], [[1, 1, 1], [1, 1, 0]]);
 * activations.get("blocks.3.hook_resid_post"); // Float32Array [2 * 3 * 576]
 * await hooked.release();
 * ```
 */
export async function loadTransformersJsWithHooks(
  folder: string,
  hooks: readonly string[],
  options: TransformersJsHookOptions = {},
): Promise<TransformersJsHookedModel> {
  const { dtype = "fp32", device = "cpu", modelFileName = "model", threads } = options;
  if (!(dtype in TRANSFORMERS_JS_DTYPES)) {
    throw new ConfigError(
      `unknown dtype "${dtype}"; expected one of ${Object.keys(TRANSFORMERS_JS_DTYPES).join(", ")}`,
    );
  }
  if (hooks.length === 0) throw new ConfigError(`no hooks requested; expected names like blocks.0.hook_resid_post`);
  const root = resolve(folder);
  const modelPath = `${root}/onnx/${modelFileName}${TRANSFORMERS_JS_DTYPES[dtype]}.onnx`;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(modelPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new ConfigError(
      `${folder}: no ${modelPath.slice(root.length + 1)} (dtype ${dtype}); a transformers.js model folder holds ` +
        `config.json and onnx/${modelFileName}{${Object.values(TRANSFORMERS_JS_DTYPES).join(",")}}.onnx`,
    );
  }
  const { tensors, nodes } = hookTensors(parseOnnxGraph(bytes, modelPath), hooks);

  let model: PreTrainedModel;
  try {
    // local_files_only: a folder must never turn into a network request inside transformers.js
    model = await AutoModelForCausalLM.from_pretrained(root, {
      local_files_only: true,
      dtype,
      device,
      model_file_name: modelFileName,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DataError(
      folder,
      {},
      `transformers.js cannot load the model: ${message}`,
      "a transformers.js model folder",
      {
        cause: error,
      },
    );
  }
  const names = Object.keys(model.sessions);
  if (names.length !== 1 || names[0] !== "model") {
    await model.dispose();
    throw new ConfigError(
      `${folder}: transformers.js loaded it as ${model.constructor.name} with sessions ${names.join(", ")}; ` +
        `hooks are supported for decoder-only models (one "model" session)`,
    );
  }

  const original = model.sessions.model;
  await original.release();
  let session: InferenceSession & { config?: unknown };
  try {
    session = await loadSessionWithOutputs(
      modelPath,
      Object.values(tensors),
      { executionProvider: device, threads },
      { nodes },
    );
  } catch (error) {
    await model.dispose().catch(() => {});
    throw error;
  }
  session.config = original.config;
  model.sessions.model = session;

  return {
    model,
    modelPath,
    tensors,
    run: (inputIds, mask) => forward(model, tensors, inputIds, mask),
    release: async () => void await model.dispose(),
  };
}

async function forward(
  model: PreTrainedModel,
  tensors: Record<string, string>,
  inputIds: readonly (readonly number[])[],
  mask: readonly (readonly number[])[],
): Promise<TransformersJsActivations> {
  const batch = inputIds.length;
  const seq = inputIds[0]?.length ?? 0;
  if (batch === 0 || seq === 0) throw new DataError("token batch", {}, "is empty", "at least one row of ids");
  for (let r = 0; r < batch; r++) {
    if (inputIds[r].length !== seq || mask[r]?.length !== seq) {
      throw new DataError(
        "token batch",
        { row: r + 1 },
        `has ${inputIds[r].length} ids and ${mask[r]?.length ?? 0} mask values`,
        `${seq} of each (rows padded to one length)`,
      );
    }
  }
  if (mask.length !== batch) {
    throw new DataError("token batch", {}, `has ${batch} rows of ids and ${mask.length} of mask`, "as many of each");
  }
  const int64 = (rows: readonly (readonly number[])[]) =>
    new Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), [batch, seq]);
  const out: Record<string, Tensor> = await model.forward({ input_ids: int64(inputIds), attention_mask: int64(mask) });

  const activations = new Map<string, Float32Array>();
  let dModel = 0;
  for (const [hook, name] of Object.entries(tensors)) {
    const t = out[name].to("float32");
    dModel = t.dims[t.dims.length - 1];
    activations.set(hook, t.data as Float32Array);
  }
  return { activations, dModel, logits: out.logits.to("float32").data as Float32Array };
}
