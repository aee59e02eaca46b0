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
 *
 * @example
 * ```ts
 * import { packSequences, resolveLmTrainingConfig, ShuffledBatches, splitBrownSentences, trainLm } from "@saeflow/lm";
 * const { train } = await splitBrownSentences({ seed: 0, validationFraction: 0.05 });
 * const rows = packSequences(train.map((s) => tokenizer.encode(s.text, { addSpecialTokens: false })), {
 *   seqLen: 128, bosId: 1, eosId: 2,
 * });
 * const config = resolveLmTrainingConfig({ totalSteps: 1000, batchSize: 16, seqLen: 128 });
 * const batches = new ShuffledBatches(rows, { batchSize: 16, seed: 0 });
 * const { trainer } = await trainLm({ modelConfig, config, batch: (step) => batches.batch(step) });
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
export { type LmCorpusSplit, type LmCorpusSplitOptions, splitBrownSentences } from "./lm_corpus.ts";
export { type PackedSequences, type PackOptions, packSequences } from "./packed_sequences.ts";
export { epochOrder, ShuffledBatches } from "./shuffled_batches.ts";
export { type NgramBaselines, ngramBaselines } from "./ngram_baselines.ts";
export {
  lmLearningRate,
  type LmTrainingConfig,
  LR_SCHEDULES,
  type LrSchedule,
  resolveLmTrainingConfig,
} from "./lm_training_config.ts";
export { type LmStepMetrics, LmTrainer } from "./lm_trainer.ts";
export { trainLm, type TrainLmOptions, type TrainLmResult } from "./lm_train_loop.ts";
export { type ValidationLoss, validationLoss, type ValidationLossOptions } from "./lm_validation.ts";
