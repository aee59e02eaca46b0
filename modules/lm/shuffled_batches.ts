/**
 * Training batches drawn from packed rows: every epoch visits each row once, in a seeded order of its own, and the
 * batches run on across epoch boundaries. A batch is a function of its step number alone, so a resumed run gets
 * exactly the batches an uninterrupted one would, without reading the ones before.
 * @module
 */
import { ConfigError, mulberry32 } from "@saeflow/core";
import type { PackedSequences } from "./packed_sequences.ts";

/**
 * The seeded order of `count` rows in epoch `epoch` (0-based): a Fisher–Yates shuffle driven by mulberry32, seeded
 * from the run's seed and the epoch.
 *
 * @example
 * ```ts
 * epochOrder(5, 0, 0); // a permutation of 0..4; epoch 1 gives another
 * ```
 */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const uniform = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Batches of `batchSize` rows of `packed`, by step. Row `p` of the run (`p = step · batchSize + r`) is row
 * `epochOrder(count, seed, ⌊p / count⌋)[p mod count]`.
 *
 * @example
 * ```ts
 * const batches = new ShuffledBatches(packed, { batchSize: 16, seed: 0 });
 * const ids = batches.batch(0); // [16, seqLen] row-major
 * batches.epochOf(1000); // epochs done after 1000 steps (2.6, say)
 * ```
 */
export class ShuffledBatches {
  readonly #packed: PackedSequences;
  readonly #batchSize: number;
  readonly #seed: number;
  #epoch = -1;
  #order: Uint32Array = new Uint32Array(0);

  constructor(packed: PackedSequences, { batchSize, seed }: { batchSize: number; seed: number }) {
    if (packed.count === 0) {
      throw new ConfigError("no training rows: the corpus gave fewer tokens than one sequence");
    }
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new ConfigError(`batch size ${batchSize}: expected a positive integer`);
    }
    this.#packed = packed;
    this.#batchSize = batchSize;
    this.#seed = seed;
  }

  /** The ids of step `step`'s batch (0-based), `[batchSize, seqLen]` row-major. */
  batch(step: number): Int32Array {
    const { ids: all, count, seqLen } = this.#packed;
    const ids = new Int32Array(this.#batchSize * seqLen);
    for (let r = 0; r < this.#batchSize; r++) {
      const p = step * this.#batchSize + r;
      const row = this.#rowOf(Math.floor(p / count), p % count);
      ids.set(all.subarray(row * seqLen, (row + 1) * seqLen), r * seqLen);
    }
    return ids;
  }

  /** The (fractional) epoch reached after `steps` steps. */
  epochOf(steps: number): number {
    return (steps * this.#batchSize) / this.#packed.count;
  }

  #rowOf(epoch: number, index: number): number {
    if (epoch !== this.#epoch) {
      this.#order = epochOrder(this.#packed.count, this.#seed, epoch);
      this.#epoch = epoch;
    }
    return this.#order[index];
  }
}
