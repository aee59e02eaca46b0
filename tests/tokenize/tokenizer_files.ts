/** Tokenizer files (tokenizer.json + tokenizer_config.json contents) on disk and loaded, for the tokenizer tests. */
import { join } from "node:path";
import { loadHfTokenizer } from "@saeflow/tokenize";
import { tempDir } from "../helpers.ts";

/** The two files' contents, as trainBpe and byteTokenizerFiles give them. */
export interface TokenizerFileTexts {
  tokenizerJson: string;
  tokenizerConfigJson: string;
}

/** Writes the two files into `dir`. */
export async function writeTokenizerFiles(dir: string, files: TokenizerFileTexts): Promise<void> {
  await Deno.writeTextFile(join(dir, "tokenizer.json"), files.tokenizerJson);
  await Deno.writeTextFile(join(dir, "tokenizer_config.json"), files.tokenizerConfigJson);
}

/** The tokenizer of `files` as loadHfTokenizer reads it from a folder (the folder is gone after loading). */
export async function loadTokenizerFiles(files: TokenizerFileTexts) {
  await using dir = await tempDir();
  await writeTokenizerFiles(dir.path, files);
  return await loadHfTokenizer(dir.path);
}
