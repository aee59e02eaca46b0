/**
 * Shuffled training batches from a stream of activation rows. Consecutive tokens of one text are strongly
 * correlated, so an SAE trained on them in order sees batches far from i.i.d.; a large buffer that batches are drawn
 * from at random breaks that correlation with memory fixed at `capacity` rows, however long the stream.
 * @module
 */
import { ConfigError, DataError, mulberry32 } from "@saeflow/core";
import type { RowBlock } from "./activation_rows.ts";

/** Options for {@link ShuffleBatchStream}. */
export interface ShuffleBatchOptions {
  /** Rows per training batch. */
  batchSize: number;
  /** Rows the buffer holds (at least `batchSize`); the larger, the better mixed, at `capacity * dIn * 4` bytes. */
  capacity: number;
  /** Seed of the draws: the same rows in the same order and the same seed give the same batches. */
  seed: number;
  /** Width of every row. */
  dIn: number;
  /** Drop the final batch when fewer than `batchSize` rows are left at the end (default true), so every batch has
   * the same size and weight in the loss. */
  dropLast?: boolean;
}

/**
 * RowBlocks in, shuffled `[batchSize, dIn]` Float32Array batches out. Rows fill a preallocated buffer of `capacity`
 * rows; each time it is full, `batchSize` rows are drawn uniformly without replacement (each drawn slot refilled by
 * the last live row, as in Fisher–Yates), emitted at once, and new rows refill the freed slots. Since a batch is
 * drawn whenever the buffer fills, row by row, the batches depend only on the rows' order and the seed, never on
 * how the rows were cut into blocks. At the end the rest is drained in random order.
 *
 * @example
 * ```ts
 * const batches = rowBlocks.pipeThrough(new ShuffleBatchStream({ batchSize: 4096, capacity: 262144, seed: 0, dIn: 768 }));
 * for await (const batch of batches) trainStep(batch); // Float32Array(4096 * 768)
 * ```
 */
export class ShuffleBatchStream extends TransformStream<RowBlock, Float32Array> {
  readonly #buffer: { held: number };

  /** Allocates the buffer; ConfigError on options that cannot work (sizes not positive integers, capacity < batchSize). */
  constructor(options: ShuffleBatchOptions) {
    const { batchSize, capacity, seed, dIn, dropLast = true } = options;
    for (const [name, value] of Object.entries({ batchSize, capacity, dIn })) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new ConfigError(`ShuffleBatchStream: ${name} ${value}; expected a positive integer`);
      }
    }
    if (!Number.isSafeInteger(seed)) throw new ConfigError(`ShuffleBatchStream: seed ${seed}; expected an integer`);
    if (capacity < batchSize) {
      throw new ConfigError(`ShuffleBatchStream: capacity ${capacity} is below batchSize ${batchSize}; expected more`);
    }
    const buffer = new Float32Array(capacity * dIn);
    const state = { held: 0 };
    const uniform = mulberry32(seed);
    const draw = (size: number): Float32Array => {
      const batch = new Float32Array(size * dIn);
      for (let k = 0; k < size; k++) {
        const slot = Math.floor(uniform() * state.held);
        batch.set(buffer.subarray(slot * dIn, (slot + 1) * dIn), k * dIn);
        state.held--;
        if (slot !== state.held) buffer.copyWithin(slot * dIn, state.held * dIn, (state.held + 1) * dIn);
      }
      return batch;
    };
    super({
      transform(block, controller) {
        if (block.dIn !== dIn || block.rows.length !== block.count * dIn) {
          throw new DataError(
            "ShuffleBatchStream",
            {},
            `a row block of ${block.count} rows of width ${block.dIn} with ${block.rows.length} values`,
            `rows of width ${dIn} (count * dIn values)`,
          );
        }
        for (let from = 0; from < block.count;) {
          const take = Math.min(capacity - state.held, block.count - from);
          buffer.set(block.rows.subarray(from * dIn, (from + take) * dIn), state.held * dIn);
          state.held += take;
          from += take;
          if (state.held === capacity) controller.enqueue(draw(batchSize));
        }
      },
      flush(controller) {
        while (state.held >= batchSize) controller.enqueue(draw(batchSize));
        if (state.held > 0 && !dropLast) controller.enqueue(draw(state.held));
      },
    });
    this.#buffer = state;
  }

  /** Rows held in the buffer now (never more than `capacity`). */
  get heldRows(): number {
    return this.#buffer.held;
  }
}
