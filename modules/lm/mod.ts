/**
 * `@saeflow/lm`: what the project needs to train its own small language models: the text they learn from (the Brown
 * corpus as natural-text sentences), a Llama decoder in TensorFlow.js with seeded GPT-2 initialisation and its
 * next-token loss, and the Hugging Face folder it is saved as, which `loadDecoder` of `@saeflow/forward` runs.
 *
 * @example
 * ```ts
 * import { brownSentences } from "@saeflow/lm";
 * let words = 0;
 * for await (const { text } of brownSentences({ categories: ["news", "fiction"] })) words += text.split(" ").length;
 * ```
 *
 * @example
 * ```ts
 * import { LlamaModel, saveLlamaFolder } from "@saeflow/lm";
 * const model = LlamaModel.init(config, 2025);
 * const loss = model.loss(tokens.ids, tokens.mask, tokens.batchSize, tokens.seqLen);
 * await saveLlamaFolder("out/lm", model.config, await model.toParams(), byteTokenizerFiles());
 * ```
 * @module
 */
export { brownCategories, type BrownSentence, brownSentences, type BrownSentencesOptions } from "./brown_corpus.ts";
export { detokenizeBrown } from "./brown_detokenize.ts";
export { checkLlamaConfig, fromHfConfig, type LlamaConfig, llamaHeadDim, toHfConfig } from "./llama_config.ts";
export {
  gpt2InitStd,
  initLlamaParams,
  isNormWeight,
  type LlamaParam,
  type LlamaParams,
  llamaParamShapes,
  llamaParamsProblem,
} from "./llama_params.ts";
export { LlamaModel } from "./llama_tfjs.ts";
export { loadLlamaParams, saveLlamaFolder, type TokenizerFiles } from "./save_llama.ts";
