/** Hand-built and seeded sparse vectors, and a dense reference, for the binarize tests. */
import type { SparseVector } from "@saeflow/binarize";
import { mulberry32 } from "../random.ts";

/** Builds a sparse vector from [index, value] pairs (sorted here). */
export function sv(...pairs: [number, number][]): SparseVector {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  return { indices: Int32Array.from(sorted, ([i]) => i), values: Float32Array.from(sorted, ([, v]) => v) };
}

/** The dense float32 form: absent features are 0. */
export function dense(v: SparseVector, dSae: number): Float32Array {
  const out = new Float32Array(dSae);
  v.indices.forEach((f, i) => out[f] = v.values[i]);
  return out;
}

/** Values that sit on or next to the thresholds the tests use (float32 neighbours of 1 and 0.1). */
export const TRICKY_VALUES = [
  1,
  Math.fround(1 + 2 ** -23),
  Math.fround(1 - 2 ** -24),
  0.1, // stored as float32(0.1), just above the double 0.1
  Math.fround(0.1) + 2 ** -27, // the float32 above float32(0.1)
  Math.fround(0.1) - 2 ** -27, // the float32 below float32(0.1)
  0.5,
  2,
  0,
  -0,
  -1,
  -0.1,
  1e-30,
  NaN,
];

/** Seeded random sparse vectors over `dSae` features, values drawn from `pool` or uniform in [0, 3). */
export function randomVectors(
  seed: number,
  count: number,
  dSae: number,
  density = 0.3,
  pool?: number[],
): SparseVector[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const pairs: [number, number][] = [];
    for (let f = 0; f < dSae; f++) {
      if (rand() < density) pairs.push([f, pool ? pool[Math.floor(rand() * pool.length)] : rand() * 3]);
    }
    return sv(...pairs);
  });
}
