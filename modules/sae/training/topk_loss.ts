/**
 * The TopK SAE objective (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"): keep each token's k
 * largest pre-activations, ReLU them, reconstruct; the loss is the normalised MSE `Σ‖x − x̂‖² / Σ‖x − x̄‖²` plus
 * AuxK: the top `k_aux` pre-activations of the dead latents reconstruct the (detached) residual `x − x̂` without
 * `b_dec`, weighted by `auxCoefficient` (1/32) and by `min(dead / k_aux, 1)` (SAELens), both terms divided by the
 * batch's total variance (as EleutherAI's sparsify does; Gao et al. normalise AuxK by the residual's variance).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { detach, topkMask } from "./no_gradient.ts";
import type { LossContext, LossTerms } from "./sae_loss.ts";
import type { SaeParams } from "./sae_params.ts";

/** TopK hyperparameters. */
export interface TopkLossOptions {
  k: number;
  /** Dead latents recruited per token by AuxK (at most the dead count). */
  auxK: number;
  auxCoefficient: number;
  applyBDecToInput: boolean;
}

/** The TopK loss terms of batch `x` (`[rows, dIn]`, training units). */
export function topkLoss(p: SaeParams, x: tf.Tensor2D, o: TopkLossOptions, context: LossContext): LossTerms {
  const input = o.applyBDecToInput ? x.sub(p.b_dec) : x;
  const pre = input.matMul(p.W_enc).add(p.b_enc) as tf.Tensor2D;
  const positive = pre.relu();
  const z = positive.mul(topkMask(pre, o.k));
  const error = x.sub(z.matMul(p.W_dec).add(p.b_dec));
  const sqError = error.square().sum() as tf.Scalar;
  let penalty = tf.scalar(0);
  const dead = context.dead;
  if (o.auxCoefficient > 0 && dead && dead.count > 0) {
    const auxK = Math.min(o.auxK, dead.count);
    // Live latents are pushed 1e30 below any dead one, so the aux top-k picks dead latents only.
    const deadFirst = pre.add(dead.mask.sub(1).mul(1e30)) as tf.Tensor2D;
    const zAux = positive.mul(topkMask(deadFirst, auxK));
    const auxError = zAux.matMul(p.W_dec).sub(detach(error)).square().sum();
    penalty = auxError.div(context.totalVariance).mul(o.auxCoefficient * Math.min(dead.count / o.auxK, 1));
  }
  const fired = z.greater(0).cast("float32").sum(0) as tf.Tensor1D;
  return {
    loss: sqError.div(context.totalVariance).add(penalty) as tf.Scalar,
    sqError: tf.keep(sqError),
    active: tf.keep(fired.sum() as tf.Scalar),
    fired: tf.keep(fired),
    penalty: tf.keep(penalty as tf.Scalar),
  };
}
