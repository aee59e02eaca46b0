/**
 * The geometric median of a set of points (Weiszfeld's algorithm, in float64): the `b_dec` initialisation of TopK
 * SAEs (Gao et al. 2024), robust to the few huge-norm activations that pull a mean.
 * @module
 */

/**
 * The point minimising the sum of Euclidean distances to the rows of `points` (`[rows, d]`), by Weiszfeld
 * iterations from the mean until a step moves less than `tolerance` times the mean distance, or `maxIterations`.
 *
 * @example
 * ```ts
 * geometricMedian(Float32Array.of(0, 0, 1, 0, 0, 1, 10, 10), 2); // close to [0.3, 0.3], where the mean is [2.75, 2.75]
 * ```
 */
export function geometricMedian(points: Float32Array, d: number, maxIterations = 200, tolerance = 1e-7): Float64Array {
  const rows = points.length / d;
  const median = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) median[i] += points[r * d + i] / rows;
  const next = new Float64Array(d);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    next.fill(0);
    let weights = 0;
    let distances = 0;
    for (let r = 0; r < rows; r++) {
      let squared = 0;
      for (let i = 0; i < d; i++) squared += (points[r * d + i] - median[i]) ** 2;
      const distance = Math.sqrt(squared);
      distances += distance;
      // A point on the current estimate would get infinite weight; a floor keeps the step defined.
      const weight = 1 / Math.max(distance, 1e-12);
      weights += weight;
      for (let i = 0; i < d; i++) next[i] += weight * points[r * d + i];
    }
    let moved = 0;
    for (let i = 0; i < d; i++) {
      next[i] /= weights;
      moved += (next[i] - median[i]) ** 2;
      median[i] = next[i];
    }
    if (Math.sqrt(moved) <= tolerance * (distances / rows)) break;
  }
  return median;
}
