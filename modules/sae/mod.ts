/**
 * `@saeflow/sae`: sparse autoencoders. Loaders for Gemma Scope `params.npz` (with a registry of releases), SAELens
 * and sparsify folders, all into one {@link SaeSpec}; encoders on ONNX Runtime (default) or tfjs that turn activations
 * into sparse CSR features; `SaeEncodeStream` for activation batches; diagnostics (L0, FVU, dead features).
 *
 * @example
 * ```ts
 * import { findGemmaScopeSae, loadGemmaScopeSae, SaeEncoder, SaeEncodeStream } from "@saeflow/sae";
 * const entry = findGemmaScopeSae({ model: "gemma-2-2b", layer: 12, width: "16k" });
 * const encoder = await SaeEncoder.create(await loadGemmaScopeSae(entry));
 * const features = activations.pipeThrough(new SaeEncodeStream({ saes: [{ id: entry.id, hook: entry.hookName, encoder }] }));
 * ```
 * @module
 */
export type { SaeArchitecture, SaeInputNormalization, SaeSpec, SaeTensor } from "./sae_spec.ts";
export { type FeatureBatch, recordRowOffsets, type SparseFeatures } from "./sparse_features.ts";
export {
  addEncoder,
  buildEncoderGraph,
  type EncoderGraph,
  type EncoderGraphOptions,
  type EncoderOutputs,
  type Extraction,
} from "./encoder_graph.ts";
export { type EncodeResult, type FeatureEncoder, SaeEncoder, type SaeEncoderOptions } from "./sae_encoder.ts";
export { startTfjsBackend, TFJS_BACKENDS, TFJS_NODE_PACKAGES, type TfjsBackend } from "./tfjs_backend.ts";
export { TfjsSaeEncoder, type TfjsSaeEncoderOptions } from "./tfjs_encoder.ts";
export {
  encodeActivationBatch,
  type HookedSae,
  realTokenRows,
  SaeEncodeStream,
  type SaeEncodeStreamOptions,
} from "./encode_stream.ts";
export {
  FusedEncodeStream,
  type FusedEncodeStreamOptions,
  type FusedSae,
  FusedSaeModel,
  type FusedSaeOptions,
} from "./fused_encoder.ts";
export { type RowLayout, toSparseFeatures } from "./csr.ts";
export { randomSae, type RandomSaeOptions } from "./random_sae.ts";
export { DENSE_ABOVE, FeatureStats, type FeatureSummary } from "./feature_stats.ts";
export {
  type ActivationExample,
  type DecodedExample,
  TopActivations,
  type TopActivationsJson,
  type TopActivationsOptions,
} from "./top_activations.ts";
export { GEMMA_SCOPE_ARRAYS, type GemmaScopeMeta, loadGemmaScopeNpz } from "./gemma_scope_npz.ts";
export {
  downloadGemmaScopeSae,
  findGemmaScopeSae,
  GEMMA_SCOPE_REGISTRY_PATH,
  GEMMA_SCOPE_WIDTHS,
  type GemmaScopeDownloadOptions,
  type GemmaScopeQuery,
  GemmaScopeRegistry,
  type GemmaScopeSae,
  loadGemmaScopeRegistry,
  loadGemmaScopeSae,
} from "./gemma_scope_registry.ts";
export { downloadSaeFolder, type SaeFolderDownloadOptions } from "./sae_folder.ts";
export { loadSaeLens, type LoadSaeLensOptions, SAELENS_WEIGHTS_FILE } from "./saelens.ts";
export { loadSparsify, type LoadSparsifyOptions, SPARSIFY_WEIGHTS_FILE } from "./sparsify.ts";
export { readZipDirectory, type ZipDirectory, type ZipEntry } from "./zip_directory.ts";
export { type NpyHeader, parseNpyHeader } from "./npy.ts";
export { nextTokenLoss, type SplicedLoss, splicedLoss } from "./spliced_loss.ts";
export { saveSaeLens, type SaveSaeLensOptions } from "./saelens_writer.ts";
export {
  activationRows,
  type ActivationRowsOptions,
  ActivationRowsStream,
  type RowBlock,
} from "./training/activation_rows.ts";
export { type ShuffleBatchOptions, ShuffleBatchStream } from "./training/shuffle_buffer.ts";
export {
  type ActivationCache,
  type ActivationCacheManifest,
  ActivationCacheWriter,
  type ActivationCacheWriterOptions,
  readActivationCache,
} from "./training/activation_cache.ts";
export {
  B_DEC_INITS,
  type BDecInit,
  TRAINABLE_ARCHITECTURES,
  type TrainableArchitecture,
} from "./training/sae_params.ts";
export { resolveTrainingConfig, type SaeTrainingConfig, type TrainingConfigInput } from "./training/training_config.ts";
export { SaeTrainer, type StepMetrics } from "./training/sae_trainer.ts";
export { geometricMedian } from "./training/geometric_median.ts";
export { heaviside, jumpRelu, jumpReluLoss, type JumpReluLossOptions } from "./training/jumprelu_loss.ts";
export { topkLoss, type TopkLossOptions } from "./training/topk_loss.ts";
export type { LossContext, LossTerms } from "./training/sae_loss.ts";
export { trainSae, type TrainSaeOptions, type TrainSaeResult } from "./training/train_loop.ts";
export { Adam, type AdamOptions } from "./training/adam.ts";
export { checkSameRun, type SameRunCheck } from "./training/same_run.ts";
export { evaluateSae } from "./evaluate_sae.ts";
