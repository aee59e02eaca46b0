/**
 * The JumpReLU SAE objective (Rajamanoharan et al. 2024, "Jumping Ahead"; the Gemma Scope recipe):
 * `f = pre · H(pre − θ)`, `x̂ = f W_dec + b_dec`, loss `mean ‖x − x̂‖² + λ · mean ‖f‖₀`, with θ = exp(log θ)
 * learned through straight-through pseudo-derivatives with a rectangle kernel K of bandwidth ε:
 * `∂ jumprelu/∂θ = −(θ/ε) K((pre − θ)/ε)` and `∂ H(pre − θ)/∂θ = −(1/ε) K((pre − θ)/ε)`; no gradient flows to
 * `pre` through the step.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { CustomGradientFunc } from "./no_gradient.ts";
import type { LossContext, LossTerms } from "./sae_loss.ts";
import type { SaeParams } from "./sae_params.ts";

/** JumpReLU hyperparameters. */
export interface JumpReluLossOptions {
  /** ε of the rectangle kernel, in training units. */
  bandwidth: number;
  applyBDecToInput: boolean;
}

/** `K(u) = 1` for `|u| < 1/2`, else 0, at `u = (pre − θ)/ε`. */
function rectangle(pre: tf.Tensor, theta: tf.Tensor, bandwidth: number): tf.Tensor {
  return pre.sub(theta).div(bandwidth).abs().less(0.5).cast("float32");
}

/** `pre · H(pre − θ)` with the pseudo-derivative in log θ (chain rule: `∂θ/∂ log θ = θ`). */
export function jumpRelu(bandwidth: number): (pre: tf.Tensor, logThreshold: tf.Tensor) => tf.Tensor {
  return tf.customGrad(
    ((pre: tf.Tensor, logThreshold: tf.Tensor, save: tf.GradSaveFunc) => {
      save([pre, logThreshold]);
      const theta = logThreshold.exp();
      return {
        value: pre.mul(pre.greater(theta).cast("float32")),
        gradFunc: (dy: tf.Tensor, [pre, logThreshold]: tf.Tensor[]) => {
          const theta = logThreshold.exp();
          const dTheta = dy.mul(rectangle(pre, theta, bandwidth)).sum(0).mul(theta.div(-bandwidth));
          return [dy.mul(pre.greater(theta).cast("float32")), dTheta.mul(theta)];
        },
      };
    }) as unknown as CustomGradientFunc,
  ) as (pre: tf.Tensor, logThreshold: tf.Tensor) => tf.Tensor;
}

/** `H(pre − θ)` (1 where a feature fires) with the pseudo-derivative in log θ and none in `pre`. */
export function heaviside(bandwidth: number): (pre: tf.Tensor, logThreshold: tf.Tensor) => tf.Tensor {
  return tf.customGrad(
    ((pre: tf.Tensor, logThreshold: tf.Tensor, save: tf.GradSaveFunc) => {
      save([pre, logThreshold]);
      return {
        value: pre.greater(logThreshold.exp()).cast("float32"),
        gradFunc: (dy: tf.Tensor, [pre, logThreshold]: tf.Tensor[]) => {
          const theta = logThreshold.exp();
          const dTheta = dy.mul(rectangle(pre, theta, bandwidth)).sum(0).div(-bandwidth);
          return [tf.zerosLike(pre), dTheta.mul(theta)];
        },
      };
    }) as unknown as CustomGradientFunc,
  ) as (pre: tf.Tensor, logThreshold: tf.Tensor) => tf.Tensor;
}

/** The JumpReLU loss terms of batch `x` (`[rows, dIn]`, training units). */
export function jumpReluLoss(p: SaeParams, x: tf.Tensor2D, o: JumpReluLossOptions, context: LossContext): LossTerms {
  const rows = x.shape[0];
  const input = o.applyBDecToInput ? x.sub(p.b_dec) : x;
  const pre = input.matMul(p.W_enc).add(p.b_enc);
  const f = jumpRelu(o.bandwidth)(pre, p.log_threshold);
  const sqError = x.sub(f.matMul(p.W_dec).add(p.b_dec)).square().sum() as tf.Scalar;
  const firing = heaviside(o.bandwidth)(pre, p.log_threshold);
  const active = firing.sum() as tf.Scalar; // differentiated: the L0 penalty's pseudo-gradient flows through it
  const penalty = active.mul(context.l0Coefficient / rows) as tf.Scalar;
  return {
    loss: sqError.div(rows).add(penalty) as tf.Scalar,
    sqError: tf.keep(sqError),
    active: tf.keep(active),
    fired: tf.keep(firing.sum(0) as tf.Tensor1D),
    penalty: tf.keep(penalty),
  };
}
