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
 * treats the selected set as fixed, as Gao et al. (2024) and SAELens do. Exactly k per row (ties go to the lower
 * index, as TopK orders them). The mask is scattered from TopK's indices: on tfjs-wasm that is 6× faster than
 * comparing every entry with the row's k-th value (GreaterEqual has no fast wasm kernel: 1.2 s at 4096 × 4096).
 */
export function topkMask(x: tf.Tensor2D, k: number): tf.Tensor2D {
  const mask = tf.customGrad(
    ((input: tf.Tensor) => ({
      value: tf.tidy(() => {
        const [rows, d] = input.shape as [number, number];
        const columns = tf.topk(input, k, false).indices;
        const rowIds = tf.range(0, rows, 1, "int32").reshape([rows, 1]).tile([1, k]);
        const positions = tf.stack([rowIds, columns], 2).reshape([rows * k, 2]);
        return tf.scatterND(positions, tf.ones([rows * k]), [rows, d]);
      }),
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    })) as CustomGradientFunc,
  );
  return mask(x) as tf.Tensor2D;
}
