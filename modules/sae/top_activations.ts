/**
 * The tokens that activate each SAE feature most, with their contexts: what a person reads to tell what a feature
 * means. Kept over a stream of feature batches in O(dSae × perFeature) memory, whatever the stream's length.
 * @module
 */
import type { TokenBatch } from "@saeflow/tokenize";
import { recordRowOffsets, type SparseFeatures } from "./sparse_features.ts";

/** One activation of a feature, at one token of one record. */
export interface ActivationExample {
  value: number;
  /** The record's id. */
  record: string;
  /** The token's position in the record (0 is BOS when the tokenizer adds one). */
  position: number;
  /** Token ids around it: up to `before` tokens, the token itself, up to `after` tokens (BOS left out). */
  tokens: number[];
  /** Where the activating token is in `tokens`. */
  at: number;
  /** Whether the record goes on before / after the context (after: also when tokenization cut the record short). */
  cut: { before: boolean; after: boolean };
}

/** Options of {@link TopActivations}. */
export interface TopActivationsOptions {
  /** Examples kept per feature. */
  perFeature: number;
  /** Context tokens kept before the activating token (default 12). */
  before?: number;
  /** Context tokens kept after it (default 4). */
  after?: number;
}

/** An example as written to JSON: its context decoded token by token. */
export interface DecodedExample {
  value: number;
  record: string;
  position: number;
  /** The context's tokens as text, one string per token. */
  context: string[];
  at: number;
  cut: { before: boolean; after: boolean };
}

/** What {@link TopActivations.toJSON} writes. */
export interface TopActivationsJson {
  perFeature: number;
  before: number;
  after: number;
  /** Tokens seen (BOS left out). */
  tokens: number;
  /** Feature id → its strongest examples, strongest first; features that never fired are absent. */
  features: Record<string, DecodedExample[]>;
}

/** Strongest first; ties by record id, then position, so the result does not depend on batch order. */
function stronger(a: ActivationExample, b: ActivationExample): boolean {
  if (a.value !== b.value) return a.value > b.value;
  if (a.record !== b.record) return a.record < b.record;
  return a.position < b.position;
}

/**
 * The `perFeature` strongest activations of every feature of one SAE. BOS is left out: it carries no text, and pooling
 * leaves it out by default.
 *
 * @example
 * ```ts
 * const top = new TopActivations(spec.dSae, { perFeature: 10 });
 * for await (const { tokens, features } of featureBatches) top.add(features.get("l1")!, tokens);
 * top.examples(123); // strongest first
 * ```
 */
export class TopActivations {
  readonly perFeature: number;
  readonly before: number;
  readonly after: number;
  #tokens = 0;
  readonly #examples: ActivationExample[][];
  /** Per feature: the weakest kept value once full (a weaker activation cannot get in), else -Infinity. */
  readonly #floor: Float64Array;

  constructor(readonly dSae: number, { perFeature, before = 12, after = 4 }: TopActivationsOptions) {
    for (const [name, n] of [["perFeature", perFeature], ["before", before], ["after", after]] as const) {
      if (!(Number.isInteger(n) && n >= 0)) {
        throw new RangeError(`TopActivations ${name} ${n}: expected an integer >= 0`);
      }
    }
    this.perFeature = perFeature;
    this.before = before;
    this.after = after;
    this.#examples = Array.from({ length: dSae }, () => []);
    this.#floor = new Float64Array(dSae).fill(perFeature === 0 ? Infinity : -Infinity);
  }

  /** Adds one batch: `features` are the CSR rows of `tokens`' real tokens (as saeEncode emits them). */
  add(features: SparseFeatures, tokens: TokenBatch): void {
    const offsets = recordRowOffsets(tokens);
    if (features.rows !== offsets[tokens.batchSize]) {
      throw new RangeError(
        `TopActivations: ${features.rows} feature rows for ${offsets[tokens.batchSize]} real tokens`,
      );
    }
    const { rowPtr, indices, values } = features;
    for (let b = 0; b < tokens.batchSize; b++) {
      const first = tokens.hasBos ? 1 : 0;
      this.#tokens += Math.max(0, tokens.lengths[b] - first);
      for (let position = first; position < tokens.lengths[b]; position++) {
        const row = offsets[b] + position;
        for (let j = rowPtr[row]; j < rowPtr[row + 1]; j++) {
          const feature = indices[j];
          if (values[j] < this.#floor[feature]) continue;
          this.#offer(feature, values[j], tokens, b, position, first);
        }
      }
    }
  }

  #offer(feature: number, value: number, tokens: TokenBatch, b: number, position: number, first: number): void {
    const record = tokens.records[b].id;
    const kept = this.#examples[feature];
    const candidate = { value, record, position, tokens: [] as number[], at: 0, cut: { before: false, after: false } };
    let i = kept.length;
    while (i > 0 && stronger(candidate, kept[i - 1])) i--;
    if (i >= this.perFeature) return;
    const from = Math.max(first, position - this.before), to = Math.min(tokens.lengths[b], position + this.after + 1);
    const rowStart = b * tokens.seqLen;
    for (let p = from; p < to; p++) candidate.tokens.push(tokens.ids[rowStart + p]);
    candidate.at = position - from;
    candidate.cut = { before: from > first, after: to < tokens.lengths[b] || tokens.truncated[b] };
    kept.splice(i, 0, candidate);
    if (kept.length > this.perFeature) kept.pop();
    if (kept.length === this.perFeature) this.#floor[feature] = kept[kept.length - 1].value;
  }

  /** Feature `feature`'s kept examples, strongest first. */
  examples(feature: number): readonly ActivationExample[] {
    return this.#examples[feature];
  }

  /** The examples with their contexts decoded by `decodeContext` (token ids → one text per token). */
  toJSON(decodeContext: (ids: number[]) => string[]): TopActivationsJson {
    const features: Record<string, DecodedExample[]> = {};
    this.#examples.forEach((kept, feature) => {
      if (kept.length === 0) return;
      features[feature] = kept.map(({ value, record, position, tokens, at, cut }) => ({
        value,
        record,
        position,
        context: decodeContext(tokens),
        at,
        cut,
      }));
    });
    return { perFeature: this.perFeature, before: this.before, after: this.after, tokens: this.#tokens, features };
  }
}
