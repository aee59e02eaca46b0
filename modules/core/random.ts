/**
 * Seeded randomness: the same seed gives the same numbers on every machine and runtime (no `Math.random`).
 * @module
 */

/**
 * mulberry32: a tiny deterministic 32-bit PRNG returning uniforms in [0, 1).
 *
 * @example
 * ```ts
 * const uniform = mulberry32(42);
 * uniform(); // the same number on every machine
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal draws (Box-Muller, one draw per pair of uniforms) from a uniform generator.
 *
 * @example
 * ```ts
 * const gaussian = standardNormal(mulberry32(7));
 * gaussian(); // mean 0, variance 1
 * ```
 */
export function standardNormal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
