/**
 * What a language model must beat: the validation cross-entropy of a unigram and a bigram model counted on the
 * training rows. Both score exactly the predictions the transformer's loss scores (in every packed row, position t
 * predicts token t + 1), so the three numbers are in the same units (nats per predicted token) over the same tokens.
 *
 * - unigram, add-one (Laplace): `P(w) = (c(w) + 1) / (N + V)`, `c(w)` the times `w` is a target in training;
 * - bigram, interpolated with Witten–Bell weights (no parameter to tune): `P(w | v) = (c(v, w) + T(v) · P(w)) /
 *   (c(v) + T(v))`, where `c(v, w)` counts `w` after `v`, `c(v)` the targets after `v` and `T(v)` the distinct ones;
 *   a context never seen in training (`c(v) = 0`) falls back to `P(w)`.
 * @module
 */
import { ConfigError, DataError } from "@saeflow/core";
import type { PackedSequences } from "./packed_sequences.ts";

/** Validation cross-entropies (nats per predicted token) of the two baselines. */
export interface NgramBaselines {
  unigram: number;
  bigram: number;
  /** Predictions scored (rows × (seqLen − 1) of the validation rows). */
  tokens: number;
}

/**
 * Counts `train`'s predictions and scores `validation`'s, for a vocabulary of `vocabSize` ids (every id in the rows
 * must be below it: a DataError names the row otherwise).
 *
 * @example
 * ```ts
 * const { unigram, bigram } = ngramBaselines(trainRows, validationRows, tokenizer.vocabSize);
 * console.log(`unigram ppl ${Math.exp(unigram)}, bigram ppl ${Math.exp(bigram)}`);
 * ```
 */
export function ngramBaselines(
  train: PackedSequences,
  validation: PackedSequences,
  vocabSize: number,
): NgramBaselines {
  if (!(Number.isInteger(vocabSize) && vocabSize > 0)) {
    throw new ConfigError(`vocabulary size ${vocabSize}: expected a positive integer`);
  }
  if (train.seqLen !== validation.seqLen) {
    throw new ConfigError(`training rows of ${train.seqLen} tokens, validation rows of ${validation.seqLen}`);
  }
  checkIds(train, vocabSize, "training rows");
  checkIds(validation, vocabSize, "validation rows");
  const V = vocabSize;
  const unigrams = new Float64Array(V);
  const contexts = new Float64Array(V);
  const followers = new Float64Array(V);
  const bigrams = new Map<number, number>();
  let total = 0;
  forEachPrediction(train, (v, w) => {
    unigrams[w]++;
    contexts[v]++;
    total++;
    const key = v * V + w;
    const seen = bigrams.get(key) ?? 0;
    if (seen === 0) followers[v]++;
    bigrams.set(key, seen + 1);
  });
  let unigram = 0;
  let bigram = 0;
  let tokens = 0;
  forEachPrediction(validation, (v, w) => {
    const pw = (unigrams[w] + 1) / (total + V);
    unigram -= Math.log(pw);
    const t = followers[v];
    bigram -= Math.log(contexts[v] === 0 ? pw : ((bigrams.get(v * V + w) ?? 0) + t * pw) / (contexts[v] + t));
    tokens++;
  });
  if (tokens === 0) {
    throw new DataError("ngramBaselines", {}, "no validation rows", "at least one validation row to score");
  }
  return { unigram: unigram / tokens, bigram: bigram / tokens, tokens };
}

function forEachPrediction(rows: PackedSequences, visit: (context: number, target: number) => void): void {
  const { ids, count, seqLen } = rows;
  for (let r = 0; r < count; r++) {
    for (let t = r * seqLen; t + 1 < (r + 1) * seqLen; t++) visit(ids[t], ids[t + 1]);
  }
}

function checkIds({ ids, count, seqLen }: PackedSequences, vocabSize: number, what: string): void {
  for (let i = 0; i < count * seqLen; i++) {
    if (!(ids[i] >= 0 && ids[i] < vocabSize)) {
      throw new DataError(
        what,
        { row: Math.floor(i / seqLen) + 1 },
        `token id ${ids[i]}`,
        `an id in [0, ${vocabSize})`,
      );
    }
  }
}
