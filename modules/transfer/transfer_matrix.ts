/**
 * Transfer as a matrix: a probe trained on each domain's training split (a language, a dataset, a model) is scored
 * on every domain's test split, with the same features and split rules. The diagonal is in-domain; the gap between
 * its mean and the off-diagonal mean is how much is lost in transfer.
 * @module
 */
import { ConfigError } from "@saeflow/core";

/** One domain: a name and its train and test rows, in one feature space and one class list shared by all domains. */
export interface TransferDomain<D> {
  name: string;
  train: D;
  test: D;
}

/** How a probe is trained and scored; any probe and any metric fit. */
export interface TransferProbe<D, M> {
  fit(train: D, domain: string): M | Promise<M>;
  score(model: M, test: D, domain: string): number | Promise<number>;
}

/** The matrix and its summary. */
export interface TransferResult {
  /** Domain names, the order of rows (trained on) and columns (tested on). */
  domains: string[];
  /** `scores[i][j]`: trained on domain i, tested on domain j. */
  scores: number[][];
  /** Mean of the diagonal (in-domain). */
  diagonal: number;
  /** Mean off the diagonal (transfer); NaN with a single domain. */
  offDiagonal: number;
  /** `diagonal - offDiagonal`: what transfer costs. */
  gap: number;
}

/**
 * Trains one probe per domain and scores it on every domain's test split. Domain names must be distinct.
 *
 * @example
 * ```ts
 * const result = await transferMatrix(domains, {
 *   fit: (train) => fitLogistic(train.X, train.y, train.classes.length, { classWeight: "balanced" }),
 *   score: (model, test) => classificationReport(test.y, model.predict(test.X), test.classes.length).macroF1,
 * });
 * result.gap; // in-domain minus cross-domain macro-F1
 * ```
 */
export async function transferMatrix<D, M>(
  domains: readonly TransferDomain<D>[],
  probe: TransferProbe<D, M>,
): Promise<TransferResult> {
  if (domains.length === 0) throw new ConfigError("transfer needs at least one domain");
  const names = domains.map((d) => d.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new ConfigError(`transfer domain ${JSON.stringify(twice)} is given twice`);
  const scores: number[][] = [];
  for (const source of domains) {
    const model = await probe.fit(source.train, source.name);
    const row: number[] = [];
    for (const target of domains) row.push(await probe.score(model, target.test, target.name));
    scores.push(row);
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const diagonal = mean(scores.map((row, i) => row[i]));
  const off = scores.flatMap((row, i) => row.filter((_, j) => j !== i));
  const offDiagonal = off.length ? mean(off) : NaN;
  return { domains: names, scores, diagonal, offDiagonal, gap: diagonal - offDiagonal };
}
