/**
 * One description of a sparse autoencoder, whatever format it came from (Gemma Scope npz, SAELens, sparsify): its
 * architecture, input preprocessing and weights. Loaders produce it; the encoders consume it.
 * @module
 */
import type { StoredTensor } from "@saeflow/forward";

/** How pre-activations become features. */
export type SaeArchitecture =
  /** `relu(pre) * (pre > threshold)`, Gemma Scope / SAELens jumprelu. */
  | "jumprelu"
  /** `relu(pre)`, SAELens "standard". */
  | "relu"
  /** The k largest, see {@link SaeSpec.topkOrder}. */
  | "topk";

/**
 * A tensor of the SAE: in memory, or stored on disk (an `.npy` inside an uncompressed `.npz`, a safetensors entry) so
 * that a graph can refer to it in place without reading it into JS.
 */
export type SaeTensor =
  | { shape: number[]; data: Float32Array }
  | { shape: number[]; stored: StoredTensor };

/** Runtime normalization of the input activations, as SAELens names it. */
export type SaeInputNormalization =
  /** Nothing. */
  | { kind: "none" }
  /** Multiply every input by a constant (SAELens `expected_average_only_in` with its scaling factor). */
  | { kind: "scale"; factor: number }
  /** Rescale each token to norm sqrt(d_in) (SAELens `constant_norm_rescale`). */
  | { kind: "constant_norm_rescale" }
  /** Per-token layer norm without affine parameters (SAELens `layer_norm`). */
  | { kind: "layer_norm" };

/** A loaded SAE, ready for an encoder. */
export interface SaeSpec {
  /** What it is called: a registry id (`gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82`), a Hub path or a file. */
  id: string;
  /** The file or folder it was read from, for error messages. */
  source: string;
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  /** TopK: how many features stay active per token. */
  k?: number;
  /**
   * TopK order of operations: SAELens takes the top k of the pre-activations, then applies ReLU to them;
   * sparsify applies ReLU first, then takes the top k. The active features are the same either way (the min(k,
   * positives) largest positive pre-activations); only the raw `[rows, k]` padding slots differ (negatives' ids vs
   * zeros), which the CSR output drops. Kept so a spec says what its source does.
   */
  topkOrder?: "topk-then-relu" | "relu-then-topk";
  /** Subtract `b_dec` from the input before encoding (SAELens `apply_b_dec_to_input`, sparsify always). */
  applyBDecToInput: boolean;
  normalization: SaeInputNormalization;
  /** Hook the SAE was trained on, in TransformerLens naming (`blocks.12.hook_resid_post`). */
  hookName?: string;
  /** The model it belongs to (`gemma-2-2b`). */
  modelId?: string;
  /** Neuronpedia source id (`gemma-2-2b/12-gemmascope-res-16k`): feature i is `${neuronpediaId}/${i}`. */
  neuronpediaId?: string;
  weights: {
    /** `[dIn, dSae]`, or `[dSae, dIn]` when `encoderTransposed` (sparsify's `encoder.weight`). */
    W_enc: SaeTensor;
    encoderTransposed?: boolean;
    /** `[dSae]` */
    b_enc: SaeTensor;
    /** `[dSae]`, JumpReLU only, kept float32 exactly as stored. */
    threshold?: SaeTensor;
    /** `[dIn]` */
    b_dec: SaeTensor;
    /** `[dSae, dIn]`, for reconstruction diagnostics. */
    W_dec?: SaeTensor;
  };
}
