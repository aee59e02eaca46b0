/**
 * `@saeflow/tokenize`: text records to token batches. One {@link Tokenizer} type over Hugging Face tokenizers (a
 * folder or a Hub model id, through transformers.js) and llama2.c `tokenizer.bin` files; truncation, chat templates,
 * and length-bucketed, right-padded {@link TokenBatch}es for the forward stage.
 *
 * @example
 * ```ts
 * import { loadHfTokenizer, TokenizeStream } from "@saeflow/tokenize";
 * import { openTextDataset } from "@saeflow/io";
 *
 * const tokenizer = await loadHfTokenizer("google/gemma-2-2b"); // or a folder with tokenizer.json
 * const { records } = await openTextDataset({ sources: [{ path: "../shared/data/sst2/sst2_dev.tsv" }], fields: { text: "text" } });
 * const batches = records.pipeThrough(new TokenizeStream({ tokenizer, maxTokens: 128, batchSize: 16 }));
 * for await (const batch of batches) console.log(batch.batchSize, batch.seqLen, batch.hasBos);
 * ```
 * @module
 */
export type { EncodeOptions, Tokenizer } from "./tokenizer.ts";
export type { TokenBatch } from "./token_batch.ts";
export { HfTokenizer, type HfTokenizerOptions, loadHfTokenizer } from "./hf_tokenizer.ts";
export { Llama2cTokenizer, type Llama2cTokenizerOptions, loadLlama2cTokenizer } from "./llama2c_tokenizer.ts";
export { padBatch, type PadBatchOptions } from "./pad_batch.ts";
export { tokenTexts } from "./token_texts.ts";
export { type TokenizeOptions, TokenizeStream } from "./tokenize_stream.ts";
export { BYTE_TOKENIZER_SPECIALS, BYTE_TOKENIZER_VOCAB_SIZE, byteTokenizerFiles } from "./byte_tokenizer_files.ts";
export { type BpeTokenizerFiles, trainBpe, type TrainBpeOptions } from "./bpe_trainer.ts";
