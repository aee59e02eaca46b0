/**
 * Pooling one record: its CSR rows (one per real token) in, one sparse vector out.
 * @module
 */
import { ConfigError } from "@saeflow/core";
import type { SparseFeatures } from "@saeflow/sae";
import { type PoolSpec, validatePoolSpec } from "./pool_spec.ts";

/** One record's pooled features: a sparse vector over the SAE's features. */
export interface PooledVector {
  /** Feature ids, ascending. */
  indices: Int32Array;
  /** The pooled value of each feature in `indices`. */
  values: Float32Array;
  /** Tokens that went into the vector (after the mask and any window); 0 gives an empty vector. */
  tokensPooled: number;
}

/** What the pooling needs to know about the record's tokens. */
export interface PoolRecordOptions {
  /** Whether the record's first row is the tokenizer's BOS token (`TokenBatch.hasBos`). */
  hasBos: boolean;
}

/**
 * Dense per-feature scratch, reused between calls (pooling is synchronous, so one per SAE width is enough): an
 * accumulator, a touched mark and the list of touched features, reset after each record. It keeps pooling at
 * O(active entries) instead of O(dSae) per record.
 */
class Scratch {
  readonly acc: Float64Array;
  readonly seen: Uint8Array;
  readonly touched: Int32Array;
  count = 0;
  constructor(dSae: number) {
    this.acc = new Float64Array(dSae);
    this.seen = new Uint8Array(dSae);
    this.touched = new Int32Array(dSae);
  }
  #top = new Int32Array(0);
  /** A reusable buffer of at least `n` entry positions (topn-count's per-token selection). */
  top(n: number): Int32Array {
    if (this.#top.length < n) this.#top = new Int32Array(n);
    return this.#top;
  }
  touch(f: number): void {
    if (!this.seen[f]) {
      this.seen[f] = 1;
      this.touched[this.count++] = f;
    }
  }
  /** Emits the touched features in ascending order, `value(acc)` each, and resets. */
  drain(value: (acc: number) => number, tokensPooled: number): PooledVector {
    const ids = this.touched.slice(0, this.count).sort();
    const values = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      values[i] = value(this.acc[ids[i]]);
      this.acc[ids[i]] = 0;
      this.seen[ids[i]] = 0;
    }
    this.count = 0;
    return { indices: ids, values, tokensPooled };
  }
}

const scratches = new Map<number, Scratch>();
function scratchFor(dSae: number): Scratch {
  let s = scratches.get(dSae);
  if (!s) scratches.set(dSae, s = new Scratch(dSae));
  return s;
}

/**
 * Pools rows `rowStart .. rowEnd - 1` of `features` (one record's real tokens, as {@link recordRowOffsets} gives
 * them) with `spec`.
 *
 * Token mask: by default the BOS row (the first, when `hasBos`) is left out; `includeBos` or `mosaicCompat` keep it.
 * A record with no pooled tokens (only BOS, or no rows) gives an empty vector with `tokensPooled` 0 for every
 * strategy (mean included: empty, never NaN).
 *
 * `topn-count` ranks a token's features by activation, descending; ties go to the lower feature id. By default only
 * active features count, so a token with fewer than `n` active features adds 1 to each of them and nothing else. With
 * `mosaicCompat` a token contributes exactly `n` features, as MOSAIC's dense per-token top-n did
 * (`np.argpartition(-acts, n)[:, :n]` in its `optimized_top_n_to_one_hot`): when it has `m < n` active features, the
 * other `n - m` are zero-valued ones, and since the reference's tie order among zeros is unspecified (introselect),
 * we take the `n - m` lowest inactive feature ids. Their counts therefore grow for tokens where they did not fire;
 * that is the reference's flaw reproduced, so `n` may not exceed the SAE width in that mode. (MOSAIC also cast
 * activations to float16 before ranking, which can tie distinct float32 activations; we rank the float32 values.)
 *
 * Sums are accumulated in float64 in token order and rounded to float32 once.
 *
 * @example
 * ```ts
 * const offsets = recordRowOffsets(batch.tokens);
 * const v = poolRecord(batch.features.get("l12-16k")!, offsets[0], offsets[1], { strategy: "topn-count", n: 5 }, batch.tokens);
 * v.indices; // ascending feature ids; v.values their counts
 * ```
 */
export function poolRecord(
  features: SparseFeatures,
  rowStart: number,
  rowEnd: number,
  spec: PoolSpec,
  { hasBos }: PoolRecordOptions,
): PooledVector {
  const s = validatePoolSpec(spec);
  if (
    !Number.isInteger(rowStart) || !Number.isInteger(rowEnd) || rowStart < 0 || rowEnd < rowStart ||
    rowEnd > features.rows
  ) {
    throw new ConfigError(`rows ${rowStart}..${rowEnd} are not a row range of features with ${features.rows} rows`);
  }
  if (s.strategy === "topn-count" && s.mosaicCompat && s.n! > features.dSae) {
    throw new ConfigError(
      `pool ${s.strategy}(n=${s.n}) in mosaic-compat mode counts n features per token, but the SAE has only ${features.dSae}`,
    );
  }
  let first = rowStart + (hasBos && !s.includeBos && rowEnd > rowStart ? 1 : 0);
  let end = rowEnd;
  if (s.strategy === "first-k") end = Math.min(end, first + s.k!);
  else if (s.strategy === "last-k") first = Math.max(first, end - s.k!);
  else if (s.strategy === "last") first = Math.max(first, end - 1);
  const tokens = end - first;
  const scratch = scratchFor(features.dSae);
  if (tokens <= 0) return scratch.drain((x) => x, 0);

  const { rowPtr, indices, values } = features;
  const { acc } = scratch;
  if (s.strategy === "max") {
    for (let e = rowPtr[first]; e < rowPtr[end]; e++) {
      const f = indices[e];
      scratch.touch(f);
      if (values[e] > acc[f]) acc[f] = values[e];
    }
  } else if (s.strategy === "topn-count") {
    for (let r = first; r < end; r++) {
      countTopN(scratch, indices, values, rowPtr[r], rowPtr[r + 1], s.n!, s.mosaicCompat);
    }
  } else {
    for (let e = rowPtr[first]; e < rowPtr[end]; e++) {
      scratch.touch(indices[e]);
      acc[indices[e]] += values[e];
    }
  }
  return scratch.drain(s.strategy === "mean" ? (x) => x / tokens : (x) => x, tokens);
}

/** Adds 1 to the `n` top features of one token (entries `lo .. hi - 1`), padding with zero features in compat mode. */
function countTopN(
  scratch: Scratch,
  indices: Int32Array,
  values: Float32Array,
  lo: number,
  hi: number,
  n: number,
  mosaicCompat: boolean,
): void {
  const active = hi - lo;
  if (active <= n) {
    for (let e = lo; e < hi; e++) {
      scratch.touch(indices[e]);
      scratch.acc[indices[e]] += 1;
    }
    if (mosaicCompat) {
      // Indices are ascending within a row, so walking ids upward while skipping the row's own finds the lowest
      // inactive ones.
      let need = n - active;
      for (let f = 0, e = lo; need > 0; f++) {
        if (e < hi && indices[e] === f) {
          e++;
          continue;
        }
        scratch.touch(f);
        scratch.acc[f] += 1;
        need--;
      }
    }
    return;
  }
  // The n largest by value, ties to the lower feature id: insertion into a sorted buffer of entry positions (entries
  // come in ascending id order, so an equal value never displaces an earlier one).
  const top = scratch.top(n);
  let size = 0;
  for (let e = lo; e < hi; e++) {
    const v = values[e];
    if (size === n && !(v > values[top[n - 1]])) continue;
    let j = size < n ? size++ : n - 1;
    for (; j > 0 && v > values[top[j - 1]]; j--) top[j] = top[j - 1];
    top[j] = e;
  }
  for (let i = 0; i < n; i++) {
    const f = indices[top[i]];
    scratch.touch(f);
    scratch.acc[f] += 1;
  }
}
