/**
 * An ONNX Runtime session over an exported model with extra graph outputs (residual-stream tensors), made from the
 * model's bytes plus an appended fragment rather than a rewritten copy of the model.
 * @module
 */
import { dirname, resolve } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { ConfigError } from "@saeflow/core";
import { appendGraphOutputs, type AppendOptions } from "./graph_surgery.ts";
import { type OnnxGraph, parseOnnxGraph } from "./onnx_graph.ts";
import { createSession, type SessionOptions } from "../execution.ts";

/**
 * Loads `modelPath` into ONNX Runtime with `tensorNames` as extra graph outputs, after the model's own outputs
 * (names that are graph outputs already are not added twice).
 *
 * External data (weights in `model.onnx_data` beside the `.onnx`): ONNX Runtime resolves a model's external files
 * relative to the model's path, which a byte buffer does not have (by default it looks in the working directory and
 * refuses). The session option `extra.session.model_external_initializers_file_folder_path` supplies that folder; it
 * is set to the model's folder unless the caller sets it. Weights are then read from disk by ONNX Runtime, never
 * through JS memory (unlike `externalData: [{path, data}]`, which wants the whole file as a buffer).
 *
 * @param tensorNames tensors of the graph, or outputs of `append.nodes`
 * @param options execution provider, threads, optimization level (see `createSession`)
 * @param append nodes to add (see `hookTensors`)
 * @param loaded the file's bytes and parsed graph, when the caller has them already (not read or parsed twice)
 * @throws {DataError} when the file is not an ONNX model
 * @throws {ConfigError} when a tensor name is not in the graph
 *
 * @example
 * ```ts
 * const session = await loadSessionWithOutputs("model.onnx", ["/model/layers.0/Add_1_output_0"]);
 * const out = await session.run(feeds);
 * out["/model/layers.0/Add_1_output_0"].dims; // [batch, sequence, hidden]
 * ```
 */
export async function loadSessionWithOutputs(
  modelPath: string,
  tensorNames: readonly string[],
  options: SessionOptions = {},
  append: AppendOptions = {},
  loaded?: { bytes: Uint8Array; graph: OnnxGraph },
): Promise<InferenceSession> {
  const bytes = loaded?.bytes ?? await Deno.readFile(modelPath);
  const graph = loaded?.graph ?? parseOnnxGraph(bytes, modelPath);
  const added = new Set(append.nodes?.flatMap((n) => n.outputs));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const missing = tensorNames.filter((t) => !graph.has(t) && !added.has(t));
  if (missing.length > 0) {
    throw new ConfigError(
      `${modelPath}: no tensor named ${missing.map((t) => JSON.stringify(t)).join(", ")} in the graph ` +
        `(${graph.nodes.length} nodes; its outputs are ${graph.outputs.map((o) => o.name).join(", ")})`,
    );
  }
  const wanted = [...new Set(tensorNames)].filter((t) => !outputs.has(t)).map((name) => ({ name }));
  const model = wanted.length === 0 && !append.nodes?.length ? bytes : appendGraphOutputs(bytes, wanted, append);

  const external = graph.initializers.some((t) => t.external);
  return await createSession(model, {
    ...options,
    externalDataFolder: options.externalDataFolder ?? (external ? dirname(resolve(modelPath)) : undefined),
  });
}
