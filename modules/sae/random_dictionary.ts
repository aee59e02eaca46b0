/**
 * Seeded random unit directions as an SAE dictionary: the decoder of a random SAE, and where a trained one starts.
 * @module
 */
import { mulberry32, standardNormal } from "@saeflow/core";

/**
 * `dSae` Gaussian directions in `dIn` dimensions, each normalised (in float64) to unit length: `decoder` `[dSae, dIn]`
 * holds them as rows and `encoder` `[dIn, dSae]` as columns (its transpose). The same seed gives the same bits on
 * every machine.
 *
 * @example
 * ```ts
 * const { encoder, decoder } = randomUnitDictionary(64, 512, 1);
 * ```
 */
export function randomUnitDictionary(
  dIn: number,
  dSae: number,
  seed: number,
): { encoder: Float32Array; decoder: Float32Array } {
  const gaussian = standardNormal(mulberry32(seed));
  const encoder = new Float32Array(dIn * dSae);
  const decoder = new Float32Array(dSae * dIn);
  const direction = new Float64Array(dIn);
  for (let j = 0; j < dSae; j++) {
    let norm = 0;
    for (let i = 0; i < dIn; i++) norm += (direction[i] = gaussian()) ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < dIn; i++) encoder[i * dSae + j] = decoder[j * dIn + i] = direction[i] / norm;
  }
  return { encoder, decoder };
}
