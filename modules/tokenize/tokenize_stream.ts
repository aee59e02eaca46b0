/**
 * Records in, length-bucketed token batches out: tokenization, truncation, optional chat template, then
 * `@saeflow/core`'s length bucketing and right padding.
 * @module
 */
import { BatchByLengthStream, ConfigError, DataError, type TextRecord } from "@saeflow/core";
import { padBatch } from "./pad_batch.ts";
import type { TokenBatch } from "./token_batch.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Options of {@link TokenizeStream}. */
export interface TokenizeOptions {
  /** The tokenizer that encodes every text (its `padId` fills the padding). */
  tokenizer: Tokenizer;
  /** Most tokens per record, BOS included; longer texts are cut at the end (BOS kept) and marked truncated. */
  maxTokens: number;
  /** Most records per batch. */
  batchSize: number;
  /** Cap on `rows × longest row` per batch (see `BatchByLengthStream`); a single longer row is a batch of one. */
  maxBatchTokens?: number;
  /**
   * Records gathered and sorted by token count before batches are cut; default `batchSize × 16`. Batches leave in
   * length order within a window: restore input order downstream with `ReorderStream` if it matters.
   */
  windowSize?: number;
  /**
   * Pad each row to its length rounded up to a multiple of this (at most `maxTokens`), batching only rows that round
   * to the same length: a record is then computed at the same shape whatever batch it falls in, so its activations
   * are bit for bit the same across batch sizes and resumed runs (kernels sum in shape-dependent order). Costs up to
   * `padMultiple - 1` padded positions per row; default: pad to the batch's longest row.
   */
  padMultiple?: number;
  /**
   * Wrap each text as a user turn with the tokenizer's chat template (instruction-tuned models); default false.
   * Truncation to `maxTokens` then applies to the rendered turn, so a row that is cut loses the template's closing
   * tokens (and the generation prompt) too: choose `maxTokens` with room for them when the last token matters.
   */
  chatTemplate?: boolean;
  /**
   * What an empty or whitespace-only text does: `"error"` (default) fails with a `DataError` naming the record,
   * `"skip"` drops the record (counted in {@link TokenizeStream.skipped}).
   */
  onEmpty?: "error" | "skip";
}

interface TokenizedRecord {
  record: TextRecord;
  ids: number[];
  truncated: boolean;
}

/**
 * Tokenizes text records into right-padded {@link TokenBatch}es of similar length. Takes records one at a time or in
 * arrays (as dataset readers and batching stages produce them); either way each record becomes one row. A
 * readable/writable pair, like `TextDecoderStream`: use it with `pipeThrough`. It is a pipe of three web streams
 * (tokenize → `BatchByLengthStream` → pad), so backpressure holds: a slow consumer stops the reading of records once
 * one window of them is buffered.
 *
 * @example
 * ```ts
 * const tokenizer = await loadLlama2cTokenizer("../shared/models/stories260K/tok512.bin");
 * const batches = ReadableStream.from([[{ id: "a", text: "Once upon a time" }, { id: "b", text: "The end" }]])
 *   .pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 128, batchSize: 32 }));
 * for await (const batch of batches) console.log(batch.batchSize, batch.seqLen, batch.lengths);
 * ```
 */
export class TokenizeStream implements ReadableWritablePair<TokenBatch, TextRecord | readonly TextRecord[]> {
  /** Where records (or arrays of records) are written. */
  readonly writable: WritableStream<TextRecord | readonly TextRecord[]>;
  /** Where token batches come out. */
  readonly readable: ReadableStream<TokenBatch>;
  #skipped = 0;

  /** Checks the options (a {@link ConfigError} for a bad `maxTokens` or a missing chat template) and wires the pipe. */
  constructor(options: TokenizeOptions) {
    const { tokenizer, maxTokens, chatTemplate = false, onEmpty = "error", padMultiple } = options;
    if (!(Number.isInteger(maxTokens) && maxTokens >= 1)) {
      throw new ConfigError(`maxTokens must be a positive integer, got ${maxTokens}`);
    }
    if (padMultiple !== undefined && !(Number.isInteger(padMultiple) && padMultiple >= 1)) {
      throw new ConfigError(`padMultiple must be a positive integer, got ${padMultiple}`);
    }
    if (chatTemplate && (tokenizer.chatTemplate === undefined || tokenizer.applyChatTemplate === undefined)) {
      throw new ConfigError(`tokenizer "${tokenizer.name}" has no chat template; run without chatTemplate`);
    }
    const encode = chatTemplate
      ? (text: string) => tokenizer.encode(tokenizer.applyChatTemplate!(text), { addSpecialTokens: false })
      : (text: string) => tokenizer.encode(text);
    // One answer per stream, from what encoding actually produces (a template writes its own BOS, or not).
    const hasBos = tokenizer.bosId !== undefined && encode("a")[0] === tokenizer.bosId;
    const { padId } = tokenizer;

    const tokenize = (record: TextRecord, controller: TransformStreamDefaultController<TokenizedRecord>) => {
      if (record.text.trim() === "") {
        if (onEmpty === "skip") return void this.#skipped++;
        const source = typeof record.meta?.path === "string" ? record.meta.path : "input";
        throw new DataError(
          source,
          { id: record.id },
          "empty text: nothing to tokenize",
          `a text with a non-space character (or onEmpty: "skip" to drop such records)`,
        );
      }
      const ids = encode(record.text);
      const truncated = ids.length > maxTokens;
      if (truncated) ids.length = maxTokens; // BOS is first, so it stays
      controller.enqueue({ record, ids, truncated });
    };
    const tokenized = new TransformStream<TextRecord | readonly TextRecord[], TokenizedRecord>({
      transform(chunk, controller) {
        if (isRecordArray(chunk)) { for (const record of chunk) tokenize(record, controller); }
        else tokenize(chunk, controller);
      },
    });
    const bucket = new BatchByLengthStream<TokenizedRecord>({
      batchSize: options.batchSize,
      maxBatchTokens: options.maxBatchTokens,
      windowSize: options.windowSize,
      lengthOf: (row) => row.ids.length,
      lengthBucket: padMultiple,
    });
    const pad = new TransformStream<TokenizedRecord[], TokenBatch>({
      transform(rows, controller) {
        controller.enqueue(padBatch(rows.map((r) => r.ids), {
          padId,
          hasBos,
          records: rows.map((r) => r.record),
          truncated: rows.map((r) => r.truncated),
          seqLen: padMultiple && Math.min(maxTokens, roundUp(Math.max(...rows.map((r) => r.ids.length)), padMultiple)),
        }));
      },
    });
    this.writable = tokenized.writable;
    this.readable = tokenized.readable.pipeThrough(bucket).pipeThrough(pad);
  }

  /** How many records were dropped for an empty text (`onEmpty: "skip"`). */
  get skipped(): number {
    return this.#skipped;
  }
}

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

function isRecordArray(chunk: TextRecord | readonly TextRecord[]): chunk is readonly TextRecord[] {
  return Array.isArray(chunk);
}
