/**
 * The model flags shared by every pipeline that runs a model, and the tokenizer that goes with a model: the
 * model's own (a Hugging Face folder or Hub id), or for a llama2.c checkpoint the single `tok*.bin` beside it.
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "@saeflow/core";
import { isHubId, statIfExists } from "@saeflow/io";
import { loadHfTokenizer, loadLlama2cTokenizer, type Tokenizer } from "@saeflow/tokenize";
import { positiveInteger } from "./parse.ts";

/** The model flags, as commander hands them over. */
export interface ModelFlags {
  model: string;
  tokenizer?: string;
  maxTokens: number;
  batchSize: number;
  threads?: number;
}

/** Adds the model flags to a command. */
export function addModelOptions(command: Command): Command {
  return command
    .requiredOption("--model <path|hub id>", "llama2.c .bin, Hugging Face folder (config.json + safetensors) or Hub id")
    .option(
      "--tokenizer <path|hub id>",
      "tokenizer, when not the model's own (llama2.c: default the tok*.bin beside it)",
    )
    .option(
      "--max-tokens <n>",
      "truncate each text to this many tokens (BOS included)",
      positiveInteger("--max-tokens"),
      128,
    )
    .option("--batch-size <n>", "records per forward pass", positiveInteger("--batch-size"), 16)
    .option("--threads <n>", "ONNX Runtime intra-op threads (default: all cores)", positiveInteger("--threads"));
}

/** The tokenizer of `--tokenizer`, or the model's own. */
export async function loadTokenizerFor(
  { model, tokenizer }: Pick<ModelFlags, "model" | "tokenizer">,
): Promise<Tokenizer> {
  const source = tokenizer ?? (model.endsWith(".bin") ? await llama2cTokenizerBeside(model) : model);
  return source.endsWith(".bin") ? await loadLlama2cTokenizer(source) : await loadHfTokenizer(source);
}

async function llama2cTokenizerBeside(model: string): Promise<string> {
  const folder = dirname(model);
  const candidates: string[] = [];
  if (await statIfExists(folder)) {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && /^tok.*\.bin$/.test(entry.name)) candidates.push(entry.name);
    }
  }
  if (candidates.length !== 1) {
    throw new ConfigError(
      `--model ${model} is a llama2.c checkpoint: give its tokenizer with --tokenizer (found ${
        candidates.length ? candidates.sort().join(", ") : "no tok*.bin"
      } beside it)`,
    );
  }
  return join(folder, candidates[0]);
}

/**
 * The name a model goes by in saved artefacts (an SAE's `model_name`, say): a Hub id as it is, a local file or folder
 * by its base name without extension (`stories260K`), never a path that only means something on this machine.
 */
export function modelIdOf(source: string): string {
  // A relative folder ("models/gemma-2-2b") looks like a Hub id too: what exists here is a local model.
  if (isHubId(source) && !existsSync(source)) return source;
  return basename(source.replace(/\/+$/, "")).replace(/\.(bin|onnx)$/, "");
}
