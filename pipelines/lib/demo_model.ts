/**
 * The demo's model until the project trains its own language model: a small Llama with seeded random weights and
 * the byte-level tokenizer, written as a Hugging Face folder (`config.json`, `model.safetensors`, `tokenizer.json`,
 * `tokenizer_config.json`) so that it goes through exactly the loaders a real checkpoint does. Untrained: its
 * features are random functions of the bytes of the text, which the demo says plainly.
 * @module
 */
import { statIfExists } from "@saeflow/io";
import { initLlamaParams, type LlamaConfig, saveLlamaFolder } from "@saeflow/lm";
import { BYTE_TOKENIZER_VOCAB_SIZE, byteTokenizerFiles } from "@saeflow/tokenize";

/** The shape of the demo model. */
export const DEMO_MODEL = Object.freeze({ hidden: 64, layers: 4, heads: 4, kvHeads: 2, intermediate: 192, seed: 2025 });

/**
 * Writes the model into `folder` (once: an existing `model.safetensors` is kept, since the same seed gives the same
 * bytes) and returns the folder.
 *
 * @example
 * ```ts
 * const folder = await writeDemoModel("out/demo/model");
 * const model = await loadDecoder(folder, { hooks: ["blocks.2.hook_resid_post"] });
 * ```
 */
export async function writeDemoModel(folder: string): Promise<string> {
  if (await statIfExists(`${folder}/model.safetensors`)) return folder;
  const { hidden, layers, heads, kvHeads, intermediate, seed } = DEMO_MODEL;
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
  // Not GPT-2's initialisation: the demo's own draws (unit embeddings, 1/sqrt(fan-in) projections), in the same order
  // from the same seed, so the demo keeps the weights, features and results it always had.
  const std = (name: string, shape: readonly number[]) =>
    name === "model.embed_tokens.weight" ? 1 : 1 / Math.sqrt(shape[1]);
  await saveLlamaFolder(folder, config, initLlamaParams(config, seed, std), byteTokenizerFiles(), {
    saeflow: { note: "untrained: seeded random weights (pipelines/lib/demo_model.ts)", seed },
  });
  return folder;
}
