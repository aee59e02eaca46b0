/**
 * Gradient stops for tfjs, which has no `stopGradient`: values that flow forward but pass no gradient back (a TopK
 * mask, a detached residual). Ops inside a `customGrad` forward are not taped, so TopK (which has no gradient in
 * tfjs) can run there.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** What `tf.customGrad` takes (tfjs does not export the type by name). */
export type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** `x` itself, through which no gradient flows back. */
export const detach = tf.customGrad(
  ((x: tf.Tensor) => ({
    value: x.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as CustomGradientFunc,
) as (x: tf.Tensor) => tf.Tensor;

/**
 * `[rows, d]` float mask of each row's `k` largest entries (1 there, 0 elsewhere), with no gradient: TopK training
 * treats the selected set as fixed, as Gao et al. (2024) and SAELens do. Entries equal to the k-th largest are all
 * kept, so exact ties can select more than k (they do not occur in float training data).
 */
export function topkMask(x: tf.Tensor2D, k: number): tf.Tensor2D {
  const mask = tf.customGrad(
    ((input: tf.Tensor) => ({
      value: tf.tidy(() => {
        const kth = tf.topk(input, k, true).values.slice([0, k - 1], [-1, 1]);
        return tf.greaterEqual(input, kth).cast("float32");
      }),
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    })) as CustomGradientFunc,
  );
  return mask(x) as tf.Tensor2D;
}
