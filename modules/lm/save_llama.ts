/**
 * A Llama model as a Hugging Face folder: `config.json`, `model.safetensors` (float32) and, when given, the tokenizer
 * files — what `loadDecoder` of `@saeflow/forward` (and Hugging Face's own loaders) read.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import {
  openSafetensorsCheckpoint,
  readJsonFile,
  writeFileAtomic,
  writeJsonAtomic,
  writeSafetensors,
} from "@saeflow/io";
import { fromHfConfig, type LlamaConfig, toHfConfig } from "./llama_config.ts";
import { type LlamaParams, llamaParamsProblem } from "./llama_params.ts";

/** A tokenizer's Hugging Face files, as their text (what `byteTokenizerFiles` of `@saeflow/tokenize` returns). */
export interface TokenizerFiles {
  tokenizerJson: string;
  tokenizerConfigJson: string;
}

/**
 * Writes the folder (created if needed), each file atomically; `extraConfig` adds keys to config.json (provenance,
 * say) after the Hugging Face ones. The parameters are checked against `config` first, so a folder that loads is
 * never written half wrong.
 *
 * @example
 * ```ts
 * await saveLlamaFolder("out/lm", model.config, await model.toParams(), byteTokenizerFiles());
 * const forward = await loadDecoder("out/lm", { hooks: ["blocks.1.hook_resid_post"] });
 * ```
 */
export async function saveLlamaFolder(
  folder: string,
  config: LlamaConfig,
  params: LlamaParams,
  tokenizerFiles?: TokenizerFiles,
  extraConfig: Record<string, unknown> = {},
): Promise<void> {
  const hfConfig = { ...toHfConfig(config), ...extraConfig };
  const problem = llamaParamsProblem(config, params);
  if (problem) throw new ConfigError(`saveLlamaFolder ${folder}: ${problem}`);
  await Deno.mkdir(folder, { recursive: true });
  const text = (s: string) => [new TextEncoder().encode(s)];
  await writeJsonAtomic(`${folder}/config.json`, hfConfig);
  if (tokenizerFiles) {
    await writeFileAtomic(`${folder}/tokenizer.json`, text(tokenizerFiles.tokenizerJson));
    await writeFileAtomic(`${folder}/tokenizer_config.json`, text(tokenizerFiles.tokenizerConfigJson));
  }
  await writeSafetensors(`${folder}/model.safetensors`, params, { format: "pt" });
}

/**
 * Reads a folder {@link saveLlamaFolder} wrote (or any single-file or sharded Llama checkpoint of the same
 * architecture) back: the config and every parameter as float32. Tensors that do not fit the config are a DataError
 * naming the folder.
 *
 * @example
 * ```ts
 * const { config, params } = await loadLlamaParams("out/lm");
 * const model = LlamaModel.fromParams(config, params);
 * ```
 */
export async function loadLlamaParams(folder: string): Promise<{ config: Readonly<LlamaConfig>; params: LlamaParams }> {
  const configPath = `${folder}/config.json`;
  const json = await readJsonFile(configPath, "a Hugging Face Llama config.json");
  if (!json) throw new ConfigError(`${folder} has no config.json; expected a Hugging Face model folder`);
  const config = fromHfConfig(json, configPath);
  using checkpoint = await openSafetensorsCheckpoint(folder);
  const params: LlamaParams = {};
  for (const name of checkpoint.names()) {
    params[name] = { shape: checkpoint.shape(name)!, data: await checkpoint.readFloat32(name) };
  }
  const problem = llamaParamsProblem(config, params);
  if (problem) throw new DataError(checkpoint.source, {}, problem, "the tensors config.json describes");
  return { config, params };
}
