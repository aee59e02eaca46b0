/**
 * The TF-IDF bag-of-words baseline: scikit-learn's `TfidfVectorizer` as MOSAIC ran it
 * (`TfidfVectorizer(ngram_range=(1, 2), max_features=20000, stop_words="english")`, every other option default),
 * fitted on the training split only and stored beside the shards as JSON.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import { analyzeText, compareCodePoints } from "./analyzer.ts";
import { loadStopWords } from "./stop_words.ts";

/** Options of {@link TfidfVectorizer.fit}; the defaults are MOSAIC's. */
export interface TfidfOptions {
  /** Smallest and largest n-gram length, inclusive; default `[1, 2]`. */
  ngramRange?: readonly [number, number];
  /** Keep this many terms, the most frequent over the training texts; `null` keeps all; default 20000. */
  maxFeatures?: number | null;
  /**
   * Stop words: a list's name (`data/stopwords/<name>.txt`, e.g. `"english"`, scikit-learn's list), `"none"`, or the
   * words themselves; default `"english"`. Compared with the lowercased tokens, as sklearn does.
   */
  stopWords?: string | readonly string[];
  /** Lowercase texts before tokenizing; default true. */
  lowercase?: boolean;
}

/** The resolved options a model was fitted with: all it needs to analyze a text the way its vocabulary was built. */
export interface TfidfConfig {
  /** Smallest and largest n-gram length, inclusive. */
  ngramRange: [number, number];
  /** The cap on terms (null: none). */
  maxFeatures: number | null;
  /** `name` is the list's name, `"none"`, or null for words given inline. */
  stopWords: { name: string | null; words: string[] };
  /** Whether texts are lowercased before tokenizing. */
  lowercase: boolean;
}

/** One text's TF-IDF vector: feature ids ascending, L2-normalized values (empty when no term is in the vocabulary). */
export interface SparseTfidf {
  /** Feature ids, ascending. */
  indices: Int32Array;
  /** The weight of each id in `indices`. */
  values: Float32Array;
}

/** The JSON form of a {@link TfidfModel} (`format: "saeflow.tfidf"`, `version: 1`). */
export interface TfidfModelJson {
  /** Always "saeflow.tfidf". */
  format: "saeflow.tfidf";
  /** Always 1. */
  version: 1;
  /** The options the model was fitted with. */
  config: TfidfConfig;
  /** How many training texts the idf was computed over. */
  documents: number;
  /** Feature id → term, sorted by code point. */
  vocabulary: string[];
  /** Feature id → idf. */
  idf: number[];
}

/** MOSAIC's TF-IDF baseline options, spelled out. */
export const MOSAIC_TFIDF: Readonly<Required<TfidfOptions>> = Object.freeze({
  ngramRange: [1, 2] as const,
  maxFeatures: 20000,
  stopWords: "english",
  lowercase: true,
});

/**
 * Fits a vocabulary and idf on training texts, as scikit-learn's `TfidfVectorizer.fit` does with `smooth_idf=True`,
 * `sublinear_tf=False`, `norm="l2"`, `min_df=1`, `max_df=1.0`: counts every n-gram over the texts (a `Map`, memory
 * in proportion to distinct n-grams, one text in memory at a time), keeps the `maxFeatures` with the largest total
 * count, numbers them alphabetically (by code point, as Python orders `str`), and sets
 * `idf = ln((1 + n) / (1 + df)) + 1` over the n training texts (empty ones included).
 *
 * Ties at the `maxFeatures` cut keep the alphabetically first terms (numpy's `argsort(kind="stable")` over sklearn's
 * alphabetical order). sklearn itself calls `(-tfs).argsort()` with numpy's default, unstable sort, whose order among
 * equal counts depends on numpy's version and the CPU's SIMD path: only terms whose count equals the smallest kept
 * count can differ from a given sklearn run; every term counted more often is kept by both.
 */
export class TfidfVectorizer {
  /**
   * Fits on the texts (sync or async iterable, consumed once). Throws a `ConfigError` for bad options or an unknown
   * stop-word list, and a `DataError` when no text yields a term (sklearn's "empty vocabulary").
   *
   * @example
   * ```ts
   * const model = await TfidfVectorizer.fit(trainTexts); // MOSAIC's options
   * const { indices, values } = model.transform("a charming and often affecting journey");
   * const plain = await TfidfVectorizer.fit(trainTexts, { stopWords: "none", maxFeatures: null, ngramRange: [1, 1] });
   * ```
   */
  static async fit(
    texts: Iterable<string> | AsyncIterable<string>,
    options: TfidfOptions = {},
  ): Promise<TfidfModel> {
    const config = await resolveConfig(options);
    const stopWords = new Set(config.stopWords.words);
    const index = new Map<string, number>();
    const termFreq: number[] = [];
    const docFreq: number[] = [];
    const inDoc = new Map<number, number>();
    let documents = 0;
    for await (const text of texts) {
      if (typeof text !== "string") {
        throw new DataError("tfidf fit", { row: documents + 1 }, `text is ${typeof text}`, "a string");
      }
      documents++;
      inDoc.clear();
      for (const term of analyzeText(text, { ngramRange: config.ngramRange, stopWords, lowercase: config.lowercase })) {
        let id = index.get(term);
        if (id === undefined) {
          id = termFreq.length;
          index.set(term, id);
          termFreq.push(0);
          docFreq.push(0);
        }
        inDoc.set(id, (inDoc.get(id) ?? 0) + 1);
      }
      for (const [id, count] of inDoc) {
        termFreq[id] += count;
        docFreq[id]++;
      }
    }
    if (index.size === 0) {
      throw new DataError(
        "tfidf fit",
        {},
        `empty vocabulary over ${documents} training texts (perhaps they hold only stop words)`,
        "at least one token of two or more word characters that is not a stop word",
      );
    }
    let terms = [...index.keys()].sort(compareCodePoints);
    if (config.maxFeatures !== null && terms.length > config.maxFeatures) {
      const order = terms.map((_, i) => i);
      const tf = terms.map((t) => termFreq[index.get(t)!]);
      order.sort((a, b) => tf[b] - tf[a] || a - b);
      const kept = order.slice(0, config.maxFeatures).sort((a, b) => a - b);
      terms = kept.map((i) => terms[i]);
    }
    const idf = new Float64Array(terms.length);
    for (let i = 0; i < terms.length; i++) idf[i] = Math.log((documents + 1) / (docFreq[index.get(terms[i])!] + 1)) + 1;
    return new TfidfModel(config, documents, terms, idf);
  }
}

/** A fitted vocabulary and idf; {@link TfidfModel.transform} turns any text into its sparse TF-IDF vector. */
export class TfidfModel {
  readonly #index: Map<string, number>;
  readonly #stopWords: Set<string>;

  /** Use {@link TfidfVectorizer.fit} or {@link TfidfModel.fromJSON}; `vocabulary` must be sorted by code point. */
  constructor(
    readonly config: TfidfConfig,
    /** How many training texts the idf was computed over. */
    readonly documents: number,
    /** Feature id → term, alphabetical by code point (sklearn's `get_feature_names_out()`). */
    readonly vocabulary: readonly string[],
    /** Feature id → idf (sklearn's `idf_`). */
    readonly idf: Float64Array,
  ) {
    this.#index = new Map(vocabulary.map((term, i) => [term, i]));
    this.#stopWords = new Set(config.stopWords.words);
  }

  /** Number of features (the vector width). */
  get size(): number {
    return this.vocabulary.length;
  }

  /** Feature id of a term, or undefined when it is not in the vocabulary. */
  featureId(term: string): number | undefined {
    return this.#index.get(term);
  }

  /**
   * The text's vector, as sklearn's `transform` row: raw counts of vocabulary terms times idf, divided by the L2 norm
   * (computed in float64, stored as float32). Terms outside the vocabulary are ignored; a text with none of them
   * gives an empty vector, as sklearn's all-zero row.
   *
   * @example
   * ```ts
   * const { indices, values } = model.transform("unflinchingly bleak and desperate");
   * indices.forEach((id, k) => console.log(model.vocabulary[id], values[k]));
   * ```
   */
  transform(text: string): SparseTfidf {
    const counts = new Map<number, number>();
    const { ngramRange, lowercase } = this.config;
    for (const term of analyzeText(text, { ngramRange, stopWords: this.#stopWords, lowercase })) {
      const id = this.#index.get(term);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const indices = Int32Array.from(counts.keys()).sort();
    const weights = new Float64Array(indices.length);
    let squares = 0;
    for (let k = 0; k < indices.length; k++) {
      weights[k] = counts.get(indices[k])! * this.idf[indices[k]];
      squares += weights[k] * weights[k];
    }
    const norm = Math.sqrt(squares);
    const values = new Float32Array(indices.length);
    for (let k = 0; k < indices.length; k++) values[k] = weights[k] / norm;
    return { indices, values };
  }

  /** A name for the feature type, for shard metadata: `tfidf(ngram=1-2,max=20000,stop=english)`. */
  describe(): string {
    const { ngramRange: [a, b], maxFeatures, stopWords, lowercase } = this.config;
    const stop = stopWords.name ?? `custom-${stopWords.words.length}`;
    return `tfidf(ngram=${a}-${b},max=${maxFeatures ?? "all"},stop=${stop}${lowercase ? "" : ",cased"})`;
  }

  /** The JSON to store with the shards; {@link TfidfModel.fromJSON} reads it back to the same model. */
  toJSON(): TfidfModelJson {
    return {
      format: "saeflow.tfidf",
      version: 1,
      config: structuredClone(this.config),
      documents: this.documents,
      vocabulary: [...this.vocabulary],
      idf: [...this.idf],
    };
  }

  /**
   * Reads a model stored by {@link TfidfModel.toJSON} (parsed JSON). Throws a `DataError` naming what is wrong
   * (format, version, lengths, unsorted or duplicate terms, bad idf, bad config).
   */
  static fromJSON(json: unknown, source = "tfidf model JSON"): TfidfModel {
    const fail = (problem: string, expected?: string): never => {
      throw new DataError(source, {}, problem, expected);
    };
    if (typeof json !== "object" || json === null) {
      return fail(`got ${json === null ? "null" : typeof json}`, "an object");
    }
    const j = json as Partial<TfidfModelJson>;
    if (j.format !== "saeflow.tfidf" || j.version !== 1) {
      fail(
        `format ${JSON.stringify(j.format)} version ${JSON.stringify(j.version)}`,
        'format "saeflow.tfidf" version 1',
      );
    }
    const { vocabulary, idf, documents, config } = j as TfidfModelJson;
    if (!Number.isInteger(documents) || documents < 1) fail(`documents ${documents}`, "a positive integer");
    if (!Array.isArray(vocabulary) || !Array.isArray(idf) || vocabulary.length !== idf.length) {
      fail("vocabulary and idf are not arrays of one length", "one idf per term");
    }
    for (let i = 0; i < vocabulary.length; i++) {
      if (typeof vocabulary[i] !== "string" || (i > 0 && compareCodePoints(vocabulary[i - 1], vocabulary[i]) >= 0)) {
        fail(
          `vocabulary[${i}] ${JSON.stringify(vocabulary[i])} is out of order`,
          "distinct strings sorted by code point",
        );
      }
      if (typeof idf[i] !== "number" || !(idf[i] >= 1)) fail(`idf[${i}] is ${idf[i]}`, "a number >= 1");
    }
    let checked: TfidfConfig;
    try {
      checked = checkConfig(config);
    } catch (cause) {
      return fail(`config: ${(cause as Error).message}`);
    }
    if (checked.maxFeatures !== null && vocabulary.length > checked.maxFeatures) {
      fail(`${vocabulary.length} terms`, `at most maxFeatures = ${checked.maxFeatures}`);
    }
    return new TfidfModel(checked, documents, [...vocabulary], Float64Array.from(idf));
  }
}

async function resolveConfig(options: TfidfOptions): Promise<TfidfConfig> {
  const stop = options.stopWords ?? MOSAIC_TFIDF.stopWords;
  let stopWords: TfidfConfig["stopWords"];
  if (typeof stop === "string") {
    stopWords = { name: stop, words: stop === "none" ? [] : await loadStopWords(stop) };
  } else {
    stopWords = { name: null, words: [...new Set(stop)].sort(compareCodePoints) };
  }
  return checkConfig({
    ngramRange: [...(options.ngramRange ?? MOSAIC_TFIDF.ngramRange)] as [number, number],
    maxFeatures: options.maxFeatures === undefined ? MOSAIC_TFIDF.maxFeatures : options.maxFeatures,
    stopWords,
    lowercase: options.lowercase ?? MOSAIC_TFIDF.lowercase,
  });
}

/** Throws a `ConfigError` unless `config` is a well-formed {@link TfidfConfig}; returns a copy. */
function checkConfig(config: TfidfConfig | undefined): TfidfConfig {
  if (typeof config !== "object" || config === null) throw new ConfigError("tfidf config: expected an object");
  const { ngramRange, maxFeatures, stopWords, lowercase } = config;
  if (
    !Array.isArray(ngramRange) || ngramRange.length !== 2 || !Number.isInteger(ngramRange[0]) ||
    !Number.isInteger(ngramRange[1]) || ngramRange[0] < 1 || ngramRange[1] < ngramRange[0]
  ) {
    throw new ConfigError(`tfidf ngramRange ${JSON.stringify(ngramRange)}: expected [min, max] with 1 <= min <= max`);
  }
  if (maxFeatures !== null && (!Number.isInteger(maxFeatures) || maxFeatures < 1)) {
    throw new ConfigError(`tfidf maxFeatures ${maxFeatures}: expected a positive integer or null (no cap)`);
  }
  if (
    typeof stopWords !== "object" || stopWords === null || !Array.isArray(stopWords.words) ||
    !stopWords.words.every((w) => typeof w === "string") ||
    (stopWords.name !== null && typeof stopWords.name !== "string")
  ) {
    throw new ConfigError("tfidf stopWords: expected { name: string | null, words: string[] }");
  }
  if (typeof lowercase !== "boolean") throw new ConfigError(`tfidf lowercase ${lowercase}: expected a boolean`);
  return {
    ngramRange: [ngramRange[0], ngramRange[1]],
    maxFeatures,
    stopWords: { name: stopWords.name, words: [...stopWords.words] },
    lowercase,
  };
}
