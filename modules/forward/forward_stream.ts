/**
 * Forward as a stream stage: token batches in, activation batches out, one ONNX Runtime call at a time (the
 * session already uses every core), holding at most one finished batch while the consumer is busy.
 * @module
 */
import type { TokenBatch } from "@saeflow/tokenize";
import type { ActivationBatch } from "./activation_batch.ts";

/** Anything that turns a token batch into activations ({@link DecoderSession} does). */
export interface ForwardRunner {
  run(tokens: TokenBatch): Promise<ActivationBatch>;
}

/** Options for {@link ForwardStream}. */
export interface ForwardStreamOptions {
  /** The model every batch runs through. */
  model: ForwardRunner;
}

/**
 * Runs each token batch through the model. Memory stays bounded: the readable side holds one batch, so a slow
 * consumer stops the forward pass (and, through backpressure, tokenization and reading) until it catches up.
 *
 * @example
 * ```ts
 * const activations = tokenBatches.pipeThrough(new ForwardStream({ model }));
 * ```
 */
export class ForwardStream extends TransformStream<TokenBatch, ActivationBatch> {
  constructor({ model }: ForwardStreamOptions) {
    super(
      {
        async transform(tokens, controller) {
          controller.enqueue(await model.run(tokens));
        },
      },
      new CountQueuingStrategy({ highWaterMark: 1 }),
      new CountQueuingStrategy({ highWaterMark: 1 }),
    );
  }
}
