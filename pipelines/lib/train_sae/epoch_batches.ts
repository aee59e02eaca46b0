/**
 * Training batches over as many epochs as a run needs: each epoch reads the rows again and shuffles them through
 * a fresh buffer seeded by (seed, epoch), so a replay of the same run draws the same batches.
 * @module
 */
import { DataError } from "@saeflow/core";
import { type RowBlock, ShuffleBatchStream } from "@saeflow/sae";

/** Options of {@link epochBatches}. */
export interface EpochBatchesOptions {
  /** Opens the rows again for each epoch. */
  read: () => Promise<ReadableStream<RowBlock>>;
  dIn: number;
  batchSize: number;
  /** Rows the shuffle buffer holds. */
  capacity: number;
  seed: number;
}

/** Endless batches (the consumer stops); a DataError when an epoch yields not one whole batch. */
export async function* epochBatches(o: EpochBatchesOptions): AsyncGenerator<Float32Array> {
  for (let epoch = 0;; epoch++) {
    const shuffle = new ShuffleBatchStream({
      batchSize: o.batchSize,
      capacity: Math.max(o.capacity, o.batchSize),
      seed: (o.seed + Math.imul(epoch, 0x9e3779b1)) >>> 0,
      dIn: o.dIn,
    });
    let batches = 0;
    for await (const batch of (await o.read()).pipeThrough(shuffle)) {
      batches++;
      yield batch;
    }
    if (batches === 0) {
      throw new DataError(
        "SAE training rows",
        {},
        `an epoch gave no batch of ${o.batchSize} rows`,
        `a dataset with at least ${o.batchSize} real tokens (lower --train-batch or add data)`,
      );
    }
  }
}
