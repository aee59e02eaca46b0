/**
 * The TF-IDF baseline against an independent pure-Python reference of scikit-learn's `TfidfVectorizer` (sklearn is
 * not importable on the test machine): Python's own `re` (`(?u)\b\w\w+\b`, the engine sklearn tokenizes with),
 * `str.lower`, `collections.Counter` and `math.log`, written after sklearn's `_word_ngrams` / `_limit_features` /
 * `TfidfTransformer`, on real SST-2 sentences. numpy's default `argsort` (sklearn's own tie order) is reported beside
 * the stable one to check that the two differ only among terms tied at the cut.
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import {
  analyzeText,
  compareCodePoints,
  loadStopWords,
  type SparseTfidf,
  TfidfModel,
  type TfidfOptions,
  TfidfVectorizer,
} from "@saeflow/pool";
import { python, sharedData, tempDir } from "../helpers.ts";

/** Runs sklearn's algorithm in pure Python on `train` (fit) and `test` (transform). */
const REFERENCE = String.raw`
import json, math, re, sys
from collections import Counter
import numpy as np

cfg = json.load(open(sys.argv[1], encoding="utf-8"))
stop = None if cfg["stop_words"] is None else frozenset(cfg["stop_words"])
min_n, max_n = cfg["ngram_range"]
token_pattern = re.compile(r"(?u)\b\w\w+\b")

def analyze(doc):
    tokens = token_pattern.findall(doc.lower())
    if stop is not None:
        tokens = [w for w in tokens if w not in stop]
    if max_n == 1:
        return tokens
    original_tokens = tokens
    tokens = list(original_tokens) if min_n == 1 else []
    n_original_tokens = len(original_tokens)
    for n in range(max(min_n, 2), min(max_n + 1, n_original_tokens + 1)):
        for i in range(n_original_tokens - n + 1):
            tokens.append(" ".join(original_tokens[i : i + n]))
    return tokens

tf, df = Counter(), Counter()
for doc in cfg["train"]:
    counts = Counter(analyze(doc))
    tf.update(counts)
    df.update(counts.keys())
terms = sorted(tf)
tfs = np.array([tf[t] for t in terms], dtype=np.float64)
limit = cfg["max_features"]
boundary = []
if limit is not None and len(terms) > limit:
    stable = np.sort((-tfs).argsort(kind="stable")[:limit])
    default = np.sort((-tfs).argsort()[:limit])
    # Terms kept by one order and not the other: sklearn's unstable sort may differ from ours only among them.
    boundary = sorted(set(terms[i] for i in stable) ^ set(terms[i] for i in default))
    terms = [terms[i] for i in stable]
vocab = {t: i for i, t in enumerate(terms)}
n = len(cfg["train"])
idf = [math.log((n + 1) / (df[t] + 1)) + 1 for t in terms]

rows = []
for doc in cfg["test"]:
    counts = Counter(vocab[t] for t in analyze(doc) if t in vocab)
    ids = sorted(counts)
    weights = [counts[i] * idf[i] for i in ids]
    norm = math.sqrt(sum(w * w for w in weights))
    rows.append([ids, [w / norm for w in weights]])
cut = None if limit is None or len(terms) < limit else min(tf[t] for t in terms)
print(json.dumps({"vocabulary": terms, "idf": idf, "rows": rows, "boundary": boundary,
                  "boundary_counts": sorted(set(tf[t] for t in boundary)), "cut": cut}))
`;

interface Reference {
  vocabulary: string[];
  idf: number[];
  rows: [number[], number[]][];
  boundary: string[];
  boundary_counts: number[];
  cut: number | null;
}

async function reference(train: string[], test: string[], options: TfidfOptions): Promise<Reference> {
  const stop = options.stopWords ?? "english";
  await using dir = await tempDir();
  const path = `${dir.path}/input.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      train,
      test,
      ngram_range: options.ngramRange ?? [1, 2],
      max_features: options.maxFeatures === undefined ? 20000 : options.maxFeatures,
      stop_words: stop === "none" ? null : typeof stop === "string" ? await loadStopWords(stop) : stop,
    }),
  );
  return await python<Reference>(REFERENCE, path);
}

async function sst2(): Promise<{ train: string[]; test: string[] }> {
  const lines = (await Deno.readTextFile(sharedData("sst2/sst2_dev.tsv"))).split("\n").slice(1).filter(Boolean);
  const texts = lines.map((line) => line.split("\t")[0]);
  return { train: texts.slice(0, 300), test: texts.slice(300, 400) };
}

/** Fits on train, checks vocabulary (exact), idf (1e-12) and every test vector (1e-6) against the reference. */
async function compare(train: string[], test: string[], options: TfidfOptions): Promise<[TfidfModel, Reference]> {
  const [model, ref] = await Promise.all([TfidfVectorizer.fit(train, options), reference(train, test, options)]);
  assert.deepEqual(model.vocabulary, ref.vocabulary);
  assert.equal(model.idf.length, ref.idf.length);
  model.idf.forEach((v, i) => assert.ok(Math.abs(v - ref.idf[i]) <= 1e-12, `idf[${i}] ${v} vs ${ref.idf[i]}`));
  test.forEach((text, r) => assertRow(model.transform(text), ref.rows[r], `test row ${r}`));
  return [model, ref];
}

function assertRow(got: SparseTfidf, [ids, values]: [number[], number[]], what: string): void {
  assert.deepEqual([...got.indices], ids, what);
  got.values.forEach((v, k) => assert.ok(Math.abs(v - values[k]) <= 1e-6, `${what}[${k}]: ${v} vs ${values[k]}`));
}

Deno.test("tfidf: MOSAIC's options match the reference on 300 + 100 SST-2 sentences", async () => {
  const { train, test } = await sst2();
  const [model, ref] = await compare(train, test, {});
  assert.equal(ref.cut, null, "300 sentences stay under 20k terms: the cap is inactive here");
  assert.ok(model.size > 1000 && model.vocabulary.some((t) => t.includes(" ")), "unigrams and bigrams");
  assert.equal(model.describe(), "tfidf(ngram=1-2,max=20000,stop=english)");
  const english = new Set(await loadStopWords("english"));
  assert.ok(model.vocabulary.every((term) => term.split(" ").every((w) => !english.has(w))));
  assert.ok(test.some((t) => model.transform(t).indices.length > 0));
});

Deno.test("tfidf: no stop words vs English stop words, both as the reference", async () => {
  const { train, test } = await sst2();
  const [none] = await compare(train, test, { stopWords: "none" });
  const [english] = await compare(train, test, { stopWords: "english" });
  assert.ok(none.featureId("the") !== undefined && english.featureId("the") === undefined);
  assert.ok(none.size > english.size);
  // Stop words go before the n-grams, so a bigram spans a removed word, as sklearn's does.
  assert.ok(english.vocabulary.every((t) => !t.startsWith("the ") && !t.endsWith(" the")));
  const stopWords = new Set(await loadStopWords("english"));
  assert.deepEqual(analyzeText("gripping and tense", { stopWords }), ["gripping", "tense", "gripping tense"]);
  const [custom] = await compare(train, test, { stopWords: ["film", "movie"], ngramRange: [1, 3] });
  assert.equal(custom.featureId("film"), undefined);
  assert.ok(custom.vocabulary.some((t) => t.split(" ").length === 3));
});

Deno.test("tfidf: max_features below the vocabulary keeps the most frequent, ties alphabetically", async () => {
  const { train, test } = await sst2();
  for (const maxFeatures of [50, 500, 3000]) {
    const [model, ref] = await compare(train, test, { maxFeatures });
    assert.equal(model.size, maxFeatures);
    // numpy's default sort (sklearn's) may pick other terms, but only among those with the cut's count.
    assert.ok(ref.boundary_counts.every((c) => c === ref.cut), `${maxFeatures}: ${ref.boundary_counts} vs ${ref.cut}`);
  }
  // Hand-built ties: "bb" twice; "aa", "cc", "dd" once each; cap 2 keeps bb and the alphabetically first of the rest.
  const model = await TfidfVectorizer.fit(["dd cc bb", "bb aa"], { maxFeatures: 2, ngramRange: [1, 1] });
  assert.deepEqual(model.vocabulary, ["aa", "bb"]);
  const ref = await reference(["dd cc bb", "bb aa"], [], { maxFeatures: 2, ngramRange: [1, 1] });
  assert.deepEqual(ref.vocabulary, ["aa", "bb"]);
});

Deno.test("tfidf: empty texts, unseen words, and a vocabulary fitted on train only", async () => {
  const train = ["a gripping thriller", "a dull thriller", ""];
  const test = ["", "the and of", "zzyzx quux", "gripping zzyzx thriller thriller"];
  const [model] = await compare(train, test, {});
  assert.equal(model.documents, 3, "empty training texts count in n, as sklearn's n_samples");
  for (const text of test.slice(0, 3)) {
    const { indices, values } = model.transform(text);
    assert.equal(indices.length, 0);
    assert.equal(values.length, 0);
  }
  assert.equal(model.featureId("zzyzx"), undefined);
  const mixed = model.transform(test[3]);
  // "gripping zzyzx" is no term and "zzyzx" is gone; "thriller" counts twice.
  assert.deepEqual([...mixed.indices].map((i) => model.vocabulary[i]), ["gripping", "thriller"]);
  const idf = [...mixed.indices].map((i) => model.idf[i]);
  assert.ok(Math.abs(mixed.values[1] / mixed.values[0] - (2 * idf[1]) / idf[0]) < 1e-6);
  const norm = Math.hypot(...mixed.values);
  assert.ok(Math.abs(norm - 1) < 1e-6);
  await assert.rejects(TfidfVectorizer.fit(["the and", "of", ""]), DataError);
});

Deno.test("tfidf: tokens, lowercase and term order follow Python's on non-ASCII text", async () => {
  const texts = [
    "नमस्ते दुनिया", // combining marks split words in Python's \w, as here
    "Café CAFÉ cafe\u0301 naïve ÆSIR İstanbul ΟΔΟΣ", // precomposed vs combining accent; İ lowercases to two chars
    "snake_case x y 42 ² ½ ٣٤ 一二三 ㈠㈡",
    "emoji 😀😀 𝒜𝒷𝒸 \uFF21\uFF22 \uE000\uE001 zz",
    "don't won't it's l'amour",
  ];
  await compare(texts, texts, { stopWords: "none" });
  await compare(texts, texts, { stopWords: "none", ngramRange: [2, 3] });
  assert.deepEqual(analyzeText("don't stop", { ngramRange: [1, 1] }), ["don", "stop"]);
  assert.ok(compareCodePoints("\u{1F600}", "\uFF21") > 0 && "\u{1F600}" < "\uFF21", "code points, not UTF-16 units");
});

Deno.test("tfidf: word characters and lowercase agree with Python's on every code point it assigns", async () => {
  // Python's \w and str.lower() per code point, as ranges of \w and a map of changed characters, with what it leaves
  // unassigned (category Cn): V8's newer Unicode tables may differ there only.
  const py = await python<{ word: [number, number][]; lower: Record<string, string>; unassigned: [number, number][] }>(
    String.raw`
import json, re, sys, unicodedata
w = re.compile(r"\w")
word, unassigned, lower = [], [], {}
def add(ranges, cp):
    if ranges and ranges[-1][1] == cp - 1: ranges[-1][1] = cp
    else: ranges.append([cp, cp])
for cp in range(sys.maxunicode + 1):
    if 0xD800 <= cp <= 0xDFFF: continue
    c = chr(cp)
    if w.match(c): add(word, cp)
    if unicodedata.category(c) == "Cn": add(unassigned, cp)
    if c.lower() != c: lower[cp] = c.lower()
print(json.dumps({"word": word, "lower": lower, "unassigned": unassigned}))
`,
  );
  const isWord = new Uint8Array(0x110000);
  for (const [a, b] of py.word) isWord.fill(1, a, b + 1);
  const assigned = new Uint8Array(0x110000).fill(1);
  for (const [a, b] of py.unassigned) assigned.fill(0, a, b + 1);
  const single = /^[\p{L}\p{N}_]$/u;
  let checked = 0;
  for (let cp = 0; cp < 0x110000; cp++) {
    if ((cp >= 0xd800 && cp <= 0xdfff) || !assigned[cp]) continue;
    const c = String.fromCodePoint(cp);
    assert.equal(single.test(c), isWord[cp] === 1, `\\w at U+${cp.toString(16)}`);
    assert.equal(c.toLowerCase(), py.lower[cp] ?? c, `lower at U+${cp.toString(16)}`);
    checked++;
  }
  assert.ok(checked > 280_000);
});

Deno.test("tfidf: toJSON/fromJSON round-trips through JSON text; bad JSON and options are typed errors", async () => {
  const { train, test } = await sst2();
  const model = await TfidfVectorizer.fit(train, { maxFeatures: 800 });
  const back = TfidfModel.fromJSON(JSON.parse(JSON.stringify(model)));
  assert.deepEqual(back.vocabulary, model.vocabulary);
  assert.deepEqual(back.idf, model.idf);
  assert.deepEqual(back.config, model.config);
  for (const text of test) assert.deepEqual(back.transform(text), model.transform(text));

  const json = model.toJSON();
  assert.throws(() => TfidfModel.fromJSON({ ...json, version: 2 }), DataError);
  assert.throws(() => TfidfModel.fromJSON({ ...json, idf: json.idf.slice(1) }), DataError);
  assert.throws(() => TfidfModel.fromJSON({ ...json, vocabulary: [...json.vocabulary].reverse() }), DataError);
  assert.throws(() => TfidfModel.fromJSON({ ...json, config: { ...json.config, ngramRange: [2, 1] } }), DataError);
  assert.throws(() => TfidfModel.fromJSON(null), DataError);

  await assert.rejects(TfidfVectorizer.fit(train, { ngramRange: [0, 2] }), ConfigError);
  await assert.rejects(TfidfVectorizer.fit(train, { maxFeatures: 0 }), ConfigError);
  await assert.rejects(TfidfVectorizer.fit(train, { stopWords: "klingon" }), ConfigError);
  await assert.rejects(TfidfVectorizer.fit(train, { stopWords: "../x" }), ConfigError);
});

Deno.test("tfidf: fits from an async stream the same as from an array", async () => {
  const { train, test } = await sst2();
  async function* stream() {
    yield* train;
  }
  const [a, b] = await Promise.all([TfidfVectorizer.fit(train), TfidfVectorizer.fit(stream())]);
  assert.deepEqual(b.vocabulary, a.vocabulary);
  assert.deepEqual(b.transform(test[0]), a.transform(test[0]));
});
