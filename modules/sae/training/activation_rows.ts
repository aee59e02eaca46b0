/**
 * The first hop of SAE training: activation batches in, blocks of real-token activation rows out. An SAE trains on
 * single token positions, so padding is dropped and, by default, the BOS position too.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { type ActivationBatch, hookActivations } from "@saeflow/forward";

/** Activation rows, `[count, dIn]` row-major: the unit every training stage passes along. */
export interface RowBlock {
  /** `count * dIn` values, row-major; owned by the block (never a view into a model's output). */
  rows: Float32Array;
  /** Rows in the block. */
  count: number;
  /** Values per row (the hook's d_model, the SAE's d_in). */
  dIn: number;
}

/** Options for {@link ActivationRowsStream} and {@link activationRows}. */
export interface ActivationRowsOptions {
  /** Hook whose activations become rows (`blocks.12.hook_resid_post`). */
  hook: string;
  /** Leave out position 0 of each row when the batch starts with BOS (default true): BOS activations are outliers
   * of huge norm that SAE recipes leave out, and would dominate the reconstruction loss. */
  skipBos?: boolean;
}

/**
 * The real (mask 1) token rows of one hook, batch row by batch row, position by position. A non-finite value is a
 * DataError naming the record and position: one NaN would poison every weight the trainer updates with it.
 *
 * @example
 * ```ts
 * const { rows, count, dIn } = activationRows(batch, { hook: "blocks.2.hook_resid_post" });
 * ```
 */
export function activationRows(batch: ActivationBatch, options: ActivationRowsOptions): RowBlock {
  const { hook, skipBos = true } = options;
  const { tokens, dModel: dIn } = batch;
  const { mask, batchSize, seqLen } = tokens;
  const values = hookActivations(batch, hook);
  if (values.length !== batchSize * seqLen * dIn) {
    throw new DataError(
      hook,
      {},
      `activations have ${values.length} values`,
      `[batchSize ${batchSize}, seqLen ${seqLen}, dModel ${dIn}] = ${batchSize * seqLen * dIn}`,
    );
  }
  const first = skipBos && tokens.hasBos ? 1 : 0;
  let count = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let p = first; p < seqLen; p++) count += mask[b * seqLen + p];
  }
  const rows = new Float32Array(count * dIn);
  let at = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let p = first; p < seqLen; p++) {
      if (!mask[b * seqLen + p]) continue;
      const row = values.subarray((b * seqLen + p) * dIn, (b * seqLen + p + 1) * dIn);
      for (let j = 0; j < dIn; j++) {
        if (!Number.isFinite(row[j])) {
          throw new DataError(
            hook,
            { id: tokens.records[b]?.id },
            `activation ${row[j]} at position ${p}, dimension ${j}`,
            "finite activations (is the model's dtype overflowing?)",
          );
        }
      }
      rows.set(row, at);
      at += dIn;
    }
  }
  return { rows, count, dIn };
}

/**
 * Activation batches in, one {@link RowBlock} of real-token rows per batch out (a batch with no rows left emits
 * nothing, so consumers never see empty blocks).
 *
 * @example
 * ```ts
 * const blocks = activationBatches.pipeThrough(new ActivationRowsStream({ hook: "blocks.2.hook_resid_post" }));
 * for await (const { count, dIn } of blocks) console.log(count, dIn);
 * ```
 */
export class ActivationRowsStream extends TransformStream<ActivationBatch, RowBlock> {
  /** A ConfigError when `hook` is not a hook name. */
  constructor(options: ActivationRowsOptions) {
    if (typeof options.hook !== "string" || options.hook === "") {
      throw new ConfigError(`ActivationRowsStream: hook ${JSON.stringify(options.hook)}; expected a hook name`);
    }
    super({
      transform(batch, controller) {
        const block = activationRows(batch, options);
        if (block.count > 0) controller.enqueue(block);
      },
    });
  }
}
