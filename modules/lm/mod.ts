/**
 * `@saeflow/lm`: what the project needs to train its own small language models, starting with the text they learn
 * from: the Brown corpus as natural-text sentences.
 *
 * @example
 * ```ts
 * import { brownSentences } from "@saeflow/lm";
 * let words = 0;
 * for await (const { text } of brownSentences({ categories: ["news", "fiction"] })) words += text.split(" ").length;
 * ```
 * @module
 */
export { brownCategories, type BrownSentence, brownSentences, type BrownSentencesOptions } from "./brown_corpus.ts";
export { detokenizeBrown } from "./brown_detokenize.ts";
