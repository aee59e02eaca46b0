/**
 * Named stop-word lists as data (`data/stopwords/<name>.txt`, one entry a line, `#` comments): `english` is
 * scikit-learn's `ENGLISH_STOP_WORDS`, the list MOSAIC's `stop_words="english"` used.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { compareCodePoints } from "./analyzer.ts";

/** The folder of the shipped lists. */
export const STOP_WORDS_DIR: string = new URL("../../../data/stopwords/", import.meta.url).pathname;

const cache = new Map<string, Promise<string[]>>();

/**
 * The words of a named list (a file `data/stopwords/<name>.txt`), sorted and without duplicates; read once per name.
 * Throws a `ConfigError` naming the file when there is no such list.
 *
 * @example
 * ```ts
 * const english = await loadStopWords("english"); // 317 words: scikit-learn's list
 * ```
 */
export function loadStopWords(name: string): Promise<string[]> {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    return Promise.reject(new ConfigError(`stop-word list ${JSON.stringify(name)}: expected a name like "english"`));
  }
  let words = cache.get(name);
  if (!words) {
    words = readList(`${STOP_WORDS_DIR}${name}.txt`);
    cache.set(name, words);
    words.catch(() => cache.delete(name));
  }
  return words;
}

async function readList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new ConfigError(`no stop-word list at ${path}: expected one word a line`, { cause });
  }
  const words = new Set<string>();
  for (const line of text.split("\n")) {
    const word = line.trim();
    if (word && !word.startsWith("#")) words.add(word);
  }
  return [...words].sort(compareCodePoints);
}
