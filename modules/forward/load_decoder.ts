/**
 * One front door for every decoder source: a llama2.c `.bin` file, a Hugging Face folder (`config.json` +
 * `model.safetensors` or a sharded index), a Hub model id downloaded into the cache, or an exported `.onnx` file.
 * @module
 */
import { dirname, join } from "node:path";
import { ConfigError } from "@saeflow/core";
import {
  cachedCommit,
  downloadModelFile,
  type HubOptions,
  isHubId,
  openSafetensorsCheckpoint,
  readCheckpointIndex,
  readJsonFile,
  statIfExists,
} from "@saeflow/io";
import { parseDecoderConfig } from "./decoder/decoder_config.ts";
import { readLlama2cCheckpoint } from "./decoder/llama2c_checkpoint.ts";
import type { WeightSource } from "./decoder/weight_source.ts";
import { DecoderSession, type ForwardModel, type ForwardOptions } from "./forward_model.ts";
import { ExportedSession } from "./exported_session.ts";

/** Options for {@link loadDecoder}. */
export interface LoadDecoderOptions extends ForwardOptions {
  /** Hub revision (branch, tag or commit) when `source` is a Hub id; default `main`. */
  revision?: string;
  hub?: HubOptions;
}

/** Downloads config.json and the safetensors checkpoint (single file or every shard of the index); returns the folder
 * and the commit the Hub served. */
async function downloadCheckpoint(
  id: string,
  options: LoadDecoderOptions,
): Promise<{ folder: string; commit?: string }> {
  const fileOptions = { revision: options.revision, hub: options.hub };
  const config = (await downloadModelFile(id, "config.json", fileOptions))!;
  const index = await downloadModelFile(id, "model.safetensors.index.json", { ...fileOptions, optional: true });
  if (index) {
    const weightMap = (await readCheckpointIndex(index))!;
    for (const shard of new Set(Object.values(weightMap))) await downloadModelFile(id, shard, fileOptions);
  } else {
    await downloadModelFile(id, "model.safetensors", fileOptions);
  }
  return { folder: dirname(config), commit: await cachedCommit(config) };
}

/**
 * Loads a decoder and builds its session for the requested hooks.
 *
 * @example
 * ```ts
 * const model = await loadDecoder("../shared/models/stories260K/stories260K.bin", { hooks: ["blocks.2.hook_resid_post"] });
 * const activations = await model.run(tokenBatch);
 * ```
 */
export async function loadDecoder(source: string, options: LoadDecoderOptions): Promise<ForwardModel> {
  const stat = await statIfExists(source);
  if (stat?.isFile && source.endsWith(".onnx")) {
    for (const key of ["dtype", "attention", "extend", "splice", "exposeHooks"] as const) {
      if (options[key] !== undefined) {
        throw new ConfigError(
          `${key} applies to graphs saeflow builds; ${source} is an exported model: leave ${key} out`,
        );
      }
    }
    return await ExportedSession.open(source, options);
  }
  if (stat?.isFile) {
    if (!source.endsWith(".bin")) {
      throw new ConfigError(
        `model file ${source} is neither an exported ONNX model (.onnx) nor a llama2.c checkpoint (.bin); expected ` +
          `one of those, a folder with config.json and model.safetensors, or a Hub model id`,
      );
    }
    const { config, weights } = await readLlama2cCheckpoint(source);
    return await DecoderSession.create({ id: source, format: "llama2c" }, config, weights, options);
  }
  const hubId = stat === undefined && isHubId(source);
  if (stat === undefined && !hubId) {
    throw new ConfigError(`model ${source} not found; expected a local path or a Hub model id (owner/name)`);
  }
  const hub = hubId ? await downloadCheckpoint(source, options) : undefined;
  const folder = hub?.folder ?? source;
  const configPath = join(folder, "config.json");
  const json = await readJsonFile(configPath, "a Hugging Face config.json");
  if (!json) throw new ConfigError(`model folder ${folder} has no config.json; expected a Hugging Face model folder`);
  const config = parseDecoderConfig(json, configPath);
  using checkpoint = await openSafetensorsCheckpoint(folder);
  const weights: WeightSource = {
    source: checkpoint.source,
    shape: (name) => checkpoint.shape(name),
    readFloat32: (name) => checkpoint.readFloat32(name),
    fileOf: (name) => checkpoint.entry(name).file,
    external: (name) => {
      const { file, begin, end, dtype } = checkpoint.entry(name);
      return dtype === "F32" || dtype === "F16" || dtype === "BF16"
        ? { file, offset: begin, length: end - begin, dtype }
        : undefined;
    },
  };
  const revision = hub ? { revision: hub.commit ?? options.revision ?? "main" } : {};
  return await DecoderSession.create({ id: source, format: "safetensors", ...revision }, config, weights, options);
}
