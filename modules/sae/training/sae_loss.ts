/**
 * What a training step's loss returns, whatever the architecture: the scalar to minimise and the statistics the
 * trainer reads back once per step.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Tensors of one forward pass. `loss` is differentiated; the rest are kept (`tf.keep`) for the step's metrics. */
export interface LossTerms {
  loss: tf.Scalar;
  /** `Σ‖x − x̂‖²` over the batch, in training units. */
  sqError: tf.Scalar;
  /** Active features summed over the batch's rows. */
  active: tf.Scalar;
  /** `[dSae]`: rows on which each feature fired. */
  fired: tf.Tensor1D;
  /** The auxiliary (dead-latent) or sparsity term, as added to the loss. */
  penalty: tf.Scalar;
}

/** The batch-wide context of one step's loss. */
export interface LossContext {
  /** `Σ‖x − mean(x)‖²` of the batch, the normaliser of TopK's reconstruction term. */
  totalVariance: tf.Scalar;
  /** `[dSae]` 1 for latents that have not fired for the dead window, else 0; with their count. */
  dead?: { mask: tf.Tensor1D; count: number };
  /** JumpReLU: the sparsity coefficient λ at this step (after its warm-up). */
  l0Coefficient: number;
}
