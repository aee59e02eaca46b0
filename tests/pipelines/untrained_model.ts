/**
 * A small Llama with seeded random weights and the byte-level tokenizer (the demo's model before the project trained
 * its own), written as a Hugging Face folder (`config.json`, `model.safetensors`, `tokenizer.json`,
 * `tokenizer_config.json`) so that it goes through exactly the loaders a real checkpoint does. The probe tests use it:
 * it is built in a moment and any text is in its vocabulary.
 * @module
 */
import { statIfExists } from "@saeflow/io";
import { initLlamaParams, type LlamaConfig, saveLlamaFolder } from "@saeflow/lm";
import { BYTE_TOKENIZER_VOCAB_SIZE, byteTokenizerFiles } from "@saeflow/tokenize";

/** The shape of the model. */
const UNTRAINED_MODEL = Object.freeze({ hidden: 64, layers: 4, heads: 4, kvHeads: 2, intermediate: 192, seed: 2025 });

/**
 * Writes the model into `folder` (once: an existing `model.safetensors` is kept, since the same seed gives the same
 * bytes) and returns the folder.
 *
 * @example
 * ```ts
 * const folder = await writeUntrainedModel("out/untrained");
 * const model = await loadDecoder(folder, { hooks: ["blocks.2.hook_resid_post"] });
 * ```
 */
export async function writeUntrainedModel(folder: string): Promise<string> {
  if (await statIfExists(`${folder}/model.safetensors`)) return folder;
  const { hidden, layers, heads, kvHeads, intermediate, seed } = UNTRAINED_MODEL;
  const config: LlamaConfig = {
    vocabSize: BYTE_TOKENIZER_VOCAB_SIZE,
    dModel: hidden,
    nLayers: layers,
    nHeads: heads,
    nKvHeads: kvHeads,
    dFf: intermediate,
    maxSeqLen: 1024,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieEmbeddings: false,
  };
  // Not GPT-2's initialisation: unit embeddings and 1/sqrt(fan-in) projections, so that random features stay lively.
  const std = (name: string, shape: readonly number[]) =>
    name === "model.embed_tokens.weight" ? 1 : 1 / Math.sqrt(shape[1]);
  await saveLlamaFolder(folder, config, initLlamaParams(config, seed, std), byteTokenizerFiles(), {
    saeflow: { note: "untrained: seeded random weights (tests/pipelines/untrained_model.ts)", seed },
  });
  return folder;
}
