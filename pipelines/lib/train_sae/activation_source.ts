/**
 * Where `deno task train-sae` gets activation rows: a dataset's records (training or held-out part, by a seeded
 * hash of each id) through tokenize → forward at one hook, or an activation cache that a first pass wrote.
 * @module
 */
import { abortable, type TextRecord } from "@saeflow/core";
import { type ForwardModel, ForwardStream } from "@saeflow/forward";
import { type DatasetSpec, splitDraw } from "@saeflow/io";
import { openTextRecords } from "../dataset_options.ts";
import { ActivationCacheWriter, ActivationRowsStream, readActivationCache, type RowBlock } from "@saeflow/sae";
import { type TokenBatch, type Tokenizer, TokenizeStream } from "@saeflow/tokenize";

/** What the rows of a run come from. */
export interface ActivationSourceOptions {
  spec: DatasetSpec;
  tokenizer: Tokenizer;
  model: ForwardModel;
  hook: string;
  maxTokens: number;
  batchSize: number;
  /** Records whose `splitDraw(seed, id).u` is below this are held out for evaluation. */
  evalFraction: number;
  seed: number;
  limit?: number;
  signal?: AbortSignal;
}

/**
 * Rows are padded to a multiple of 8 of their own length (as extract does), so activations are the same whatever
 * the batching and a replayed epoch gives the very same rows.
 */
const PAD_MULTIPLE = 8;

/** Token batches of the training (`heldOut` false) or held-out records. */
export async function tokenBatches(o: ActivationSourceOptions, heldOut: boolean): Promise<ReadableStream<TokenBatch>> {
  const records = await openTextRecords(o.spec);
  let count = 0;
  return (o.signal ? abortable(records, o.signal) : records)
    .pipeThrough(
      new TransformStream<TextRecord, TextRecord>({
        transform(record, controller) {
          if (o.limit !== undefined && count++ >= o.limit) return controller.terminate();
          if ((splitDraw(o.seed, record.id).u < o.evalFraction) === heldOut) controller.enqueue(record);
        },
      }),
    )
    .pipeThrough(
      new TokenizeStream({
        tokenizer: o.tokenizer,
        maxTokens: o.maxTokens,
        batchSize: o.batchSize,
        padMultiple: PAD_MULTIPLE,
      }),
    );
}

/** Activation rows of the training or held-out records, straight from the model. */
export async function modelRows(o: ActivationSourceOptions, heldOut: boolean): Promise<ReadableStream<RowBlock>> {
  return (await tokenBatches(o, heldOut))
    .pipeThrough(new ForwardStream({ model: o.model }))
    .pipeThrough(new ActivationRowsStream({ hook: o.hook }));
}

/**
 * A source of training rows that can be read again (one read per epoch): the cache in `cacheDir` when it holds a
 * complete one under `key`, else one written there first from the model; without a cache dir, the model each time.
 */
export async function trainingRows(
  o: ActivationSourceOptions,
  cache?: { dir: string; key: string; modelId: string },
): Promise<{ read: () => Promise<ReadableStream<RowBlock>>; cached: "none" | "read" | "written" }> {
  if (!cache) return { read: () => modelRows(o, false), cached: "none" };
  const dIn = o.model.info.dModel;
  let found = await readActivationCache(cache.dir, { key: cache.key, dIn });
  let cached: "read" | "written" = "read";
  if (!found) {
    const writer = await ActivationCacheWriter.open(cache.dir, {
      dIn,
      hook: o.hook,
      modelId: cache.modelId,
      key: cache.key,
    });
    await (await modelRows(o, false)).pipeTo(writer.writable, { signal: o.signal });
    found = (await readActivationCache(cache.dir, { key: cache.key, dIn }))!;
    cached = "written";
  }
  const complete = found;
  return { read: () => Promise.resolve(complete.stream()), cached };
}
