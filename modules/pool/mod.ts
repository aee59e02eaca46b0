/**
 * `@saeflow/pool`: per-token sparse SAE features pooled into one vector per record. Strategies `sum` (MOSAIC's
 * `top_n = 0`), `topn-count` (MOSAIC's `top_n = n`, active features only unless `mosaicCompat`), `mean`, `max`, `last`,
 * and `first-k` / `last-k` windows; BOS masked out by default. Every result is keyed by {@link describePool}'s name
 * (e.g. `sum[mask=no-bos]`, `topn-count(n=5)[mosaic-compat]`), which says the mode it used. Baselines: hidden states
 * (last real token, masked mean) and TF-IDF bag-of-words ({@link TfidfVectorizer}, scikit-learn's as MOSAIC ran it).
 *
 * @example
 * ```ts
 * import { PoolStream } from "@saeflow/pool";
 * const pooled = features.pipeThrough(new PoolStream({ pools: [{ strategy: "sum" }, { strategy: "topn-count", n: 5 }] }));
 * for await (const batch of pooled) batch.pooled.get("l12-16k")!.get("sum[mask=no-bos]")!; // one vector per record
 * ```
 * @module
 */
export {
  describePool,
  parsePoolSpec,
  POOL_STRATEGIES,
  type PoolSpec,
  type PoolStrategy,
  validatePoolSpec,
  type ValidPoolSpec,
} from "./pool_spec.ts";
export { type PooledVector, poolRecord, type PoolRecordOptions } from "./pool_record.ts";
export { namePools, type PooledBatch, pooledColumn, poolFeatureBatch } from "./pool_batch.ts";
export { PoolStream, type PoolStreamOptions } from "./pool_stream.ts";
export { lastTokenStates, type MaskedMeanOptions, maskedMeanStates } from "./dense_pool.ts";
export { type AnalyzeOptions, analyzeText, compareCodePoints, WORD_TOKEN_PATTERN } from "./tfidf/analyzer.ts";
export { loadStopWords, STOP_WORDS_DIR } from "./tfidf/stop_words.ts";
export {
  MOSAIC_TFIDF,
  type SparseTfidf,
  type TfidfConfig,
  TfidfModel,
  type TfidfModelJson,
  type TfidfOptions,
  TfidfVectorizer,
} from "./tfidf/vectorizer.ts";
