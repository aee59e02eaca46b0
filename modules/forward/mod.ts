/**
 * `@saeflow/forward`: hidden states at any hooks (`blocks.{L}.hook_resid_post`, `resid_pre`, `attn_out`,
 * `resid_mid`, `mlp_out`) for all requested layers in one ONNX Runtime pass, from llama2.c checkpoints and Hugging
 * Face safetensors (Llama, Gemma 2) through graphs built here, or from exported ONNX models through graph surgery.
 *
 * @example
 * ```ts
 * import { ForwardStream, loadDecoder } from "@saeflow/forward";
 * const model = await loadDecoder("../shared/models/stories260K/stories260K.bin", {
 *   hooks: ["blocks.1.hook_resid_post", "blocks.3.hook_resid_post"],
 * });
 * const activations = tokenBatches.pipeThrough(new ForwardStream({ model }));
 * ```
 * @module
 */
export { type Hook, HOOK_POINTS, type HookPoint, parseHookName, parseHooks, residPostHooks } from "./hooks.ts";
export { type ActivationBatch, hookActivations } from "./activation_batch.ts";
export { type DecoderConfig, type Llama3RopeScaling, parseDecoderConfig } from "./decoder/decoder_config.ts";
export { buildDecoderGraph, type DecoderGraph, type DecoderGraphOptions } from "./decoder/decoder_graph.ts";
export { type ImportedDecoder, readLlama2cCheckpoint } from "./decoder/llama2c_checkpoint.ts";
export {
  checkWeightShape,
  MemoryWeights,
  readWeight,
  type StoredTensor,
  type WeightSource,
} from "./decoder/weight_source.ts";
export { ropeInverseFrequencies } from "./decoder/rope.ts";
export type { AttentionKernel } from "./decoder/attention_graph.ts";
export {
  checkDtype,
  createSession,
  type Dtype,
  DTYPES,
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  type SessionOptions,
} from "./execution.ts";
export {
  DecoderSession,
  type ForwardModel,
  type ForwardOptions,
  type ForwardTimings,
  type ModelInfo,
  noTimings,
  recordBatch,
} from "./forward_model.ts";
export { checkTokens, outputAsFloat32, toInt64, type TokenLimits } from "./token_checks.ts";
export { loadDecoder, type LoadDecoderOptions } from "./load_decoder.ts";
export { type ForwardRunner, ForwardStream, type ForwardStreamOptions } from "./forward_stream.ts";
export {
  type Attr,
  type Dim,
  type ExternalData,
  GraphBuilder,
  type ModelOptions,
  OnnxType,
  type OnnxTypeCode,
} from "./onnx/onnx_builder.ts";
export { ExportedSession, type ExportedSessionOptions } from "./exported_session.ts";
export { OnnxGraph, type OnnxNode, type OnnxValueInfo, parseOnnxGraph } from "./onnx/onnx_graph.ts";
export { appendGraphOutputs, graphFragment, type GraphOutputSpec } from "./onnx/graph_surgery.ts";
export { locateResidualStream, type ResidualBlock } from "./onnx/residual_locator.ts";
export { type HookTensors, hookTensors } from "./onnx/hook_tensors.ts";
export { loadSessionWithOutputs } from "./onnx/session_with_outputs.ts";
export {
  loadTransformersJsWithHooks,
  TRANSFORMERS_JS_DTYPES,
  type TransformersJsActivations,
  type TransformersJsDtype,
  type TransformersJsHookedModel,
  type TransformersJsHookOptions,
} from "./transformers_js.ts";
export { type SerializedGraph, serializeGraph, storedInitializer } from "./onnx/external_data.ts";
